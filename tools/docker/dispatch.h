/*
 * dispatch.h — the run queue: one job is one script body run on one target for one event.
 *
 * Jobs for the same target run one at a time in the order they were submitted (so the
 * events of a container are served in order); jobs for different targets run in parallel, up
 * to a global limit, so one slow or hanging target never stalls the others. Each finished job
 * is reported as one "dispatch" record.
 */
#ifndef TEND_DOCKER_DISPATCH_H
#define TEND_DOCKER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "evloop.h"

struct dispatch_config {
	size_t max_running;  /* jobs in flight at once */
	size_t max_queued;   /* beyond this, new jobs are dropped and counted */
	uint64_t timeout_ms; /* per run */
	size_t output_limit; /* bytes kept per stream */
	bool dry_run;
	int host_pid; /* 0: %host disabled */
	const char *proc_root;
	const char *self_id, *self_name; /* CONTRAINER_ID / CONTRAINER_NAME */
};

struct dispatch_job {
	char *event; /* a Docker action, or "_inmediate" */
	char *owner_id, *owner_name, *script;
	char *body;
	bool host; /* target is the host; otherwise target_id */
	char *target_id, *target_name;
	char *registrar_id, *registrar_name; /* the container the event happened to */
	uint64_t queued_ms;
	struct dispatch_job *next;
};

struct dispatch;

struct dispatch *dispatch_new(struct evloop *loop, struct engine *engine,
			      const struct dispatch_config *config);
void dispatch_free(struct dispatch *dispatch);
/* Build a job (strings are copied; NULL for the target id means the host). NULL if out of
 * memory. */
struct dispatch_job *dispatch_job_new(const char *event, const char *owner_id,
				      const char *owner_name, const char *script, const char *body,
				      const char *target_id, const char *target_name,
				      const char *registrar_id, const char *registrar_name);
/* Queue a job (ownership passes); it starts as soon as its target and a slot are free. */
void dispatch_submit(struct dispatch *dispatch, struct dispatch_job *job);
/* At shutdown: nothing new starts, host runs are let go of (and reported). Container runs
 * end when the engine's requests are shut down. */
void dispatch_stop(struct dispatch *dispatch);
/* Jobs queued or running. */
size_t dispatch_pending(const struct dispatch *dispatch);
size_t dispatch_dropped(const struct dispatch *dispatch);

#endif
