/*
 * http_parse.h — the HTTP/1.x request head, parsed: request line and headers only (tend's
 * HTTP face serves read-only GETs and never reads a body). Pure: bytes in, a verdict and the
 * few fields tend uses out, so that it can be unit-tested and fuzzed alone.
 *
 * Strict on purpose (RFC 9112): the method must be a token, the target in origin-form
 * ("/path?query"), the version HTTP/1.0 or HTTP/1.1, header names tokens followed directly by
 * ':', no obsolete line folding, no control characters, Host required in HTTP/1.1, and no
 * more than HTTP_HEAD_MAX bytes or HTTP_HEADERS_MAX header lines. A bare "\n" ends a line as
 * "\r\n" does (the RFC lets a server accept it).
 */
#ifndef TEND_CTL_HTTP_PARSE_H
#define TEND_CTL_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX	 8192 /* request line + headers; more is 413 */
#define HTTP_HEADERS_MAX 64   /* header lines; more is 431 */
#define HTTP_PATH_MAX	 1024 /* decoded path; longer is 414 */

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE, /* need more bytes */
	HTTP_PARSE_OK,
	HTTP_PARSE_BAD,		     /* 400 */
	HTTP_PARSE_TOO_LARGE,	     /* 413: the head does not fit in HTTP_HEAD_MAX */
	HTTP_PARSE_URI_TOO_LONG,     /* 414 */
	HTTP_PARSE_HEADERS_TOO_MANY, /* 431 */
	HTTP_PARSE_BAD_VERSION	     /* 505: HTTP/2.0 and such */
};

struct http_request {
	char method[16];
	char path[HTTP_PATH_MAX + 1]; /* percent-decoded, without the query */
	bool has_query;
	int version_minor; /* 0 or 1 */
	bool has_host;
	bool has_body; /* Content-Length > 0 or Transfer-Encoding */
	bool connection_close;
	size_t head_len;   /* bytes of the head, including the blank line */
	const char *error; /* for BAD and friends: what was wrong */
};

enum http_parse_result http_parse_request(const char *data, size_t len, struct http_request *req);

/* The status code that answers a parse result (0 for INCOMPLETE and OK). */
int http_parse_status_code(enum http_parse_result result);

#endif
