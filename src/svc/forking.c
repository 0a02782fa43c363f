/*
 * forking.c — a launcher that daemonizes: it must exit 0 within process_timeout. The daemon
 * is then followed by its pidfile (waited for, with the same timeout), or, without one, by
 * adopting the launcher's orphans: as PID 1 (or subreaper) tend becomes the parent of the
 * daemon once its launcher is gone, so tend's own unclaimed children are the daemon. The
 * service ends when every adopted process has ended.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/proc.h"
#include "log/log.h"
#include "svc/attach.h"
#include "svc/service.h"
#include "system.h"

/* Adoption scans at these delays after the launcher exits (a double fork takes a moment). */
static const unsigned adopt_delays_ms[] = {0, 20, 100, 400, 1500};
#define ADOPT_SCANS (sizeof(adopt_delays_ms) / sizeof(adopt_delays_ms[0]))

#define FORKING_MAX_NAMED 8

struct forking_state {
	bool launcher_done;
	unsigned scans;
	size_t adopted; /* adopted pids still alive */
	int last_status;
	pid_t named[FORKING_MAX_NAMED]; /* the first adopted pids, 0 once gone */
};

static struct forking_state *state_of(struct service *svc)
{
	if (!svc->type_data)
		svc->type_data = calloc(1, sizeof(struct forking_state));
	return svc->type_data;
}

static int forking_start(struct service *svc)
{
	struct forking_state *st = state_of(svc);
	if (!st) {
		service_start_failed(svc, "%s: out of memory", svc->conf->name);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	if (service_spawn(svc, NULL, -1, -1, -1, NULL) < 0)
		return -1;
	loop_timer_start(system_loop(svc->system), &svc->timer,
			 (uint64_t)(svc_process_timeout(svc) * 1000));
	return 0;
}

static void adopted_exited(pid_t pid, int status, void *arg)
{
	struct service *svc = arg;
	struct forking_state *st = state_of(svc);
	if (!st)
		return;
	st->last_status = status;
	if (st->adopted)
		st->adopted--;
	/* attached_pid names a live daemon (what stop signals, what shutdown waits for): when
	 * it ends, name another adopted one still alive, or none. */
	for (size_t i = 0; i < FORKING_MAX_NAMED; i++)
		if (st->named[i] == pid)
			st->named[i] = 0;
	if (svc->attached_pid == pid) {
		svc->attached_pid = 0;
		for (size_t i = 0; i < FORKING_MAX_NAMED && !svc->attached_pid; i++)
			svc->attached_pid = st->named[i];
	}
	if (st->adopted == 0 && svc->state != SVC_STARTING)
		service_process_ended(svc, status);
}

/* An orphan still in the process group of another service's launcher is that service's
 * (a daemon that did not setsid). One that left every group cannot be told apart: two
 * pidfile-less forking launchers exiting at the same moment may swap daemons (docs). */
static bool in_other_service_group(const struct service *svc, pid_t pgrp)
{
	struct system *system = svc->system;
	for (size_t i = 0; i < system_service_count(system); i++) {
		const struct service *other = system_service_at(system, i);
		if (other != svc && other->pgid > 1 && other->pgid == pgrp)
			return true;
	}
	return false;
}

struct adoption {
	struct service *svc;
	pid_t self;
	size_t found;
};

static int adopt_one(const struct proc_stat *proc, void *arg)
{
	struct adoption *a = arg;
	struct service *svc = a->svc;
	struct forking_state *st = state_of(svc);
	if (proc->ppid != a->self || proc->pid <= 1 || proc->state == 'Z' ||
	    child_is_watched(system_children(svc->system), proc->pid) ||
	    in_other_service_group(svc, proc->pgrp))
		return 0;
	child_watch(system_children(svc->system), proc->pid, adopted_exited, svc);
	if (!svc->attached_pid)
		svc->attached_pid = proc->pid;
	if (st->adopted < FORKING_MAX_NAMED)
		st->named[st->adopted] = proc->pid;
	st->adopted++;
	a->found++;
	return 0;
}

/* Claim tend's children that nobody watches: the launcher's daemon(s). */
static size_t adopt_orphans(struct service *svc)
{
	struct adoption a = {svc, getpid(), 0};
	proc_for_each(adopt_one, &a);
	return a.found;
}

static void forking_on_timer(struct service *svc)
{
	struct forking_state *st = state_of(svc);
	if (svc->state != SVC_STARTING)
		return;
	if (!st->launcher_done) {
		service_start_failed(svc, "%s: launcher did not exit within %gs", svc->conf->name,
				     svc_process_timeout(svc));
		return;
	}
	if (svc->conf->pidfile) {
		attach_wait_pidfile(svc);
		return;
	}
	adopt_orphans(svc);
	if (st->adopted) {
		tend_log(system_logger(svc->system), LOG_SEVERITY_INFO,
			 "%s: following daemon pid %d", svc->conf->name, (int)svc->attached_pid);
		service_dispatch(svc, SVC_EV_UP);
		return;
	}
	if (++st->scans < ADOPT_SCANS) {
		loop_timer_start(system_loop(svc->system), &svc->timer, adopt_delays_ms[st->scans]);
		return;
	}
	tend_log(system_logger(svc->system), LOG_SEVERITY_WARNING,
		 "%s: launcher exited but no daemon process was found to follow", svc->conf->name);
	service_dispatch(svc, SVC_EV_DONE);
}

static void forking_on_exit(struct service *svc, pid_t pid, int status)
{
	struct forking_state *st = state_of(svc);
	char how[64];
	if (svc->state == SVC_STARTING && !st->launcher_done && !svc->stop_requested) {
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			service_start_failed(
			    svc, "%s: system startup cancelled: launcher failed with '%s'",
			    svc->conf->name, child_status_describe(status, how, sizeof(how)));
			return;
		}
		st->launcher_done = true;
		attach_begin(svc);
		loop_timer_start(system_loop(svc->system), &svc->timer, 0);
		return;
	}
	/* The attached daemon (pidfile) ended, or we were stopping. */
	if (!svc->attached_pid && !svc->pid && !st->adopted)
		service_process_ended(svc, status);
}

/* The kill_signal to the launcher's group and the daemon, and to every other daemon the
 * launcher left (each adopted orphan is a daemon of its own). */
static void forking_stop(struct service *svc)
{
	int signo = svc->conf->kill_signal;
	service_signal(svc, signo);
	struct forking_state *st = svc->type_data;
	if (!st)
		return;
	for (size_t i = 0; i < FORKING_MAX_NAMED; i++)
		if (st->named[i] > 0 && st->named[i] != svc->attached_pid)
			kill(st->named[i], signo);
}

static void forking_release(struct service *svc)
{
	attach_release(svc);
	free(svc->type_data);
	svc->type_data = NULL;
}

const struct service_ops forking_ops = {
    .name = "forking",
    .start = forking_start,
    .on_exit = forking_on_exit,
    .on_timer = forking_on_timer,
    .stop = forking_stop,
    .release = forking_release,
};
