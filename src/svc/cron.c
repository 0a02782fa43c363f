/*
 * cron.c — `type: cron`: runs `command` at the times `interval` names (cron_expr.h has the
 * syntax: five fields plus chaperone's optional sixth seconds field, the @yearly..@hourly
 * aliases, and tend's @reboot, which runs once when the service starts).
 *
 * No polling: one timer, armed for the next due time only. It is a CLOCK_REALTIME timerfd
 * with an absolute expiry and TFD_TIMER_CANCEL_ON_SET, so it fires at the wall-clock time
 * even when the clock is stepped while waiting, and a step wakes it early (ECANCELED) to
 * compute the next time again from time(NULL). The service counts as started once armed
 * ("scheduled"). A tick while the previous run is still going is skipped with a warning.
 *
 * A run that fails is logged and the schedule continues (chaperone leaves the service
 * "started" but ignores every later tick; see docs/compat.md). exit_kills and vital still
 * apply to a run's exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "log/record.h"
#include "svc/cron_expr.h"
#include "svc/environment.h"
#include "svc/service.h"
#include "system.h"

/* Kept for the service's lifetime once allocated (system_free frees it); release() closes
 * the timer fd. */
struct cron_state {
	struct cron_expr expr;
	int clock_fd; /* CLOCK_REALTIME timerfd, -1 when not armed */
	time_t due;   /* the armed fire time (epoch seconds), 0 when none */
	unsigned long runs;
	unsigned long skipped;
};

static void cron_log(struct service *svc, int severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cron_log(struct service *svc, int severity, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* chaperone logs cron services' messages under the cron facility. */
	tend_log_facility(system_logger(svc->system), LOG_FACILITY_CRON, severity, "%s", text);
}

static void cron_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static void cron_update_note(struct service *svc)
{
	struct cron_state *st = svc->type_data;
	char when[48];
	if (st->expr.reboot) {
		service_set_note(svc, svc->pid ? "running (@reboot)" : "ran at start (@reboot)");
		return;
	}
	cron_format_time(st->due, when, sizeof(when));
	if (svc->pid)
		service_set_note(svc, "running (PID %d); next run %s", (int)svc->pid, when);
	else
		service_set_note(svc, "waiting; next run %s", when);
}

static void cron_close_clock(struct service *svc, struct cron_state *st)
{
	if (st->clock_fd < 0)
		return;
	loop_del_fd(system_loop(svc->system), st->clock_fd);
	close(st->clock_fd);
	st->clock_fd = -1;
	st->due = 0;
}

/* Arm for the first due time strictly after max(now, the time just fired). */
static int cron_arm(struct service *svc, time_t after)
{
	struct cron_state *st = svc->type_data;
	time_t now = time(NULL);
	if (after < now)
		after = now;
	time_t next;
	if (cron_expr_next(&st->expr, after, &next) < 0)
		return -1;
	struct itimerspec spec = {.it_value = {.tv_sec = next, .tv_nsec = 0}};
	if (timerfd_settime(st->clock_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec,
			    NULL) < 0)
		return -1;
	st->due = next;
	return 0;
}

static void cron_run(struct service *svc)
{
	struct cron_state *st = svc->type_data;
	if (svc->pid) {
		st->skipped++;
		cron_log(svc, LOG_SEVERITY_WARNING,
			 "%s: previous run (PID %d) still running, skipping this tick",
			 svc->conf->name, (int)svc->pid);
		return;
	}
	pid_t pid;
	if (service_spawn(svc, NULL, -1, -1, -1, &pid) < 0)
		return;
	st->runs++;
	cron_log(svc, LOG_SEVERITY_INFO, "%s: running (PID %d)", svc->conf->name, (int)pid);
}

static void cron_clock_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct service *svc = arg;
	struct cron_state *st = svc->type_data;
	if (!st || st->clock_fd != fd)
		return;
	uint64_t expirations;
	ssize_t n = read(fd, &expirations, sizeof(expirations));
	if (n < 0 && errno == ECANCELED) {
		/* The wall clock was stepped: the next due time is computed afresh. */
		cron_log(svc, LOG_SEVERITY_INFO, "%s: the clock changed; rescheduling",
			 svc->conf->name);
		if (cron_arm(svc, time(NULL)) < 0)
			goto cannot_arm;
		cron_update_note(svc);
		return;
	}
	if (n != (ssize_t)sizeof(expirations))
		return; /* EAGAIN: nothing due after all */
	time_t fired = st->due;
	if (svc->state == SVC_SCHEDULED)
		cron_run(svc);
	if (svc->state != SVC_SCHEDULED || st->clock_fd != fd)
		return;
	if (cron_arm(svc, fired) < 0)
		goto cannot_arm;
	cron_update_note(svc);
	return;
cannot_arm:
	cron_log(svc, LOG_SEVERITY_ERR, "%s: cannot schedule the next run: %s", svc->conf->name,
		 strerror(errno));
	cron_close_clock(svc, st);
	service_set_note(svc, "not scheduled: %s", strerror(errno));
}

static int cron_start(struct service *svc)
{
	struct cron_state *st = svc->type_data;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st) {
			service_start_failed(svc, "%s: out of memory", svc->conf->name);
			return -1;
		}
		st->clock_fd = -1;
		svc->type_data = st;
	}
	cron_close_clock(svc, st);
	memset(st, 0, sizeof(*st));
	st->clock_fd = -1;
	if (!svc->conf->interval) {
		service_start_failed(svc, "%s: cron service requires an 'interval'",
				     svc->conf->name);
		return -1;
	}
	char err[256];
	struct service_env env;
	if (service_env_build(svc, &env, err, sizeof(err)) < 0) {
		service_start_failed(svc, "%s: %s", svc->conf->name, err);
		return -1;
	}
	char *interval = service_env_expand(&env, svc->conf->interval);
	service_env_free(&env);
	if (!interval) {
		service_start_failed(svc, "%s: out of memory", svc->conf->name);
		return -1;
	}
	int rc = cron_expr_parse(interval, &st->expr, err, sizeof(err));
	if (rc < 0) {
		service_start_failed(svc, "%s: invalid interval '%s': %s", svc->conf->name,
				     interval, err);
		free(interval);
		return -1;
	}
	if (st->expr.reboot) {
		free(interval);
		if (service_spawn(svc, NULL, -1, -1, -1, NULL) < 0)
			return -1;
		st->runs++;
		cron_update_note(svc);
		loop_timer_start(system_loop(svc->system), &svc->timer, 0);
		return 0;
	}
	st->clock_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (st->clock_fd < 0 || loop_add_fd(system_loop(svc->system), st->clock_fd, EPOLLIN,
					    cron_clock_ready, svc) < 0) {
		int saved = errno;
		if (st->clock_fd >= 0)
			close(st->clock_fd);
		st->clock_fd = -1;
		service_start_failed(svc, "%s: cannot create its timer: %s", svc->conf->name,
				     strerror(saved));
		free(interval);
		return -1;
	}
	if (cron_arm(svc, time(NULL)) < 0) {
		service_start_failed(svc, "%s: interval '%s' never fires", svc->conf->name,
				     interval);
		free(interval);
		return -1;
	}
	char when[48];
	cron_format_time(st->due, when, sizeof(when));
	cron_log(svc, LOG_SEVERITY_INFO, "%s: scheduled '%s'; next run %s", svc->conf->name,
		 interval, when);
	free(interval);
	cron_update_note(svc);
	/* Raise SCHEDULE from the loop, not from inside the state change that called us. */
	loop_timer_start(system_loop(svc->system), &svc->timer, 0);
	return 0;
}

static void cron_on_timer(struct service *svc)
{
	if (svc->state == SVC_STARTING)
		service_dispatch(svc, SVC_EV_SCHEDULE);
}

static void cron_on_exit(struct service *svc, pid_t pid, int status)
{
	struct cron_state *st = svc->type_data;
	if (svc->state == SVC_STOPPING || svc->stop_requested || svc->conf->exit_kills ||
	    svc->conf->vital) {
		service_process_ended(svc, status);
		return;
	}
	char how[64];
	child_status_describe(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		cron_log(svc, LOG_SEVERITY_INFO, "%s: run finished (%s)", svc->conf->name, how);
		svc->consecutive_failures = 0;
	} else {
		svc->consecutive_failures++;
		cron_log(svc, svc_ignore_failures(svc) ? LOG_SEVERITY_WARNING : LOG_SEVERITY_ERR,
			 "%s: run failed with %s; the schedule continues", svc->conf->name, how);
	}
	if (st)
		cron_update_note(svc);
}

static void cron_stop(struct service *svc)
{
	struct cron_state *st = svc->type_data;
	if (st)
		cron_close_clock(svc, st);
	if (svc->pid)
		service_signal(svc, svc->conf->kill_signal);
}

static void cron_release(struct service *svc)
{
	struct cron_state *st = svc->type_data;
	if (st)
		cron_close_clock(svc, st);
}

const struct service_ops cron_ops = {
    .name = "cron",
    .start = cron_start,
    .on_exit = cron_on_exit,
    .on_timer = cron_on_timer,
    .stop = cron_stop,
    .release = cron_release,
};
