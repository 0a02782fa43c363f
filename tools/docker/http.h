/*
 * http.h — HTTP requests to the Engine over its unix socket (libcurl easy handles on the
 * evloop's multi handle). Bodies are bounded; streaming responses go to a data callback
 * instead of a buffer.
 */
#ifndef TEND_DOCKER_HTTP_H
#define TEND_DOCKER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "evloop.h"

struct http;
struct http_req;

/* Streaming body data; return false to abort the transfer (on_done then reports it). */
typedef bool http_data_fn(void *arg, const char *data, size_t len);
/* The transfer ended. status is the HTTP status (0 if none came); error is NULL on success
 * or curl's message; body/len the buffered body (empty when streaming). The request is freed
 * right after this returns. */
typedef void http_done_fn(void *arg, long status, const char *body, size_t len, const char *error);

struct http *http_new(struct evloop *loop, const char *socket_path);
void http_free(struct http *http);
/* Prefix every later path with "/v<version>" (empty before negotiation). */
void http_set_version(struct http *http, const char *version);
const char *http_version(const struct http *http);

struct http_options {
	const char *method;	  /* "GET" or "POST" */
	const char *json_body;	  /* POST body, or NULL */
	size_t body_limit;	  /* bytes of response kept when not streaming (rest dropped) */
	long timeout_ms;	  /* whole transfer, 0 for none */
	http_data_fn *on_data;	  /* streaming: body goes here, nothing is buffered */
	char *api_version_header; /* if set, receives the Api-Version response header (16) */
};

/* Start a request. NULL if it could not be started (on_done is then never called). */
struct http_req *http_request(struct http *http, const char *path, const struct http_options *opt,
			      http_done_fn *on_done, void *arg);
/* Abort a request without calling on_done. Not from inside its own callbacks. */
void http_cancel(struct http_req *req);

/* End every request in flight (on_done gets the error "shutting down") and refuse new ones. */
void http_shutdown(struct http *http);

/* The evloop's hook for finished transfers. */
void http_transfer_done(CURL *easy, CURLcode result);

#endif
