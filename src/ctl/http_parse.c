/*
 * http_parse.c — the HTTP request head parser (see http_parse.h). It works on the bytes
 * received so far and either asks for more, accepts, or names the status to answer with.
 * It never allocates and never reads past len.
 */
#include "ctl/http_parse.h"

#include <string.h>
#include <strings.h>

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible characters (no space, no controls); obs-text (>= 0x80) is refused in the target. */
static bool is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Find the end of the head: the first empty line. Returns its length or 0. */
static size_t head_length(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		/* an empty line: "\n\n" or "\n\r\n" */
		if (i + 1 < len && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* One line from *pos, without its "\r\n"/"\n"; a lone "\r" inside a line is an error. */
static bool next_line(const char *data, size_t end, size_t *pos, const char **line, size_t *len)
{
	size_t start = *pos;
	const char *nl = memchr(data + start, '\n', end - start);
	if (!nl)
		return false;
	size_t stop = (size_t)(nl - data);
	*pos = stop + 1;
	if (stop > start && data[stop - 1] == '\r')
		stop--;
	*line = data + start;
	*len = stop - start;
	return true;
}

static enum http_parse_result bad(struct http_request *req, const char *why)
{
	req->error = why;
	return HTTP_PARSE_BAD;
}

static enum http_parse_result parse_target(const char *target, size_t len, struct http_request *req)
{
	if (len == 0 || target[0] != '/')
		return bad(req, "the target must start with '/'");
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];
		if (!is_vchar(c))
			return bad(req, "invalid character in the target");
		if (c == '#')
			return bad(req, "fragment in the target");
		if (c == '?') {
			req->has_query = true;
			for (size_t k = i + 1; k < len; k++)
				if (!is_vchar((unsigned char)target[k]) || target[k] == '#')
					return bad(req, "invalid character in the query");
			break;
		}
		if (c == '%') {
			int hi = i + 2 < len ? hex_value((unsigned char)target[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value((unsigned char)target[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return bad(req, "bad percent-encoding in the target");
			c = (unsigned char)(hi * 16 + lo);
			if (c == 0 || c == '/')
				return bad(req, "encoded NUL or '/' in the target");
			i += 2;
		}
		if (out == HTTP_PATH_MAX) {
			req->error = "target too long";
			return HTTP_PARSE_URI_TOO_LONG;
		}
		req->path[out++] = (char)c;
	}
	req->path[out] = '\0';
	return HTTP_PARSE_OK;
}

static enum http_parse_result parse_request_line(const char *line, size_t len,
						 struct http_request *req)
{
	const char *sp1 = memchr(line, ' ', len);
	if (!sp1 || sp1 == line)
		return bad(req, "malformed request line");
	size_t mlen = (size_t)(sp1 - line);
	if (mlen >= sizeof(req->method))
		return bad(req, "method too long");
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return bad(req, "invalid method");
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';
	const char *target = sp1 + 1;
	const char *end = line + len;
	const char *sp2 = memchr(target, ' ', (size_t)(end - target));
	if (!sp2 || sp2 == target)
		return bad(req, "malformed request line");
	const char *version = sp2 + 1;
	size_t vlen = (size_t)(end - version);
	if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return bad(req, "malformed HTTP version");
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
		req->error = "unsupported HTTP version";
		return HTTP_PARSE_BAD_VERSION;
	}
	req->version_minor = version[7] - '0';
	return parse_target(target, (size_t)(sp2 - target), req);
}

static bool name_is(const char *name, size_t len, const char *wanted)
{
	return strlen(wanted) == len && strncasecmp(name, wanted, len) == 0;
}

static enum http_parse_result parse_header(const char *line, size_t len, struct http_request *req)
{
	if (line[0] == ' ' || line[0] == '\t')
		return bad(req, "obsolete line folding");
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return bad(req, "malformed header line");
	size_t nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return bad(req, "invalid header name");
	const char *value = colon + 1, *end = line + len;
	for (const char *p = value; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bad(req, "control character in a header value");
	}
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vlen = (size_t)(end - value);
	if (name_is(line, nlen, "host")) {
		if (req->has_host)
			return bad(req, "more than one Host header");
		req->has_host = true;
	} else if (name_is(line, nlen, "content-length")) {
		if (vlen == 0)
			return bad(req, "empty Content-Length");
		for (size_t i = 0; i < vlen; i++)
			if (value[i] < '0' || value[i] > '9')
				return bad(req, "invalid Content-Length");
		for (size_t i = 0; i < vlen; i++)
			if (value[i] != '0')
				req->has_body = true;
	} else if (name_is(line, nlen, "transfer-encoding")) {
		req->has_body = true;
	} else if (name_is(line, nlen, "connection")) {
		for (size_t i = 0; i + 5 <= vlen; i++)
			if (strncasecmp(value + i, "close", 5) == 0)
				req->connection_close = true;
	}
	return HTTP_PARSE_OK;
}

enum http_parse_result http_parse_request(const char *data, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	/* Leading empty lines before a request are to be ignored (RFC 9112 2.2). */
	size_t skip = 0;
	while (skip < len && skip < 16 && (data[skip] == '\r' || data[skip] == '\n'))
		skip++;
	size_t head = head_length(data + skip, len - skip);
	if (!head) {
		if (len >= HTTP_HEAD_MAX) {
			req->error = "request head too large";
			return HTTP_PARSE_TOO_LARGE;
		}
		/* the request line alone can already be judged: reject garbage early */
		const char *nl = memchr(data + skip, '\n', len - skip);
		if (nl) {
			struct http_request probe;
			memset(&probe, 0, sizeof(probe));
			size_t line_len = (size_t)(nl - (data + skip));
			if (line_len && data[skip + line_len - 1] == '\r')
				line_len--;
			enum http_parse_result r =
			    parse_request_line(data + skip, line_len, &probe);
			if (r != HTTP_PARSE_OK) {
				*req = probe;
				return r;
			}
		}
		return HTTP_PARSE_INCOMPLETE;
	}
	if (skip + head > HTTP_HEAD_MAX) {
		req->error = "request head too large";
		return HTTP_PARSE_TOO_LARGE;
	}
	const char *base = data + skip;
	size_t pos = 0;
	const char *line = base;
	size_t line_len = 0;
	if (!next_line(base, head, &pos, &line, &line_len))
		return bad(req, "no request line");
	for (size_t i = 0; i < line_len; i++)
		if (line[i] == '\r' || line[i] == '\0')
			return bad(req, "stray CR or NUL in the request line");
	enum http_parse_result r = parse_request_line(line, line_len, req);
	if (r != HTTP_PARSE_OK)
		return r;
	size_t headers = 0;
	while (next_line(base, head, &pos, &line, &line_len) && line_len > 0) {
		if (++headers > HTTP_HEADERS_MAX) {
			req->error = "too many header lines";
			return HTTP_PARSE_HEADERS_TOO_MANY;
		}
		if (memchr(line, '\r', line_len))
			return bad(req, "stray CR in a header line");
		r = parse_header(line, line_len, req);
		if (r != HTTP_PARSE_OK)
			return r;
	}
	if (req->version_minor == 1 && !req->has_host)
		return bad(req, "HTTP/1.1 request without Host");
	req->head_len = skip + head;
	return HTTP_PARSE_OK;
}

int http_parse_status_code(enum http_parse_result result)
{
	switch (result) {
	case HTTP_PARSE_BAD:
		return 400;
	case HTTP_PARSE_TOO_LARGE:
		return 413;
	case HTTP_PARSE_URI_TOO_LONG:
		return 414;
	case HTTP_PARSE_HEADERS_TOO_MANY:
		return 431;
	case HTTP_PARSE_BAD_VERSION:
		return 505;
	default:
		return 0;
	}
}
