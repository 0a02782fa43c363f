/*
 * system_shutdown.c — stopping everything and choosing the exit code.
 *
 * Stages: (1) services are stopped in reverse dependency order, each with its kill_signal
 * sent to its process group, as soon as nothing that depends on it is still running, for at
 * most shutdown_timeout; (2) SIGTERM to every process left, then a short grace; (3) SIGKILL
 * to every process left, and wait until none is. A process that ignores SIGTERM can delay
 * tend by the two grace periods, never more.
 *
 * "Every process left" is kill(-1) when tend is PID 1 of its namespace; as a subreaper
 * (--force, not PID 1) kill(-1) would hit the whole machine, so tend signals only its own
 * descendants, found by walking /proc.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/proc.h"
#include "log/log.h"
#include "svc/service.h"
#include "system_internal.h"

#define TERM_GRACE_MS 1000
#define KILL_WAIT_MS  5000

struct process_list {
	struct proc_stat *procs;
	size_t n, cap;
};

static int collect_process(const struct proc_stat *stat, void *arg)
{
	struct process_list *list = arg;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		struct proc_stat *grown = realloc(list->procs, cap * sizeof(*grown));
		if (!grown)
			return 1; /* out of memory: signal what we have */
		list->procs = grown;
		list->cap = cap;
	}
	list->procs[list->n++] = *stat;
	return 0;
}

/* Signal every descendant of tend (subreaper mode). Returns how many were signalled. */
static size_t signal_descendants(int signo)
{
	pid_t self = getpid();
	struct process_list list = {0};
	proc_for_each(collect_process, &list);
	size_t signalled = 0;
	for (size_t i = 0; i < list.n; i++) {
		if (list.procs[i].pid == self)
			continue;
		/* Walk up the parent chain (bounded: a chain longer than n is impossible). */
		pid_t p = list.procs[i].ppid;
		for (size_t hops = 0; p > 1 && p != self && hops < list.n; hops++) {
			pid_t next = 0;
			for (size_t k = 0; k < list.n; k++)
				if (list.procs[k].pid == p) {
					next = list.procs[k].ppid;
					break;
				}
			p = next;
		}
		if (p == self && kill(list.procs[i].pid, signo) == 0)
			signalled++;
	}
	free(list.procs);
	return signalled;
}

static bool anything_left(struct system *s)
{
	if (s->params.is_pid1) {
		if (kill(-1, 0) == 0)
			return true;
		if (errno != ESRCH)
			return true;
	} else if (signal_descendants(0) > 0) {
		return true;
	}
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static void sweep(struct system *s, int signo)
{
	if (s->params.is_pid1)
		kill(-1, signo);
	else
		signal_descendants(signo);
}

static bool service_alive(const struct service *svc)
{
	return svc->pid > 0 || svc->attached_pid > 0;
}

static void finish(struct system *s)
{
	s->stage = SHUTDOWN_FINISHED;
	s->phase = PHASE_DONE;
	loop_timer_stop(s->loop, &s->shutdown_timer);
	tend_log(s->logger, LOG_SEVERITY_INFO, "Final termination phase.");
	loop_stop(s->loop);
}

static void enter_stage(struct system *s, enum shutdown_stage stage)
{
	s->stage = stage;
	switch (stage) {
	case SHUTDOWN_TERM:
		if (!anything_left(s)) {
			finish(s);
			return;
		}
		tend_log(s->logger, LOG_SEVERITY_INFO,
			 "sending SIGTERM to all remaining processes");
		sweep(s, SIGTERM);
		{
			double timeout = s->config->settings.shutdown_timeout;
			uint64_t grace =
			    s->services_waited ? TERM_GRACE_MS : (uint64_t)(timeout * 1000);
			loop_timer_start(s->loop, &s->shutdown_timer, grace);
		}
		break;
	case SHUTDOWN_KILL:
		if (!anything_left(s)) {
			finish(s);
			return;
		}
		tend_log(s->logger, LOG_SEVERITY_WARNING,
			 "Some processes remain; forcing kill (SIGKILL)");
		sweep(s, SIGKILL);
		loop_timer_start(s->loop, &s->shutdown_timer, KILL_WAIT_MS);
		break;
	default:
		break;
	}
}

/* Called on every child exit and service change while stopping. */
void shutdown_progress(struct system *s)
{
	if (s->phase != PHASE_STOPPING)
		return;
	if (s->stage == SHUTDOWN_SERVICES) {
		bool any_alive = false;
		/* Reverse start order: stop a service once none of its dependents is alive. */
		for (size_t k = s->graph.count; k-- > 0;) {
			struct service *svc = &s->services[s->graph.order[k]];
			if (svc->state == SVC_SCHEDULED || svc->state == SVC_BACKOFF ||
			    svc->state == SVC_WAITING) {
				service_dispatch(svc, SVC_EV_STOP);
				continue;
			}
			if (!service_alive(svc))
				continue;
			any_alive = true;
			if (svc->state == SVC_STOPPING)
				continue;
			bool dependents_alive = false;
			for (size_t d = 0; d < s->ndependents[svc->index]; d++)
				if (service_alive(&s->services[s->dependents[svc->index][d]]))
					dependents_alive = true;
			if (!dependents_alive)
				service_dispatch(svc, SVC_EV_STOP);
		}
		if (!any_alive) {
			loop_timer_stop(s->loop, &s->shutdown_timer);
			enter_stage(s, SHUTDOWN_TERM);
		}
		return;
	}
	if ((s->stage == SHUTDOWN_TERM || s->stage == SHUTDOWN_KILL) && !anything_left(s))
		finish(s);
}

void shutdown_timer_fired(struct loop *loop, void *arg)
{
	struct system *s = arg;
	switch (s->stage) {
	case SHUTDOWN_SERVICES:
		s->services_waited = true;
		tend_log(s->logger, LOG_SEVERITY_WARNING,
			 "services did not stop within shutdown_timeout");
		enter_stage(s, SHUTDOWN_TERM);
		break;
	case SHUTDOWN_TERM:
		enter_stage(s, SHUTDOWN_KILL);
		break;
	case SHUTDOWN_KILL:
		/* Unkillable (D state) processes: do not hang PID 1 forever on them. */
		tend_log(s->logger, LOG_SEVERITY_ERR, "processes survived SIGKILL; exiting anyway");
		finish(s);
		break;
	default:
		break;
	}
}

void system_shutdown(struct system *s, const char *reason, int exit_code)
{
	if (exit_code >= 0 && s->requested_exit < 0)
		s->requested_exit = exit_code;
	if (s->phase >= PHASE_STOPPING)
		return;
	s->phase = PHASE_STOPPING;
	s->stage = SHUTDOWN_SERVICES;
	loop_timer_stop(s->loop, &s->idle_timer);
	tend_log(s->logger, LOG_SEVERITY_INFO, "shutting down: %s", reason);
	for (size_t i = 0; i < s->nservices; i++)
		if (s->services[i].state == SVC_WAITING || s->services[i].state == SVC_BACKOFF)
			service_dispatch(&s->services[i], SVC_EV_STOP);
	/* Anything published from here on sees phase STOPPING. */
	system_publish_stopping(s);
	double timeout = s->config->settings.shutdown_timeout;
	if (timeout <= 0)
		timeout = 0.5; /* chaperone: 0 means half a second */
	loop_timer_start(s->loop, &s->shutdown_timer, (uint64_t)(timeout * 1000));
	shutdown_progress(s);
}

int system_exit_code(const struct system *s)
{
	if (s->fatal)
		return s->requested_exit >= 0 ? s->requested_exit : EXIT_SERVICE_FAILED;
	if (s->console) {
		const struct service *c = s->console;
		if (c->last_exec_errno == ENOENT)
			return 127;
		if (c->last_exec_errno)
			return 126;
		if (c->last_status >= 0)
			return child_status_code(c->last_status);
	}
	return s->requested_exit >= 0 ? s->requested_exit : EXIT_OK;
}
