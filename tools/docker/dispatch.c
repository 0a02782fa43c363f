/*
 * dispatch.c — the run queue (see dispatch.h). Container targets run through the Engine's
 * exec API as `sh -c BODY`; the host runs through hostexec. The queue is a plain list: there
 * are few jobs at once, and a linear scan for "first job whose target is idle" keeps the
 * per-target order obvious.
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "hostexec.h"
#include "report.h"

struct running {
	struct dispatch *dispatch;
	struct dispatch_job *job;
	struct hostexec *host; /* a %host run, so shutdown can let go of it */
};

struct dispatch {
	struct evloop *loop;
	struct engine *engine;
	struct dispatch_config config;
	struct dispatch_job *queue, *tail;
	size_t queued, dropped;
	struct running **running; /* max_running slots */
	size_t n_running;
	bool stopping; /* no new runs start */
};

struct dispatch *dispatch_new(struct evloop *loop, struct engine *engine,
			      const struct dispatch_config *config)
{
	struct dispatch *dispatch = calloc(1, sizeof(*dispatch));
	if (!dispatch)
		return NULL;
	dispatch->loop = loop;
	dispatch->engine = engine;
	dispatch->config = *config;
	if (dispatch->config.max_running == 0)
		dispatch->config.max_running = 1;
	dispatch->running = calloc(dispatch->config.max_running, sizeof(*dispatch->running));
	if (!dispatch->running) {
		free(dispatch);
		return NULL;
	}
	return dispatch;
}

static void job_free(struct dispatch_job *job)
{
	if (!job)
		return;
	free(job->event);
	free(job->owner_id);
	free(job->owner_name);
	free(job->script);
	free(job->body);
	free(job->target_id);
	free(job->target_name);
	free(job->registrar_id);
	free(job->registrar_name);
	free(job);
}

void dispatch_free(struct dispatch *dispatch)
{
	if (!dispatch)
		return;
	while (dispatch->queue) {
		struct dispatch_job *next = dispatch->queue->next;
		job_free(dispatch->queue);
		dispatch->queue = next;
	}
	free(dispatch->running);
	free(dispatch);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

struct dispatch_job *dispatch_job_new(const char *event, const char *owner_id,
				      const char *owner_name, const char *script, const char *body,
				      const char *target_id, const char *target_name,
				      const char *registrar_id, const char *registrar_name)
{
	struct dispatch_job *job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->host = target_id == NULL;
	job->event = dup_or_empty(event);
	job->owner_id = dup_or_empty(owner_id);
	job->owner_name = dup_or_empty(owner_name);
	job->script = dup_or_empty(script);
	job->body = dup_or_empty(body);
	job->target_id = dup_or_empty(job->host ? "%host" : target_id);
	job->target_name = dup_or_empty(job->host ? "%host" : target_name);
	job->registrar_id = dup_or_empty(registrar_id);
	job->registrar_name = dup_or_empty(registrar_name);
	if (!job->event || !job->owner_id || !job->owner_name || !job->script || !job->body ||
	    !job->target_id || !job->target_name || !job->registrar_id || !job->registrar_name) {
		job_free(job);
		return NULL;
	}
	return job;
}

size_t dispatch_pending(const struct dispatch *dispatch)
{
	return dispatch->queued + dispatch->n_running;
}

size_t dispatch_dropped(const struct dispatch *dispatch)
{
	return dispatch->dropped;
}

static json_t *job_fields(const struct dispatch_job *job)
{
	return json_pack("{s:s,s:{s:s,s:s},s:s,s:{s:s,s:s},s:{s:s,s:s}}", "event", job->event,
			 "owner", "id", job->owner_id, "name", job->owner_name, "script",
			 job->script, "target", "id", job->target_id, "name", job->target_name,
			 "registrar", "id", job->registrar_id, "name", job->registrar_name);
}

static void report_job(const struct dispatch_job *job, const struct engine_exec_result *result)
{
	json_t *fields = job_fields(job);
	if (!fields)
		return;
	const char *status = result->error	      ? "error"
			     : result->timed_out      ? "timeout"
			     : result->exit_code == 0 ? "ok"
						      : "failed";
	json_object_set_new(fields, "status", json_string(status));
	json_object_set_new(fields, "exit_code",
			    result->exit_code >= 0 ? json_integer(result->exit_code) : json_null());
	json_object_set_new(fields, "duration_ms", json_integer((json_int_t)result->duration_ms));
	json_object_set_new(fields, "stdout", report_string(result->out, result->out_len));
	json_object_set_new(fields, "stderr", report_string(result->err, result->err_len));
	if (result->dropped)
		json_object_set_new(fields, "output_dropped",
				    json_integer((json_int_t)result->dropped));
	if (result->timed_out)
		json_object_set_new(fields, "killed", json_boolean(result->killed));
	if (result->error)
		json_object_set_new(fields, "error", json_string(result->error));
	report_record("dispatch", fields);
}

static void dispatch_pump(struct dispatch *dispatch);

static void running_remove(struct dispatch *dispatch, struct running *run)
{
	for (size_t i = 0; i < dispatch->n_running; i++) {
		if (dispatch->running[i] == run) {
			dispatch->running[i] = dispatch->running[--dispatch->n_running];
			return;
		}
	}
}

static void on_job_done(void *arg, const struct engine_exec_result *result)
{
	struct running *run = arg;
	struct dispatch *dispatch = run->dispatch;
	report_job(run->job, result);
	running_remove(dispatch, run);
	job_free(run->job);
	free(run);
	dispatch_pump(dispatch);
}

static void env_add(const char **env, size_t *n, char *storage, size_t *used, size_t size,
		    const char *key, const char *value)
{
	int len = snprintf(storage + *used, size - *used, "%s=%s", key, value);
	if (len < 0 || (size_t)len >= size - *used)
		return;
	env[(*n)++] = storage + *used;
	*used += (size_t)len + 1;
}

/* Start one job; on failure report it at once. */
static void job_start(struct dispatch *dispatch, struct dispatch_job *job)
{
	const struct dispatch_config *c = &dispatch->config;
	char storage[2048];
	size_t used = 0, n = 0;
	const char *env[8];
	env_add(env, &n, storage, &used, sizeof(storage), "CONTRAINER_ID",
		c->self_id ? c->self_id : "");
	env_add(env, &n, storage, &used, sizeof(storage), "CONTRAINER_NAME",
		c->self_name ? c->self_name : "");
	env_add(env, &n, storage, &used, sizeof(storage), "REGISTRAR_CONTAINER_ID",
		job->registrar_id);
	env_add(env, &n, storage, &used, sizeof(storage), "REGISTRAR_CONTAINER_NAME",
		job->registrar_name);
	env_add(env, &n, storage, &used, sizeof(storage), "SYSTEM_ID", job->target_id);
	env_add(env, &n, storage, &used, sizeof(storage), "SYSTEM_NAME", job->target_name);
	env_add(env, &n, storage, &used, sizeof(storage), "DOCKER_EVENT", job->event);
	env[n] = NULL;

	struct engine_exec_result failed = {.exit_code = -1};
	struct running *run = malloc(sizeof(*run));
	if (!run) {
		failed.error = "out of memory";
		report_job(job, &failed);
		job_free(job);
		return;
	}
	*run = (struct running){dispatch, job, NULL};
	dispatch->running[dispatch->n_running++] = run;
	if (c->dry_run) {
		failed.error = NULL;
		json_t *fields = job_fields(job);
		json_object_set_new(fields, "dry_run", json_true());
		json_object_set_new(fields, "body", report_string(job->body, strlen(job->body)));
		report_record("dispatch", fields);
		running_remove(dispatch, run);
		job_free(job);
		free(run);
		return;
	}
	int rc;
	if (job->host) {
		struct hostexec_options opt = {.proc_root = c->proc_root,
					       .host_pid = c->host_pid,
					       .body = job->body,
					       .env = env,
					       .output_limit = c->output_limit,
					       .timeout_ms = c->timeout_ms};
		run->host =
		    c->host_pid > 0 ? hostexec_run(dispatch->loop, &opt, on_job_done, run) : NULL;
		rc = run->host ? 0 : -1;
		failed.error =
		    c->host_pid > 0 ? "cannot start the host process" : "%host is disabled";
	} else {
		const char *argv[] = {"sh", "-c", job->body, NULL};
		struct engine_exec_options opt = {.container_id = job->target_id,
						  .argv = argv,
						  .env = env,
						  .output_limit = c->output_limit,
						  .timeout_ms = c->timeout_ms};
		rc = engine_exec(dispatch->engine, &opt, on_job_done, run) ? 0 : -1;
		failed.error = "cannot start the exec request";
	}
	if (rc < 0) {
		report_job(job, &failed);
		running_remove(dispatch, run);
		job_free(job);
		free(run);
	}
}

static bool target_busy(const struct dispatch *dispatch, const struct dispatch_job *job)
{
	for (size_t i = 0; i < dispatch->n_running; i++)
		if (strcmp(dispatch->running[i]->job->target_id, job->target_id) == 0)
			return true;
	return false;
}

static void dispatch_pump(struct dispatch *dispatch)
{
	struct dispatch_job **at = &dispatch->queue;
	struct dispatch_job *prev = NULL;
	while (*at && !dispatch->stopping && dispatch->n_running < dispatch->config.max_running) {
		struct dispatch_job *job = *at;
		/* skip a busy target, and every later job of a target skipped before it */
		bool blocked = target_busy(dispatch, job);
		for (struct dispatch_job *earlier = dispatch->queue; !blocked && earlier != job;
		     earlier = earlier->next)
			blocked = strcmp(earlier->target_id, job->target_id) == 0;
		if (blocked) {
			prev = job;
			at = &job->next;
			continue;
		}
		*at = job->next;
		if (dispatch->tail == job)
			dispatch->tail = prev;
		job->next = NULL;
		dispatch->queued--;
		job_start(dispatch, job);
		/* job_start may have finished synchronously and pumped: restart the scan */
		at = &dispatch->queue;
		prev = NULL;
	}
}

void dispatch_stop(struct dispatch *dispatch)
{
	dispatch->stopping = true;
	if (dispatch->queued > 0)
		report_text("stopping: %zu queued runs will not start", dispatch->queued);
	/* host runs are ours to let go of; container runs end with the engine's requests */
	for (size_t i = dispatch->n_running; i-- > 0;) {
		if (i < dispatch->n_running && dispatch->running[i]->host)
			hostexec_abandon(dispatch->running[i]->host);
	}
}

void dispatch_submit(struct dispatch *dispatch, struct dispatch_job *job)
{
	if (dispatch->stopping) {
		job_free(job);
		return;
	}
	if (dispatch->queued >= dispatch->config.max_queued) {
		dispatch->dropped++;
		report_text(
		    "run queue full (%zu jobs): dropped %s on %s for %s (%zu dropped so far)",
		    dispatch->queued, job->script, job->target_name, job->event, dispatch->dropped);
		job_free(job);
		return;
	}
	job->queued_ms = evloop_now_ms();
	if (dispatch->tail)
		dispatch->tail->next = job;
	else
		dispatch->queue = job;
	dispatch->tail = job;
	dispatch->queued++;
	dispatch_pump(dispatch);
}
