/*
 * engine.c — Engine API operations on top of http.c (see engine.h).
 *
 * An exec is a small chain: create (POST /containers/{id}/exec), start (POST
 * /exec/{id}/start: the daemon hijacks the connection and writes the 8-byte framed output until
 * the process exits), then inspect (GET /exec/{id}/json) for the exit code. A deadline cancels
 * the start; the process keeps running in the container unless we can see its pid (tend-docker
 * on the host or with --pid=host), in which case it and its descendants are killed.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "http.h"
#include "proctree.h"

#define ENGINE_JSON_LIMIT  (8u << 20) /* container lists of a big host */
#define ENGINE_LINE_MAX	   (64u << 10)
#define ENGINE_BACKLOG_MAX (8u << 20) /* lines received, not yet handled */

/* A line waiting to be handled: curl delivers data from inside curl_multi_perform, where
 * starting another transfer is not allowed, so lines are handed on from a timer. */
struct engine_line {
	struct engine_line *next;
	size_t len;
	char text[];
};

struct engine {
	struct evloop *loop;
	struct http *http;
	char version[16];
	/* events stream */
	char *line;
	size_t line_len;
	bool line_overflow;
	size_t dropped_lines;
	struct engine_line *backlog, *backlog_tail;
	size_t backlog_bytes;
	struct evloop_timer deliver;
	engine_line_fn *on_line;
	engine_end_fn *on_end;
	void *events_arg;
};

static void events_deliver(struct evloop *loop, void *arg);

struct engine *engine_new(struct evloop *loop, const char *socket_path)
{
	struct engine *engine = calloc(1, sizeof(*engine));
	if (!engine)
		return NULL;
	engine->loop = loop;
	evloop_timer_init(&engine->deliver, events_deliver, engine);
	engine->http = http_new(loop, socket_path);
	engine->line = malloc(ENGINE_LINE_MAX);
	if (!engine->http || !engine->line) {
		engine_free(engine);
		return NULL;
	}
	return engine;
}

void engine_free(struct engine *engine)
{
	if (!engine)
		return;
	evloop_timer_stop(engine->loop, &engine->deliver);
	while (engine->backlog) {
		struct engine_line *next = engine->backlog->next;
		free(engine->backlog);
		engine->backlog = next;
	}
	http_free(engine->http);
	free(engine->line);
	free(engine);
}

void engine_shutdown(struct engine *engine)
{
	evloop_timer_stop(engine->loop, &engine->deliver);
	http_shutdown(engine->http);
}

const char *engine_api_version(const struct engine *engine)
{
	return engine->version;
}

/* ---- version negotiation ---- */

static int version_cmp(const char *a, const char *b)
{
	unsigned long a1 = strtoul(a, NULL, 10), b1 = strtoul(b, NULL, 10);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	unsigned long a2 = ad ? strtoul(ad + 1, NULL, 10) : 0,
		      b2 = bd ? strtoul(bd + 1, NULL, 10) : 0;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return a2 < b2 ? -1 : a2 > b2;
}

struct negotiation {
	struct engine *engine;
	engine_ready_fn *fn;
	void *arg;
	char header[16];
};

static void negotiation_pin(struct negotiation *n, const char *server)
{
	struct engine *engine = n->engine;
	const char *use = version_cmp(server, ENGINE_API_MAX) < 0 ? server : ENGINE_API_MAX;
	if (version_cmp(use, ENGINE_API_MIN) < 0) {
		char message[96];
		snprintf(message, sizeof(message), "engine API %s is older than %s", server,
			 ENGINE_API_MIN);
		n->fn(n->arg, message);
		free(n);
		return;
	}
	snprintf(engine->version, sizeof(engine->version), "%s", use);
	http_set_version(engine->http, engine->version);
	n->fn(n->arg, NULL);
	free(n);
}

static void on_version(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct negotiation *n = arg;
	json_t *root = error || status != 200 ? NULL : json_loadb(body, len, 0, NULL);
	json_t *v = json_object_get(root, "ApiVersion");
	if (!json_is_string(v)) {
		json_decref(root);
		n->fn(n->arg, error ? error : "no ApiVersion in /version");
		free(n);
		return;
	}
	char server[16];
	snprintf(server, sizeof(server), "%s", json_string_value(v));
	json_decref(root);
	negotiation_pin(n, server);
}

static void on_ping(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct negotiation *n = arg;
	if (error) {
		n->fn(n->arg, error);
		free(n);
		return;
	}
	if (status == 200 && n->header[0] != '\0') {
		negotiation_pin(n, n->header);
		return;
	}
	struct http_options opt = {.method = "GET", .body_limit = 64 << 10, .timeout_ms = 30000};
	if (!http_request(n->engine->http, "/version", &opt, on_version, n)) {
		n->fn(n->arg, "cannot start a request");
		free(n);
	}
}

int engine_negotiate(struct engine *engine, engine_ready_fn *fn, void *arg)
{
	struct negotiation *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	*n = (struct negotiation){.engine = engine, .fn = fn, .arg = arg};
	struct http_options opt = {.method = "GET",
				   .body_limit = 1024,
				   .timeout_ms = 30000,
				   .api_version_header = n->header};
	if (!http_request(engine->http, "/_ping", &opt, on_ping, n)) {
		free(n);
		return -1;
	}
	return 0;
}

/* ---- JSON GET ---- */

struct json_call {
	engine_json_fn *fn;
	void *arg;
};

/* The Engine's error bodies are {"message": "..."}; pass that on. */
static void error_message(char *out, size_t size, long status, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *message = json_object_get(root, "message");
	snprintf(out, size, "HTTP %ld: %s", status,
		 json_is_string(message) ? json_string_value(message) : "(no message)");
	json_decref(root);
}

static void on_json(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct json_call *call = arg;
	char message[256];
	json_t *value = NULL;
	if (!error && status >= 200 && status < 300) {
		value = json_loadb(body, len, 0, NULL);
		if (!value)
			error = "the engine sent invalid JSON";
	} else if (!error) {
		error_message(message, sizeof(message), status, body, len);
		error = message;
	}
	call->fn(call->arg, value, status, error);
	json_decref(value);
	free(call);
}

int engine_get_json(struct engine *engine, const char *path, engine_json_fn *fn, void *arg)
{
	struct json_call *call = malloc(sizeof(*call));
	if (!call)
		return -1;
	*call = (struct json_call){fn, arg};
	struct http_options opt = {
	    .method = "GET", .body_limit = ENGINE_JSON_LIMIT, .timeout_ms = 60000};
	if (!http_request(engine->http, path, &opt, on_json, call)) {
		free(call);
		return -1;
	}
	return 0;
}

/* ---- exec ---- */

struct engine_exec {
	struct engine *engine;
	engine_exec_fn *fn;
	void *arg;
	size_t limit;
	uint64_t timeout_ms, started_ms;
	char exec_id[80];
	char container_id[72]; /* recognizes the process before killing it */
	struct http_req *start_req;
	struct evloop_timer deadline;
	struct frames frames;
	char *out, *err;
	size_t out_len, err_len, dropped;
	bool timed_out, killed;
	char error[256];
};

static void exec_finish(struct engine_exec *x, int exit_code)
{
	evloop_timer_stop(x->engine->loop, &x->deadline);
	struct engine_exec_result result = {
	    .exit_code = exit_code,
	    .timed_out = x->timed_out,
	    .killed = x->killed,
	    .error = x->error[0] ? x->error : NULL,
	    .out = x->out ? x->out : "",
	    .err = x->err ? x->err : "",
	    .out_len = x->out_len,
	    .err_len = x->err_len,
	    .dropped = x->dropped,
	    .duration_ms = evloop_now_ms() - x->started_ms,
	};
	x->fn(x->arg, &result);
	free(x->out);
	free(x->err);
	free(x);
}

static void append_bounded(struct engine_exec *x, char **buf, size_t *len, const char *data,
			   size_t n)
{
	size_t room = x->limit > *len ? x->limit - *len : 0;
	size_t take = n < room ? n : room;
	if (take > 0) {
		char *grown = realloc(*buf, *len + take + 1);
		if (!grown) {
			x->dropped += n;
			return;
		}
		*buf = grown;
		memcpy(*buf + *len, data, take);
		*len += take;
		(*buf)[*len] = '\0';
	}
	x->dropped += n - take;
}

static void exec_sink(void *arg, enum frames_stream stream, const char *data, size_t len)
{
	struct engine_exec *x = arg;
	if (stream == FRAMES_STDOUT)
		append_bounded(x, &x->out, &x->out_len, data, len);
	else
		append_bounded(x, &x->err, &x->err_len, data, len);
}

static bool exec_on_data(void *arg, const char *data, size_t len)
{
	struct engine_exec *x = arg;
	frames_feed(&x->frames, data, len, exec_sink, x);
	return true;
}

static void exec_on_inspect(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct engine_exec *x = arg;
	int exit_code = -1;
	json_t *root = error || status != 200 ? NULL : json_loadb(body, len, 0, NULL);
	json_t *code = json_object_get(root, "ExitCode");
	json_t *running = json_object_get(root, "Running");
	json_t *pid = json_object_get(root, "Pid");
	if (x->timed_out) {
		/* the pid is in the daemon's namespace: only kill it if it is visibly ours */
		if (json_is_true(running) && json_is_integer(pid))
			x->killed =
			    proctree_kill((int)json_integer_value(pid), x->container_id) > 0;
	} else if (json_is_integer(code) && !json_is_true(running)) {
		exit_code = (int)json_integer_value(code);
	} else if (!x->error[0]) {
		snprintf(x->error, sizeof(x->error), "exit code unavailable%s%s", error ? ": " : "",
			 error ? error : "");
	}
	json_decref(root);
	exec_finish(x, exit_code);
}

static void exec_inspect(struct engine_exec *x)
{
	char path[128];
	snprintf(path, sizeof(path), "/exec/%s/json", x->exec_id);
	struct http_options opt = {.method = "GET", .body_limit = 64 << 10, .timeout_ms = 30000};
	if (!http_request(x->engine->http, path, &opt, exec_on_inspect, x)) {
		snprintf(x->error, sizeof(x->error), "cannot inspect exec");
		exec_finish(x, -1);
	}
}

static void exec_on_start(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct engine_exec *x = arg;
	x->start_req = NULL;
	/* the process is done: the deadline must not start a second inspect */
	evloop_timer_stop(x->engine->loop, &x->deadline);
	if (error)
		snprintf(x->error, sizeof(x->error), "exec start: %s", error);
	else if (status != 200 && status != 101)
		error_message(x->error, sizeof(x->error), status, body, len);
	exec_inspect(x);
}

static void exec_on_deadline(struct evloop *loop, void *arg)
{
	struct engine_exec *x = arg;
	x->timed_out = true;
	http_cancel(x->start_req);
	x->start_req = NULL;
	exec_inspect(x);
}

static void exec_on_create(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct engine_exec *x = arg;
	json_t *root = NULL;
	if (error) {
		snprintf(x->error, sizeof(x->error), "exec create: %s", error);
	} else if (status != 201) {
		error_message(x->error, sizeof(x->error), status, body, len);
	} else {
		root = json_loadb(body, len, 0, NULL);
		json_t *id = json_object_get(root, "Id");
		if (json_is_string(id) && strlen(json_string_value(id)) < sizeof(x->exec_id))
			snprintf(x->exec_id, sizeof(x->exec_id), "%s", json_string_value(id));
		else
			snprintf(x->error, sizeof(x->error), "exec create: no Id in the reply");
	}
	json_decref(root);
	if (x->error[0]) {
		exec_finish(x, -1);
		return;
	}
	char path[128];
	snprintf(path, sizeof(path), "/exec/%s/start", x->exec_id);
	struct http_options opt = {.method = "POST",
				   .json_body = "{\"Detach\":false,\"Tty\":false}",
				   .on_data = exec_on_data};
	x->start_req = http_request(x->engine->http, path, &opt, exec_on_start, x);
	if (!x->start_req) {
		snprintf(x->error, sizeof(x->error), "cannot start exec");
		exec_finish(x, -1);
		return;
	}
	if (x->timeout_ms > 0)
		evloop_timer_start(x->engine->loop, &x->deadline, x->timeout_ms);
}

/* NULL if any item is not valid UTF-8: a missing argument must never shift the others. */
static json_t *string_array(const char *const *items)
{
	json_t *array = json_array();
	for (size_t i = 0; array && items && items[i]; i++) {
		if (json_array_append_new(array, json_string(items[i])) < 0) {
			json_decref(array);
			return NULL;
		}
	}
	return array;
}

struct engine_exec *engine_exec(struct engine *engine, const struct engine_exec_options *opt,
				engine_exec_fn *fn, void *arg)
{
	struct engine_exec *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->engine = engine;
	x->fn = fn;
	x->arg = arg;
	x->limit = opt->output_limit;
	x->timeout_ms = opt->timeout_ms;
	x->started_ms = evloop_now_ms();
	frames_init(&x->frames);
	evloop_timer_init(&x->deadline, exec_on_deadline, x);
	snprintf(x->container_id, sizeof(x->container_id), "%s", opt->container_id);
	json_t *body = json_pack("{s:b,s:b,s:b,s:b,s:o,s:o}", "AttachStdout", 1, "AttachStderr", 1,
				 "AttachStdin", 0, "Tty", 0, "Cmd", string_array(opt->argv), "Env",
				 string_array(opt->env));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		free(x);
		return NULL;
	}
	char path[160];
	snprintf(path, sizeof(path), "/containers/%s/exec", opt->container_id);
	struct http_options hopt = {
	    .method = "POST", .json_body = text, .body_limit = 64 << 10, .timeout_ms = 30000};
	struct http_req *req = http_request(engine->http, path, &hopt, exec_on_create, x);
	free(text);
	if (!req) {
		free(x);
		return NULL;
	}
	return x;
}

/* ---- events ---- */

static void events_deliver(struct evloop *loop, void *arg)
{
	struct engine *engine = arg;
	while (engine->backlog) {
		struct engine_line *line = engine->backlog;
		engine->backlog = line->next;
		if (!engine->backlog)
			engine->backlog_tail = NULL;
		engine->backlog_bytes -= line->len;
		engine->on_line(engine->events_arg, line->text, line->len);
		free(line);
	}
}

static void events_queue_line(struct engine *engine)
{
	struct engine_line *line = NULL;
	if (engine->backlog_bytes + engine->line_len <= ENGINE_BACKLOG_MAX)
		line = malloc(sizeof(*line) + engine->line_len + 1);
	if (!line) {
		engine->dropped_lines++;
		return;
	}
	line->next = NULL;
	line->len = engine->line_len;
	memcpy(line->text, engine->line, engine->line_len);
	line->text[line->len] = '\0';
	if (engine->backlog_tail)
		engine->backlog_tail->next = line;
	else
		engine->backlog = line;
	engine->backlog_tail = line;
	engine->backlog_bytes += line->len;
	if (!engine->deliver.armed)
		evloop_timer_start(engine->loop, &engine->deliver, 0);
}

static bool events_on_data(void *arg, const char *data, size_t len)
{
	struct engine *engine = arg;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\n') {
			if (engine->line_overflow)
				engine->dropped_lines++;
			else if (engine->line_len > 0)
				events_queue_line(engine);
			engine->line_len = 0;
			engine->line_overflow = false;
		} else if (engine->line_len < ENGINE_LINE_MAX) {
			engine->line[engine->line_len++] = c;
		} else {
			engine->line_overflow = true;
		}
	}
	return true;
}

static void events_on_end(void *arg, long status, const char *body, size_t len, const char *error)
{
	struct engine *engine = arg;
	char message[256];
	if (!error) {
		if (status != 200)
			snprintf(message, sizeof(message), "HTTP %ld", status);
		else
			snprintf(message, sizeof(message), "the engine closed the stream");
		error = message;
	}
	/* lines that arrived before the end are handled before it */
	evloop_timer_stop(engine->loop, &engine->deliver);
	events_deliver(engine->loop, engine);
	engine->on_end(engine->events_arg, error);
}

int engine_follow_events(struct engine *engine, const char *since, engine_line_fn *on_line,
			 engine_end_fn *on_end, void *arg)
{
	/* filters={"type":["container"]}: the action is matched here, because Podman 4.3's
	 * event filter matches nothing */
	char path[256];
	snprintf(path, sizeof(path),
		 "/events?filters=%%7B%%22type%%22%%3A%%5B%%22container%%22%%5D%%7D%s%s",
		 since ? "&since=" : "", since ? since : "");
	engine->line_len = 0;
	engine->line_overflow = false;
	engine->on_line = on_line;
	engine->on_end = on_end;
	engine->events_arg = arg;
	struct http_options opt = {.method = "GET", .on_data = events_on_data};
	return http_request(engine->http, path, &opt, events_on_end, engine) ? 0 : -1;
}

size_t engine_dropped_event_lines(const struct engine *engine)
{
	return engine->dropped_lines;
}
