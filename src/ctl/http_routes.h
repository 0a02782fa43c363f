/*
 * http_routes.h — what the HTTP face answers: /healthz, /readyz, /services,
 * /services/NAME and /metrics (Prometheus text format 0.0.4). The server (http.c) parses and
 * bounds the request; this file only turns a good GET into a response.
 */
#ifndef TEND_CTL_HTTP_ROUTES_H
#define TEND_CTL_HTTP_ROUTES_H

#include <stdint.h>

#include "ctl/buf.h"

struct system;
struct http_request;

#define HTTP_EXIT_CODES	  256
#define HTTP_EXIT_SIGNALS 65

/* Counted by the server and reported in /metrics. */
struct http_stats {
	uint64_t requests[6]; /* by class: 1xx..5xx (index 1-5), 0 unused */
	uint64_t refused;     /* connections over the limit */
	uint64_t timeouts;    /* slow clients dropped */
	uint64_t exits_by_code[HTTP_EXIT_CODES];
	uint64_t exits_by_signal[HTTP_EXIT_SIGNALS];
};

struct http_response {
	int status;
	const char *content_type;
	struct ctl_buf body;
};

const char *http_reason(int status);

/* Fill resp (status, type, body) for a parsed GET/HEAD. */
void http_routes_handle(struct system *system, const struct http_stats *stats,
			const struct http_request *req, struct http_response *resp);

/* The Prometheus exposition (also handy for tests). */
void http_metrics(struct system *system, const struct http_stats *stats, struct ctl_buf *out);

#endif
