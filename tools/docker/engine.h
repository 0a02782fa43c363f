/*
 * engine.h — the Docker Engine API calls tend-docker makes: version negotiation, JSON GETs
 * (container list, inspect), exec with captured output and a deadline, and the /events
 * stream split into lines. Everything is asynchronous on the evloop.
 */
#ifndef TEND_DOCKER_ENGINE_H
#define TEND_DOCKER_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"

/* The newest API version tend-docker speaks; it uses min(this, the server's). */
#define ENGINE_API_MAX "1.44"
#define ENGINE_API_MIN "1.24"

struct engine;

struct engine *engine_new(struct evloop *loop, const char *socket_path);
void engine_free(struct engine *engine);
/* End every request in flight (their callbacks see "shutting down"); no new ones start. */
void engine_shutdown(struct engine *engine);
const char *engine_api_version(const struct engine *engine);

/* Ask /_ping (its Api-Version header), or else /version, and pin the version. error is
 * NULL on success. */
typedef void engine_ready_fn(void *arg, const char *error);
int engine_negotiate(struct engine *engine, engine_ready_fn *fn, void *arg);

/* GET path and parse the body as JSON. value is NULL on any failure (then error says why);
 * the callee keeps no reference: decref is done after fn returns. */
typedef void engine_json_fn(void *arg, json_t *value, long status, const char *error);
int engine_get_json(struct engine *engine, const char *path, engine_json_fn *fn, void *arg);

struct engine_exec_options {
	const char *container_id;
	const char *const *argv; /* NULL-terminated */
	const char *const *env;	 /* NULL-terminated KEY=VALUE, or NULL */
	size_t output_limit;	 /* bytes kept per stream; the rest is counted */
	uint64_t timeout_ms;	 /* 0 for none */
};

struct engine_exec_result {
	int exit_code;	   /* -1 when unknown */
	bool timed_out;	   /* the deadline passed; the process was killed if we could see it */
	bool killed;	   /* ... and it was */
	const char *error; /* an API or transport failure, or NULL */
	const char *out, *err;
	size_t out_len, err_len;
	size_t dropped; /* output bytes beyond output_limit */
	uint64_t duration_ms;
};

typedef void engine_exec_fn(void *arg, const struct engine_exec_result *result);
struct engine_exec;
/* Start an exec. NULL if it could not be started (fn is then never called). */
struct engine_exec *engine_exec(struct engine *engine, const struct engine_exec_options *opt,
				engine_exec_fn *fn, void *arg);

/* Follow /events for containers from since ("seconds.nanoseconds", or NULL). on_line gets
 * each JSON line; on_end is called once when the stream ends, with why. Lines longer than
 * 64 KiB are dropped and counted. */
typedef void engine_line_fn(void *arg, const char *line, size_t len);
typedef void engine_end_fn(void *arg, const char *error);
int engine_follow_events(struct engine *engine, const char *since, engine_line_fn *on_line,
			 engine_end_fn *on_end, void *arg);
size_t engine_dropped_event_lines(const struct engine *engine);

#endif
