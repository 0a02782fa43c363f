/*
 * discovery.c — see discovery.h. One chain of asynchronous steps per container:
 * inspect -> list -> run script 1 -> ... -> run script n -> done.
 */
#include "discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct discovery {
	struct engine *engine;
	struct discovery_options opt;
	char id[72];
	discovery_fn *fn;
	void *arg;
	struct discovery_result result;
	json_t *labels;
	char **paths;
	size_t n_paths, next;
};

void script_free(struct script *script)
{
	free(script->path);
	free(script->body);
	header_free(&script->header);
	memset(script, 0, sizeof(*script));
}

static uint64_t fnv(uint64_t h, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
	return (h ^ 0xffu) * 1099511628211ULL;
}

int discovery_parse_output(const char *output, size_t len, struct script *script,
			   struct header_error *err)
{
	while (len > 0 && output[len - 1] == '\n')
		len--;
	if (len == 0)
		return 1;
	const char *newline = memchr(output, '\n', len);
	size_t header_len = newline ? (size_t)(newline - output) : len;
	if (header_parse(output, header_len, &script->header, err) < 0)
		return -1;
	const char *body = newline ? newline + 1 : output + len;
	script->body = strndup(body, (size_t)(output + len - body));
	if (!script->body) {
		header_free(&script->header);
		snprintf(err->message, sizeof(err->message), "out of memory");
		return -1;
	}
	return 0;
}

static void discovery_done(struct discovery *d)
{
	d->result.labels = d->labels;
	d->fn(d->arg, &d->result);
	for (size_t i = 0; i < d->n_paths; i++)
		free(d->paths[i]);
	free(d->paths);
	json_decref(d->labels);
	free(d);
}

static void run_next(struct discovery *d);

static json_t *script_fields(const struct discovery *d, const char *path)
{
	return json_pack("{s:{s:s,s:s},s:s}", "container", "id", d->id, "name", d->result.name,
			 "script", path);
}

static void on_script(void *arg, const struct engine_exec_result *r)
{
	struct discovery *d = arg;
	const char *path = d->paths[d->next - 1];
	const char *problem = NULL;
	if (r->error)
		problem = r->error;
	else if (r->timed_out)
		problem = "timed out";
	else if (r->exit_code != 0)
		problem = "exited with a non-zero code";
	else if (r->dropped > 0)
		problem = "output larger than the script size limit";
	else if (!report_is_text(r->out, r->out_len))
		problem = "output is not UTF-8 text (or holds a NUL byte)";
	if (r->err_len > 0 || problem) {
		json_t *fields = script_fields(d, path);
		json_object_set_new(fields, "exit_code",
				    r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
		json_object_set_new(fields, "stderr", report_string(r->err, r->err_len));
		if (problem)
			json_object_set_new(fields, "error", json_string(problem));
		report_record(problem ? "script_skipped" : "script_stderr", fields);
	}
	if (!problem) {
		struct script script = {0};
		struct header_error err;
		int rc = discovery_parse_output(r->out, r->out_len, &script, &err);
		if (rc < 0) {
			json_t *fields = script_fields(d, path);
			json_object_set_new(fields, "column", json_integer((json_int_t)err.column));
			json_object_set_new(fields, "error", json_string(err.message));
			const char *nl = memchr(r->out, '\n', r->out_len);
			json_object_set_new(
			    fields, "header",
			    report_string(r->out, nl ? (size_t)(nl - r->out) : r->out_len));
			report_record("invalid_header", fields);
			report_text("%s: %s: invalid header at column %zu: %s", d->result.name,
				    path, err.column, err.message);
		} else if (rc == 0) {
			script.path = strdup(path);
			uint64_t key = fnv(1469598103934665603ULL, d->id, strlen(d->id));
			key = fnv(key, path, strlen(path));
			script.key = fnv(key, r->out, r->out_len);
			struct script *grown =
			    realloc(d->result.scripts, (d->result.n_scripts + 1) * sizeof(*grown));
			if (script.path && grown) {
				d->result.scripts = grown;
				d->result.scripts[d->result.n_scripts++] = script;
			} else {
				if (grown)
					d->result.scripts = grown;
				script_free(&script);
			}
		}
	}
	run_next(d);
}

static void run_next(struct discovery *d)
{
	while (d->next < d->n_paths) {
		const char *path = d->paths[d->next++];
		const char *argv[] = {path, NULL};
		struct engine_exec_options opt = {.container_id = d->id,
						  .argv = argv,
						  .output_limit = d->opt.max_script_size,
						  .timeout_ms = d->opt.timeout_ms};
		if (engine_exec(d->engine, &opt, on_script, d))
			return;
		report_text("%s: %s: cannot start the exec request", d->result.name, path);
	}
	discovery_done(d);
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_list(void *arg, const struct engine_exec_result *r)
{
	struct discovery *d = arg;
	if (r->error || r->timed_out) {
		report_text("%s: cannot list %s: %s", d->result.name, d->opt.script_dir,
			    r->error ? r->error : "timed out");
		discovery_done(d);
		return;
	}
	char *list = strndup(r->out, r->out_len);
	d->paths = calloc(d->opt.max_scripts, sizeof(char *));
	if (!list || !d->paths) {
		free(list);
		discovery_done(d);
		return;
	}
	size_t prefix = strlen(d->opt.script_dir);
	char *save = NULL;
	for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* only what the glob can produce: DIR/<name> */
		if (strncmp(line, d->opt.script_dir, prefix) != 0 || line[prefix] != '/')
			continue;
		if (d->n_paths == d->opt.max_scripts) {
			report_text("%s: more than %zu scripts in %s; the rest are ignored",
				    d->result.name, d->opt.max_scripts, d->opt.script_dir);
			break;
		}
		d->paths[d->n_paths] = strdup(line);
		if (d->paths[d->n_paths])
			d->n_paths++;
	}
	free(list);
	qsort(d->paths, d->n_paths, sizeof(char *), compare_paths);
	run_next(d);
}

static void on_inspect(void *arg, json_t *value, long status, const char *error)
{
	struct discovery *d = arg;
	json_t *state = json_object_get(value, "State");
	json_t *name = json_object_get(value, "Name");
	json_t *config = json_object_get(value, "Config");
	if (!value || !json_is_true(json_object_get(state, "Running"))) {
		discovery_done(d); /* gone or stopped again: nothing to register */
		return;
	}
	d->result.running = true;
	const char *n = json_is_string(name) ? json_string_value(name) : "";
	snprintf(d->result.name, sizeof(d->result.name), "%s", n[0] == '/' ? n + 1 : n);
	json_t *started = json_object_get(state, "StartedAt");
	if (json_is_string(started))
		snprintf(d->result.started_at, sizeof(d->result.started_at), "%s",
			 json_string_value(started));
	json_t *labels = json_object_get(config, "Labels");
	if (json_is_object(labels))
		d->labels = json_incref(labels);
	/* [ -f ] follows symlinks, find -type f did not: exclude links explicitly */
	char command[512];
	snprintf(command, sizeof(command),
		 "for f in %s/*; do [ -f \"$f\" ] && [ ! -L \"$f\" ] && [ -x \"$f\" ] && "
		 "echo \"$f\"; done; true",
		 d->opt.script_dir);
	const char *argv[] = {"sh", "-c", command, NULL};
	struct engine_exec_options opt = {.container_id = d->id,
					  .argv = argv,
					  .output_limit = 256u << 10,
					  .timeout_ms = d->opt.timeout_ms};
	if (!engine_exec(d->engine, &opt, on_list, d))
		discovery_done(d);
}

int discovery_start(struct engine *engine, const struct discovery_options *opt, const char *id,
		    discovery_fn *fn, void *arg)
{
	struct discovery *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	d->engine = engine;
	d->opt = *opt;
	d->fn = fn;
	d->arg = arg;
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->result.name, sizeof(d->result.name), "%.12s", id);
	char path[128];
	snprintf(path, sizeof(path), "/containers/%s/json", d->id);
	if (engine_get_json(engine, path, on_inspect, d) < 0) {
		free(d);
		return -1;
	}
	return 0;
}
