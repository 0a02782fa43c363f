/*
 * notify.c — `type: notify`: a service that tells tend when it is ready, over the sd_notify
 * protocol (notify_parse.h has the message format).
 *
 * Before spawning, tend binds a private datagram socket for the service (notify_socket.c: a
 * random abstract name, "@/tend/<random>/<service>", or the service's `notify_socket`) and
 * passes it as NOTIFY_SOCKET. (chaperone uses a fixed "@/chaperone/<service>", which
 * several tends sharing a network namespace would fight over.) The service counts as
 * started on READY=1 within process_timeout.
 * The socket stays open afterwards for STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1, ERRNO=.
 *
 * Only the service may speak for itself: the kernel stamps every datagram with the sender's
 * pid and uid (SO_PASSCRED), and a sender must be the main or attached process, a descendant
 * of one, or in the service's process group. A sender already gone by the time the datagram
 * is read (systemd-notify exits at once) is accepted when its uid is the service's or root.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/loop.h"
#include "core/proc.h"
#include "log/log.h"
#include "svc/attach.h"
#include "svc/notify_parse.h"
#include "svc/notify_socket.h"
#include "svc/service.h"
#include "system.h"

/* Messages handled per wakeup, so a chatty service cannot starve the loop. */
#define NOTIFY_BATCH 32
/* Bad messages described in the log per start; further ones are only counted. */
#define NOTIFY_LOG_BAD 10
/* After the watchdog's SIGABRT, how long before SIGKILL. */
#define NOTIFY_ABORT_GRACE_MS 5000
/* How far up the process tree a sender is looked for. */
#define NOTIFY_ANCESTRY_DEPTH 32

enum notify_timer_use { TIMER_NONE, TIMER_READY, TIMER_WATCHDOG, TIMER_ABORT };

/* Kept for the service's lifetime once allocated (system_free frees it): release() closes
 * the socket but leaves the struct, so a callback running while the service changes state
 * never sees freed memory. */
struct notify_state {
	struct notify_socket sock;
	uid_t uid; /* the spawned process's uid */
	enum notify_timer_use timer_use;
	uint64_t watchdog_usec; /* 0: no watchdog */
	bool watchdog_fired;	/* the next exit is a crash whatever its status */
	bool reloading;
	bool warned_credentials;
	bool exited_before_ready; /* main process exited 0 while waiting for READY=1 */
	int reported_status;	  /* waitpid-style status from ERRNO= after READY, or -1 */
	unsigned bad_messages;
	unsigned dropped; /* datagrams refused (credentials, size, malformed) */
};

static struct logger *logger_of(struct service *svc)
{
	return system_logger(svc->system);
}

static struct notify_state *state_of(struct service *svc)
{
	if (!svc->type_data) {
		struct notify_state *st = calloc(1, sizeof(*st));
		if (!st)
			return NULL;
		st->sock.fd = -1;
		st->reported_status = -1;
		svc->type_data = st;
	}
	return svc->type_data;
}

static void notify_close_socket(struct service *svc, struct notify_state *st)
{
	if (st->sock.fd < 0)
		return;
	loop_del_fd(system_loop(svc->system), st->sock.fd);
	notify_socket_close(&st->sock);
}

/* ---- credentials ---- */

/* Parent and process group of pid; -1 when pid is gone (or a zombie). */
static int proc_parent(pid_t pid, pid_t *ppid, pid_t *pgrp)
{
	struct proc_stat stat;
	if (proc_stat_read(pid, &stat) < 0 || stat.state == 'Z')
		return -1;
	*ppid = stat.ppid;
	*pgrp = stat.pgrp;
	return 0;
}

/* Whether the datagram's sender may speak for the service. *gone: the sender has exited. */
static bool notify_sender_allowed(struct service *svc, const struct ucred *cred, bool *gone)
{
	struct notify_state *st = svc->type_data;
	*gone = false;
	pid_t pid = cred->pid, ppid, pgrp;
	for (int depth = 0; depth < NOTIFY_ANCESTRY_DEPTH && pid > 1; depth++) {
		if (pid == svc->pid || pid == svc->attached_pid)
			return true;
		if (proc_parent(pid, &ppid, &pgrp) < 0) {
			if (depth == 0) {
				*gone = true;
				return cred->uid == st->uid || cred->uid == 0;
			}
			return false;
		}
		if (svc->pgid > 1 && pgrp == svc->pgid)
			return true;
		pid = ppid;
	}
	return false;
}

/* ---- the watchdog and the timer ---- */

static void notify_arm(struct service *svc, enum notify_timer_use use, uint64_t delay_ms)
{
	struct notify_state *st = svc->type_data;
	st->timer_use = use;
	loop_timer_start(system_loop(svc->system), &svc->timer, delay_ms);
}

static void notify_watchdog_rearm(struct service *svc)
{
	struct notify_state *st = svc->type_data;
	if (svc->state != SVC_READY || st->timer_use == TIMER_ABORT)
		return;
	if (st->watchdog_usec == 0) {
		if (st->timer_use == TIMER_WATCHDOG) {
			loop_timer_stop(system_loop(svc->system), &svc->timer);
			st->timer_use = TIMER_NONE;
		}
		return;
	}
	uint64_t ms = (st->watchdog_usec + 999) / 1000;
	notify_arm(svc, TIMER_WATCHDOG, ms);
}

/* A missed (or triggered) watchdog: abort the service as systemd does; its exit is a crash. */
static void notify_watchdog_expired(struct service *svc, const char *why)
{
	struct notify_state *st = svc->type_data;
	tend_log(logger_of(svc), LOG_SEVERITY_ERR, "%s: %s; aborting it with SIGABRT",
		 svc->conf->name, why);
	service_set_note(svc, "%s", why);
	st->watchdog_fired = true;
	service_signal(svc, SIGABRT);
	notify_arm(svc, TIMER_ABORT, NOTIFY_ABORT_GRACE_MS);
}

/* ---- messages ---- */

static void notify_copy_note(struct service *svc, const char *text, size_t len)
{
	char clean[sizeof(svc->note)];
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < sizeof(clean); i++)
		clean[n++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i];
	clean[n] = '\0';
	service_set_note(svc, "%s", clean);
}

static void notify_mainpid(struct service *svc, pid_t pid)
{
	if (pid == svc->pid || pid == svc->attached_pid)
		return;
	if (kill(pid, 0) < 0 && errno != EPERM) {
		tend_log(logger_of(svc), LOG_SEVERITY_WARNING,
			 "%s: MAINPID=%d does not exist; ignored", svc->conf->name, (int)pid);
		return;
	}
	tend_log(logger_of(svc), LOG_SEVERITY_INFO, "%s: changing PID to %d (from MAINPID)",
		 svc->conf->name, (int)pid);
	attach_pid(svc, pid);
}

/* ERRNO=n or BUSERROR=x. Before READY=1 the start fails; after it, the service is stopped
 * and its exit reported as status n (chaperone's reading of a late ERRNO). */
static void notify_reported_error(struct service *svc, const struct notify_message *msg)
{
	struct notify_state *st = svc->type_data;
	char what[80];
	if (msg->has_errno)
		snprintf(what, sizeof(what), "error %d", msg->errno_value);
	else
		snprintf(what, sizeof(what), "bus error %.*s",
			 msg->buserror_len > 60 ? 60 : (int)msg->buserror_len, msg->buserror);
	if (svc->state == SVC_STARTING) {
		service_start_failed(svc, "%s failed with reported %s", svc->conf->name, what);
		return;
	}
	if (svc->state != SVC_READY || (msg->has_errno && msg->errno_value == 0))
		return;
	tend_log(logger_of(svc), LOG_SEVERITY_WARNING, "%s reported %s; stopping it",
		 svc->conf->name, what);
	int code = msg->has_errno ? (msg->errno_value & 0xff) : 1;
	st->reported_status = code ? code << 8 : 1 << 8;
	service_signal(svc, svc->conf->kill_signal);
}

static void notify_ready(struct service *svc, pid_t sender, bool sender_gone)
{
	struct notify_state *st = svc->type_data;
	if (svc->state == SVC_READY) {
		if (st->reloading)
			tend_log(logger_of(svc), LOG_SEVERITY_INFO, "%s finished reloading",
				 svc->conf->name);
		st->reloading = false;
		return;
	}
	if (svc->state != SVC_STARTING)
		return;
	loop_timer_stop(system_loop(svc->system), &svc->timer);
	st->timer_use = TIMER_NONE;
	/* The launcher exited 0 and a process it left behind says READY: follow that one. */
	if (!svc->pid && !svc->attached_pid && !sender_gone && sender > 1) {
		tend_log(logger_of(svc), LOG_SEVERITY_INFO,
			 "%s: following PID %d (sender of READY=1)", svc->conf->name, (int)sender);
		attach_pid(svc, sender);
	}
	service_dispatch(svc, SVC_EV_READY);
	if (svc->state != SVC_READY)
		return;
	if (!svc->pid && !svc->attached_pid) {
		/* Ready, but nothing is left to follow: it did its work and finished. */
		notify_close_socket(svc, st);
		service_process_ended(svc, svc->last_status < 0 ? 0 : svc->last_status);
		return;
	}
	notify_watchdog_rearm(svc);
}

/* Acts on one parsed message. Returns false when the service left the states in which the
 * socket is read (a start failure releases it), so the caller stops reading. */
static bool notify_apply(struct service *svc, const struct notify_message *msg, pid_t sender,
			 bool sender_gone)
{
	struct notify_state *st = svc->type_data;
	if (msg->mainpid)
		notify_mainpid(svc, msg->mainpid);
	if (msg->status)
		notify_copy_note(svc, msg->status, msg->status_len);
	if (msg->has_extend_usec && svc->state == SVC_STARTING && st->timer_use == TIMER_READY) {
		uint64_t ms = (msg->extend_usec + 999) / 1000;
		uint64_t due = loop_now_ms() + ms;
		if (due > svc->timer.due_ms)
			loop_timer_start_at(system_loop(svc->system), &svc->timer, due);
	}
	if (msg->has_watchdog_usec) {
		st->watchdog_usec = msg->watchdog_usec;
		notify_watchdog_rearm(svc);
	}
	if (msg->reloading) {
		st->reloading = true;
		tend_log(logger_of(svc), LOG_SEVERITY_INFO, "%s is reloading", svc->conf->name);
		if (!msg->status)
			service_set_note(svc, "reloading");
	}
	if (msg->stopping) {
		tend_log(logger_of(svc), LOG_SEVERITY_INFO, "%s is stopping", svc->conf->name);
		if (!msg->status)
			service_set_note(svc, "stopping");
	}
	if (msg->has_errno || msg->buserror) {
		notify_reported_error(svc, msg);
		if (svc->state != SVC_STARTING && svc->state != SVC_READY)
			return false;
	}
	if (msg->ready) {
		notify_ready(svc, sender, sender_gone);
		if (svc->state != SVC_READY)
			return false;
	}
	if (msg->watchdog_trigger && svc->state == SVC_READY && !st->watchdog_fired)
		notify_watchdog_expired(svc, "watchdog triggered by the service");
	else if (msg->watchdog && st->timer_use == TIMER_WATCHDOG)
		notify_watchdog_rearm(svc);
	return st->sock.fd >= 0;
}

static void notify_bad(struct service *svc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notify_bad(struct service *svc, const char *fmt, ...)
{
	struct notify_state *st = svc->type_data;
	st->dropped++;
	if (st->bad_messages++ >= NOTIFY_LOG_BAD)
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tend_log(logger_of(svc), LOG_SEVERITY_WARNING, "%s: notify message ignored: %s%s",
		 svc->conf->name, text,
		 st->bad_messages == NOTIFY_LOG_BAD ? " (further ones are not logged)" : "");
}

/* Closes every fd passed with the datagram (systemd-notify's barrier waits for that) and
 * returns the sender's credentials, if any came. */
static bool notify_control(struct msghdr *mh, struct ucred *cred)
{
	bool have_cred = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfds; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			have_cred = true;
		}
	}
	return have_cred;
}

static void notify_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct service *svc = arg;
	struct notify_state *st = svc->type_data;
	for (int i = 0; i < NOTIFY_BATCH && st && st->sock.fd == fd; i++) {
		char data[NOTIFY_MESSAGE_MAX];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
		} control;
		struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = control.buf,
				    .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tend_log(logger_of(svc), LOG_SEVERITY_WARNING,
					 "%s: reading the notify socket: %s", svc->conf->name,
					 strerror(errno));
			return;
		}
		struct ucred cred = {0};
		bool have_cred = notify_control(&mh, &cred);
		if ((size_t)n > sizeof(data) || (mh.msg_flags & MSG_TRUNC)) {
			notify_bad(svc, "longer than %d bytes", NOTIFY_MESSAGE_MAX);
			continue;
		}
		if (mh.msg_flags & MSG_CTRUNC)
			notify_bad(svc, "too many file descriptors attached (closed)");
		bool gone = false;
		if (!have_cred || !notify_sender_allowed(svc, &cred, &gone)) {
			st->dropped++;
			if (!st->warned_credentials) {
				st->warned_credentials = true;
				tend_log(logger_of(svc), LOG_SEVERITY_WARNING,
					 "%s: notify message from PID %d (uid %d) ignored: not the "
					 "service or one of its processes (logged once)",
					 svc->conf->name, have_cred ? (int)cred.pid : 0,
					 have_cred ? (int)cred.uid : -1);
			}
			continue;
		}
		struct notify_message msg;
		if (notify_parse(data, (size_t)n, &msg) < 0) {
			notify_bad(svc, "%s", msg.error);
			continue;
		}
		if (msg.invalid)
			notify_bad(svc, "%s", msg.error);
		if (system_config(svc->system)->settings.debug)
			tend_log(logger_of(svc), LOG_SEVERITY_DEBUG, "%s: notify from PID %d: %.*s",
				 svc->conf->name, (int)cred.pid, n > 200 ? 200 : (int)n, data);
		if (!notify_apply(svc, &msg, cred.pid, gone))
			return;
	}
}

/* ---- the type ---- */

static int notify_start(struct service *svc)
{
	struct notify_state *st = state_of(svc);
	if (!st) {
		service_start_failed(svc, "%s: out of memory", svc->conf->name);
		return -1;
	}
	notify_close_socket(svc, st);
	attach_release(svc);
	memset(st, 0, sizeof(*st));
	st->sock.fd = -1;
	st->reported_status = -1;
	st->watchdog_usec =
	    svc->conf->watchdog_sec > 0 ? (uint64_t)(svc->conf->watchdog_sec * 1e6) : 0;
	char err[512];
	if (notify_socket_open(svc, &st->sock, err, sizeof(err)) < 0) {
		service_start_failed(svc, "%s", err);
		return -1;
	}
	if (loop_add_fd(system_loop(svc->system), st->sock.fd, EPOLLIN, notify_readable, svc) < 0) {
		int saved = errno;
		notify_socket_close(&st->sock);
		service_start_failed(svc, "%s: cannot watch its notify socket: %s", svc->conf->name,
				     strerror(saved));
		return -1;
	}
	char socket_env[sizeof(st->sock.address) + 16], watchdog_env[48];
	snprintf(socket_env, sizeof(socket_env), "NOTIFY_SOCKET=%s", st->sock.address);
	const char *extra[3] = {socket_env, NULL, NULL};
	if (st->watchdog_usec) {
		snprintf(watchdog_env, sizeof(watchdog_env), "WATCHDOG_USEC=%llu",
			 (unsigned long long)st->watchdog_usec);
		extra[1] = watchdog_env;
	}
	pid_t pid;
	if (service_spawn(svc, extra, -1, -1, -1, &pid) < 0)
		return -1;
	/* The uid it runs as, for senders gone before their datagram is read. */
	char path[32];
	struct stat sb;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	st->uid = stat(path, &sb) == 0 ? sb.st_uid : 0;
	service_set_note(svc, "waiting for READY=1");
	notify_arm(svc, TIMER_READY, (uint64_t)(svc_process_timeout(svc) * 1000));
	return 0;
}

static void notify_on_timer(struct service *svc)
{
	struct notify_state *st = svc->type_data;
	if (!st)
		return;
	enum notify_timer_use use = st->timer_use;
	st->timer_use = TIMER_NONE;
	if (use == TIMER_READY && svc->state == SVC_STARTING) {
		if (svc->attached_pid)
			kill(svc->attached_pid, SIGKILL);
		service_start_failed(svc, "%s did not receive ready notification within %gs",
				     svc->conf->name, svc_process_timeout(svc));
	} else if (use == TIMER_WATCHDOG && svc->state == SVC_READY) {
		char why[96];
		snprintf(why, sizeof(why), "watchdog timeout (no WATCHDOG=1 within %.3gs)",
			 (double)st->watchdog_usec / 1e6);
		notify_watchdog_expired(svc, why);
	} else if (use == TIMER_ABORT && (svc->pid || svc->attached_pid)) {
		service_signal(svc, SIGKILL);
	}
}

static void notify_on_exit(struct service *svc, pid_t pid, int status)
{
	struct notify_state *st = svc->type_data;
	if (svc->state == SVC_STARTING && !svc->stop_requested) {
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			char how[64];
			service_start_failed(svc, "%s failed on start-up with result '%s'",
					     svc->conf->name,
					     child_status_describe(status, how, sizeof(how)));
			return;
		}
		/* Allowed: a process it forked may still send READY=1 (the timer still runs). */
		if (!svc->pid && !svc->attached_pid && st && !st->exited_before_ready) {
			st->exited_before_ready = true;
			tend_log(logger_of(svc), LOG_SEVERITY_INFO,
				 "%s exited before READY=1; still waiting for the notification",
				 svc->conf->name);
		}
		return;
	}
	if (svc->pid || svc->attached_pid)
		return; /* the other one of main/attached is still alive */
	if (st) {
		loop_timer_stop(system_loop(svc->system), &svc->timer);
		st->timer_use = TIMER_NONE;
		notify_close_socket(svc, st);
		if (st->watchdog_fired && !svc->stop_requested && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			status = SIGABRT; /* a watchdog abort is never a clean exit */
		else if (st->reported_status >= 0 && !svc->stop_requested)
			status = st->reported_status;
		st->watchdog_fired = false;
		st->reported_status = -1;
	}
	/* After a start failure the process was killed by tend: that is not news. */
	if (svc->state != SVC_READY && svc->state != SVC_STOPPING) {
		svc->last_status = status;
		return;
	}
	service_process_ended(svc, status);
}

static void notify_release(struct service *svc)
{
	struct notify_state *st = svc->type_data;
	attach_release(svc);
	if (!st)
		return;
	notify_close_socket(svc, st);
	st->timer_use = TIMER_NONE;
}

const struct service_ops notify_ops = {
    .name = "notify",
    .start = notify_start,
    .on_exit = notify_on_exit,
    .on_timer = notify_on_timer,
    .release = notify_release,
};
