/*
 * service.c — the state machine every service type shares.
 *
 * The transition table below is the whole lifecycle: a type raises events, the table says
 * where they lead, and state entry actions (restart timers, the "started" flag dependents
 * wait on, failures that stop the system) live in one function. Reading the table top to
 * bottom tells what can happen to a service.
 */
#include "svc/service.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "log/log.h"
#include "system.h"

/* clang-format off */
static const char *const state_names[SVC_STATE_COUNT] = {
	[SVC_INACTIVE] = "inactive", [SVC_DISABLED] = "disabled", [SVC_WAITING] = "waiting",
	[SVC_STARTING] = "starting", [SVC_RUNNING] = "running",   [SVC_READY] = "ready",
	[SVC_SCHEDULED] = "scheduled", [SVC_STOPPING] = "stopping", [SVC_EXITED] = "exited",
	[SVC_FAILED] = "failed",     [SVC_BACKOFF] = "backoff",
};

static const char *const event_names[SVC_EVENT_COUNT] = {
	[SVC_EV_REQUEST] = "request", [SVC_EV_SPAWN] = "spawn",     [SVC_EV_UP] = "up",
	[SVC_EV_READY] = "ready",     [SVC_EV_SCHEDULE] = "schedule", [SVC_EV_DONE] = "done",
	[SVC_EV_START_FAIL] = "start-fail", [SVC_EV_CRASH] = "crash", [SVC_EV_RESTART] = "restart",
	[SVC_EV_STOP] = "stop",       [SVC_EV_STOPPED] = "stopped", [SVC_EV_RESET] = "reset",
	[SVC_EV_DISABLE] = "disable", [SVC_EV_ENABLE] = "enable",
};

/* X: the event is ignored in that state. */
#define X SVC_STATE_COUNT
static const enum service_state transitions[SVC_STATE_COUNT][SVC_EVENT_COUNT] = {
	/*               REQUEST      SPAWN         UP           READY      SCHEDULE       DONE        START_FAIL  CRASH        RESTART      STOP          STOPPED       RESET         DISABLE       ENABLE */
	[SVC_INACTIVE] = {SVC_WAITING, SVC_STARTING, X,           X,         X,             X,          X,          X,           X,           X,            X,            SVC_INACTIVE, SVC_DISABLED, X},
	[SVC_DISABLED] = {X,           X,            X,           X,         X,             X,          X,          X,           X,           X,            X,            X,            X,            SVC_INACTIVE},
	[SVC_WAITING]  = {X,           SVC_STARTING, X,           X,         X,             X,          SVC_FAILED, X,           X,           SVC_INACTIVE, X,            SVC_INACTIVE, SVC_DISABLED, X},
	[SVC_STARTING] = {X,           X,            SVC_RUNNING, SVC_READY, SVC_SCHEDULED, SVC_EXITED, SVC_FAILED, SVC_FAILED,  SVC_BACKOFF, SVC_STOPPING, SVC_INACTIVE, SVC_STOPPING, SVC_DISABLED, X},
	[SVC_RUNNING]  = {X,           X,            X,           SVC_READY, X,             SVC_EXITED, X,          SVC_FAILED,  SVC_BACKOFF, SVC_STOPPING, SVC_INACTIVE, SVC_STOPPING, X,            X},
	[SVC_READY]    = {X,           X,            X,           X,         X,             SVC_EXITED, X,          SVC_FAILED,  SVC_BACKOFF, SVC_STOPPING, SVC_INACTIVE, SVC_STOPPING, X,            X},
	[SVC_SCHEDULED]= {X,           X,            SVC_SCHEDULED, X,       SVC_SCHEDULED, SVC_SCHEDULED, X,       SVC_FAILED,  SVC_BACKOFF, SVC_STOPPING, SVC_INACTIVE, SVC_STOPPING, X,            X},
	[SVC_STOPPING] = {X,           X,            X,           X,         X,             SVC_INACTIVE, SVC_INACTIVE, SVC_INACTIVE, X,       X,            SVC_INACTIVE, X,            X,            X},
	[SVC_EXITED]   = {SVC_WAITING, SVC_STARTING, X,           X,         X,             X,          X,          X,           X,           SVC_INACTIVE, X,            SVC_INACTIVE, SVC_DISABLED, X},
	[SVC_FAILED]   = {SVC_WAITING, SVC_STARTING, X,           X,         X,             X,          X,          X,           X,           SVC_INACTIVE, X,            SVC_INACTIVE, SVC_DISABLED, X},
	[SVC_BACKOFF]  = {X,           SVC_STARTING, X,           X,         X,             X,          X,          X,           X,           SVC_INACTIVE, X,            SVC_INACTIVE, SVC_DISABLED, X},
};
#undef X
/* clang-format on */

enum service_state service_next_state(enum service_state state, enum service_event event)
{
	if (state >= SVC_STATE_COUNT || event >= SVC_EVENT_COUNT)
		return SVC_STATE_COUNT;
	return transitions[state][event];
}

const char *service_state_name(enum service_state state)
{
	return state < SVC_STATE_COUNT ? state_names[state] : "?";
}

const char *service_event_name(enum service_event event)
{
	return event < SVC_EVENT_COUNT ? event_names[event] : "?";
}

static struct logger *svc_logger(const struct service *svc)
{
	return system_logger(svc->system);
}

bool svc_ignore_failures(const struct service *svc)
{
	return service_ignore_failures(svc->conf, &system_config(svc->system)->settings);
}

double svc_process_timeout(const struct service *svc)
{
	return service_process_timeout(svc->conf, &system_config(svc->system)->settings);
}

double svc_startup_pause(const struct service *svc)
{
	return service_startup_pause(svc->conf, &system_config(svc->system)->settings);
}

void service_set_note(struct service *svc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(svc->note, sizeof(svc->note), fmt, ap);
	va_end(ap);
}

/* The restart delay for the n-th consecutive restart: restart_delay, times restart_backoff
 * per earlier failure, capped at restart_delay_max (a crash loop settles to one spawn per
 * cap interval, costing tend nearly nothing). */
static uint64_t restart_delay_ms(const struct service *svc)
{
	double delay = svc->conf->restart_delay;
	double factor = svc->conf->restart_backoff;
	if (factor > 1.0)
		for (unsigned i = 1; i < svc->consecutive_failures && delay < svc->conf->restart_delay_max; i++)
			delay *= factor;
	if (factor > 1.0 && delay > svc->conf->restart_delay_max)
		delay = svc->conf->restart_delay_max;
	return delay <= 0 ? 0 : (uint64_t)(delay * 1000.0);
}

static void restart_due(struct loop *loop, void *arg)
{
	struct service *svc = arg;
	tend_log(svc_logger(svc), LOG_SEVERITY_INFO, "%s restarting (%d restarts left)", svc->conf->name,
		 svc->restarts_left);
	svc->restarts++;
	svc->restarting = true;
	service_dispatch(svc, SVC_EV_SPAWN);
}

/* An abnormal end (`what` says which): restart while the budget lasts (chaperone sets the
 * budget at the first failure), else log it and stay failed. */
static void crash_or_restart(struct service *svc, const char *what)
{
	struct logger *logger = svc_logger(svc);
	svc->consecutive_failures++;
	if (svc->conf->restart && svc->enabled) {
		if (svc->restarts_left < 0)
			svc->restarts_left = svc->conf->restart_limit;
		if (svc->restarts_left > 0) {
			svc->restarts_left--;
			tend_log(logger, LOG_SEVERITY_WARNING, "%s; restart in %.3gs", what,
				 (double)restart_delay_ms(svc) / 1000.0);
			service_dispatch(svc, SVC_EV_RESTART);
			return;
		}
	}
	service_set_note(svc, "%.150s", what);
	if (svc_ignore_failures(svc))
		tend_log(logger, LOG_SEVERITY_WARNING, "%s (failures ignored)", what);
	else
		tend_log(logger, LOG_SEVERITY_ERR, "%s", what);
	service_dispatch(svc, SVC_EV_CRASH);
}

/* exit_kills / pidzero's vital: the service ended, so the container stops. */
static void kill_switch(struct service *svc, int status)
{
	char how[64];
	child_status_describe(status, how, sizeof(how));
	tend_log(svc_logger(svc), svc->conf->vital ? LOG_SEVERITY_ERR : LOG_SEVERITY_INFO,
		 svc->conf->vital ? "%s has exited (%s) and is marked as vital"
				  : "%s terminated with exit_kills enabled (%s)",
		 svc->conf->name, how);
	if (svc->conf->vital)
		system_service_failed(svc->system, svc, "vital service exited");
	else
		system_shutdown(svc->system, "exit_kills service exited", -1);
}

/* What happens on entering a state. */
static void state_entered(struct service *svc, enum service_state old, enum service_event event)
{
	struct loop *loop = system_loop(svc->system);
	switch (svc->state) {
	case SVC_STARTING:
		svc->stop_requested = false;
		svc->kill_switch_fired = false;
		svc->started = false;
		if (svc->ops->start(svc) < 0)
			return; /* start() already raised START_FAIL */
		break;
	case SVC_RUNNING:
	case SVC_READY:
	case SVC_SCHEDULED:
		svc->restarting = false;
		if (!svc->started) {
			svc->started = true;
			svc->started_at_ms = loop_now_ms();
			if (old == SVC_STARTING)
				tend_log(svc_logger(svc), LOG_SEVERITY_INFO, "%s successfully started",
					 svc->conf->name);
		}
		break;
	case SVC_EXITED:
		svc->restarting = false;
		svc->started = true; /* a finished oneshot/simple still satisfies dependents */
		loop_timer_stop(loop, &svc->timer);
		/* Finished within its start-up (a oneshot, a quick simple): exit_kills and vital
		 * apply all the same, as chaperone watched the process from its spawn. */
		if (old == SVC_STARTING && !svc->stop_requested && !svc->kill_switch_fired &&
		    (svc->conf->exit_kills || svc->conf->vital)) {
			svc->kill_switch_fired = true;
			kill_switch(svc, svc->last_status < 0 ? 0 : svc->last_status);
		}
		break;
	case SVC_BACKOFF:
		loop_timer_stop(loop, &svc->timer);
		if (old == SVC_STARTING && svc->ops->release)
			svc->ops->release(svc); /* a restart that failed to start */
		loop_timer_start(loop, &svc->restart_timer, restart_delay_ms(svc));
		break;
	case SVC_FAILED:
		svc->restarting = false;
		loop_timer_stop(loop, &svc->timer);
		if (svc->ops->release)
			svc->ops->release(svc);
		break;
	case SVC_INACTIVE:
	case SVC_DISABLED:
		svc->restarting = false;
		loop_timer_stop(loop, &svc->timer);
		loop_timer_stop(loop, &svc->restart_timer);
		if (svc->ops->release && (old == SVC_STOPPING || event == SVC_EV_RESET ||
					  event == SVC_EV_STOPPED || old == SVC_SCHEDULED))
			svc->ops->release(svc);
		svc->started = false;
		break;
	case SVC_STOPPING:
		loop_timer_stop(loop, &svc->restart_timer);
		svc->stop_requested = true;
		if (svc->ops->stop)
			svc->ops->stop(svc);
		else
			service_signal(svc, svc->conf->kill_signal);
		/* Nothing left to wait for (cron/inetd idle, forking without a daemon). */
		if (!svc->pid && !svc->attached_pid && svc->state == SVC_STOPPING)
			service_dispatch(svc, SVC_EV_STOPPED);
		return;
	default:
		break;
	}
}

void service_dispatch(struct service *svc, enum service_event event)
{
	enum service_state old = svc->state;
	enum service_state next = service_next_state(old, event);
	if (next == SVC_STATE_COUNT) {
		if (system_config(svc->system)->settings.debug)
			tend_log(svc_logger(svc), LOG_SEVERITY_DEBUG, "%s: event %s ignored in state %s",
				 svc->conf->name, service_event_name(event), service_state_name(old));
		return;
	}
	svc->state = next;
	svc->state_since_ms = loop_now_ms();
	state_entered(svc, old, event);
	system_service_changed(svc->system, svc, old);
}

void service_start_failed(struct service *svc, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	service_set_note(svc, "%.150s", why);
	if (svc->pid) {
		service_signal(svc, SIGKILL);
	}
	if (svc->state == SVC_SCHEDULED) {
		/* One cron tick or inetd connection that could not run: the schedule goes on. */
		tend_log(svc_logger(svc), LOG_SEVERITY_ERR, "%s", why);
		return;
	}
	if (svc->restarting && svc->state == SVC_STARTING && !svc->stop_requested) {
		/* It started fine before: a restart that fails is one more crash, within the
		 * restart budget, not a reason to stop the container. */
		crash_or_restart(svc, why);
		return;
	}
	svc->consecutive_failures++;
	/* The FAILED state must not look like "nothing left to run" to exit detection before
	 * the system has heard why: system_service_failed() decides what the failure means. */
	svc->start_failing = true;
	service_dispatch(svc, SVC_EV_START_FAIL);
	svc->start_failing = false;
	system_service_failed(svc->system, svc, why);
}

void service_signal(struct service *svc, int signo)
{
	bool group_signalled = svc->pgid > 1 && kill(-svc->pgid, signo) == 0;
	if (!group_signalled && svc->pid > 0)
		kill(svc->pid, signo);
	/* A daemon named by a pidfile or MAINPID often left the group (setsid): signal it
	 * too, unless the group signal already reached it. */
	if (svc->attached_pid > 0 && (!group_signalled || getpgid(svc->attached_pid) != svc->pgid))
		kill(svc->attached_pid, signo);
}

/* After a successful start, a watched process ended. */
void service_process_ended(struct service *svc, int status)
{
	char how[64];
	child_status_describe(status, how, sizeof(how));
	svc->last_status = status;
	struct logger *logger = svc_logger(svc);

	if (svc->state == SVC_STOPPING || svc->stop_requested) {
		service_dispatch(svc, SVC_EV_STOPPED);
		return;
	}
	/* A process tend killed after a start failure, or a straggler of a service already
	 * ended: not news, and no restart. */
	if (svc->state == SVC_FAILED || svc->state == SVC_INACTIVE || svc->state == SVC_DISABLED ||
	    svc->state == SVC_EXITED || svc->state == SVC_BACKOFF)
		return;
	bool by_kill_signal = WIFSIGNALED(status) && WTERMSIG(status) == svc->conf->kill_signal;
	bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || by_kill_signal;
	if (svc->conf->exit_kills || svc->conf->vital) {
		svc->kill_switch_fired = true; /* told here, not again on entering EXITED */
		service_dispatch(svc, clean ? SVC_EV_DONE : SVC_EV_CRASH);
		kill_switch(svc, status);
		return;
	}
	if (clean) {
		tend_log(logger, LOG_SEVERITY_INFO, "%s exited normally (%s)", svc->conf->name, how);
		svc->consecutive_failures = 0;
		service_dispatch(svc, SVC_EV_DONE);
		return;
	}
	/* A long healthy run resets the restart budget (chaperone never does; see compat.md). */
	if (svc->conf->restart_reset_after > 0 && svc->started_at_ms &&
	    loop_now_ms() - svc->started_at_ms >= (uint64_t)(svc->conf->restart_reset_after * 1000)) {
		svc->restarts_left = -1;
		svc->consecutive_failures = 0;
	}
	char what[320];
	if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "%s was %s", svc->conf->name, how); /* "killed by SIGx" */
	else
		snprintf(what, sizeof(what), "%s terminated abnormally with %s", svc->conf->name, how);
	crash_or_restart(svc, what);
}

static void service_pid_exited(pid_t pid, int status, void *arg)
{
	struct service *svc = arg;
	/* Neither the main nor the attached process: one of an earlier run (killed after a
	 * start failure, or a replaced MAINPID) that must not be taken for the current one. */
	if (pid != svc->pid && pid != svc->attached_pid)
		return;
	if (pid == svc->pid) {
		/* What the process wrote just before it died goes to the log before its end is
		 * reported, so the log reads in order. */
		if (svc->out)
			log_capture_read_available(svc->out);
		if (svc->err)
			log_capture_read_available(svc->err);
		svc->pid = 0;
		svc->last_status = status;
	}
	if (pid == svc->attached_pid)
		svc->attached_pid = 0;
	svc->ops->on_exit(svc, pid, status);
}

int service_watch_pid(struct service *svc, pid_t pid)
{
	return child_watch(system_children(svc->system), pid, service_pid_exited, svc);
}

static void service_timer_fired(struct loop *loop, void *arg)
{
	struct service *svc = arg;
	if (svc->ops->on_timer)
		svc->ops->on_timer(svc);
}

void service_init_timers(struct service *svc);
void service_init_timers(struct service *svc)
{
	loop_timer_init(&svc->timer, service_timer_fired, svc);
	loop_timer_init(&svc->restart_timer, restart_due, svc);
}

pid_t service_read_pidfile(struct service *svc)
{
	if (!svc->conf->pidfile)
		return 0;
	FILE *f = fopen(svc->conf->pidfile, "re");
	if (!f)
		return 0;
	long pid = 0;
	int n = fscanf(f, "%ld", &pid);
	fclose(f);
	if (n != 1 || pid <= 1)
		return 0;
	return (pid_t)pid;
}
