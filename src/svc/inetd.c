/*
 * inetd.c — `type: inetd`: tend listens on `port` and runs `command` once per connection,
 * with the connected socket as the instance's stdin, stdout and stderr.
 *
 * The listener is IPv6 dual-stack ("::" with IPV6_V6ONLY off, so IPv4 clients arrive as
 * mapped addresses), falling back to IPv4 0.0.0.0 where the kernel has no IPv6 (chaperone
 * listens on IPv4 only). The service counts as started once listening. Instances run
 * concurrently, each watched by its own pid, up to max_instances (default 64); a connection
 * over the limit is closed at once, with a log line.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "log/record.h"
#include "svc/environment.h"
#include "svc/service.h"
#include "system.h"

#define INETD_DEFAULT_MAX 64
#define INETD_HARD_MAX	  4096
/* Connections accepted per wakeup, so a flood cannot starve the loop. */
#define INETD_ACCEPT_BATCH 32
/* When out of fds (EMFILE), how long the listener rests before accepting again. */
#define INETD_REST_MS 1000

/* Kept for the service's lifetime once allocated (system_free frees it); release() closes
 * the listener and frees the instance table. */
struct inetd_state {
	int listen_fd; /* -1 when not listening */
	long port;
	unsigned long received; /* connections accepted since the start */
	unsigned long refused;	/* closed at once: over the limit, or spawn failed */
	pid_t *instances;	/* running instances, unordered */
	size_t count;
	size_t max;
	bool resting;	/* listener paused after EMFILE */
	bool signalled; /* instances were sent kill_signal by stop() */
};

static struct logger *logger_of(struct service *svc)
{
	return system_logger(svc->system);
}

static void inetd_log(struct service *svc, int severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void inetd_log(struct service *svc, int severity, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* chaperone logs inetd services' messages under the daemon facility. */
	tend_log_facility(logger_of(svc), LOG_FACILITY_DAEMON, severity, "%s", text);
}

static void inetd_update_note(struct service *svc)
{
	struct inetd_state *st = svc->type_data;
	service_set_note(svc, "waiting on port %ld; req recvd = %lu; running = %zu", st->port,
			 st->received, st->count);
}

static void inetd_close_listener(struct service *svc, struct inetd_state *st)
{
	if (st->listen_fd < 0)
		return;
	loop_del_fd(system_loop(svc->system), st->listen_fd);
	close(st->listen_fd);
	st->listen_fd = -1;
}

static void inetd_kill_instance(struct service *svc, pid_t pid, int signo)
{
	if (svc->conf->setpgrp && kill(-pid, signo) == 0)
		return;
	kill(pid, signo);
}

static void inetd_instance_exited(pid_t pid, int status, void *arg)
{
	struct service *svc = arg;
	struct inetd_state *st = svc->type_data;
	if (!st)
		return;
	for (size_t i = 0; i < st->count; i++)
		if (st->instances[i] == pid) {
			st->instances[i] = st->instances[--st->count];
			break;
		}
	char how[64];
	child_status_describe(status, how, sizeof(how));
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	inetd_log(svc, clean ? LOG_SEVERITY_DEBUG : LOG_SEVERITY_INFO,
		  "%s: instance PID %d ended (%s)", svc->conf->name, (int)pid, how);
	if (st->listen_fd >= 0)
		inetd_update_note(svc);
}

static void inetd_serve(struct service *svc, struct inetd_state *st, int conn)
{
	st->received++;
	inetd_log(svc, LOG_SEVERITY_INFO, "%s: received connection on port %ld", svc->conf->name,
		  st->port);
	if (st->count >= st->max) {
		st->refused++;
		inetd_log(svc, LOG_SEVERITY_WARNING,
			  "%s: %zu instances running (max_instances); connection closed",
			  svc->conf->name, st->count);
		close(conn);
		return;
	}
	pid_t pid;
	int rc = service_spawn(svc, NULL, conn, conn, conn, &pid);
	close(conn);
	if (rc < 0) {
		st->refused++;
		return;
	}
	/* service_spawn follows one main pid; instances are many: take the pid over. */
	struct child_table *children = system_children(svc->system);
	child_unwatch(children, pid);
	svc->pid = 0;
	svc->pgid = 0;
	if (child_watch(children, pid, inetd_instance_exited, svc) < 0)
		inetd_log(svc, LOG_SEVERITY_WARNING, "%s: cannot watch instance PID %d",
			  svc->conf->name, (int)pid);
	else
		st->instances[st->count++] = pid;
	inetd_update_note(svc);
}

static void inetd_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct service *svc = arg;
	struct inetd_state *st = svc->type_data;
	for (int i = 0; i < INETD_ACCEPT_BATCH && st && st->listen_fd == fd; i++) {
		int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0) {
			inetd_serve(svc, st, conn);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			inetd_log(svc, LOG_SEVERITY_WARNING, "%s: cannot accept on port %ld: %s",
				  svc->conf->name, st->port, strerror(errno));
			/* Level-triggered: rest rather than spin on a connection we cannot take. */
			if (loop_mod_fd(loop, fd, 0) == 0) {
				st->resting = true;
				loop_timer_start(loop, &svc->timer, INETD_REST_MS);
			}
		}
		return; /* EAGAIN, or an aborted connection: nothing more now */
	}
}

/* Listen on [::]:port (dual stack), or 0.0.0.0:port without IPv6. */
static int inetd_listen(long port)
{
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6,
					     .sin6_port = htons((uint16_t)port),
					     .sin6_addr = in6addr_any};
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, (struct sockaddr *)&addr6, sizeof(addr6)) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			return fd;
		int saved = errno;
		close(fd);
		/* Only a missing IPv6 stack sends us to IPv4; "port in use" is an answer. */
		if (saved != EADDRNOTAVAIL && saved != EAFNOSUPPORT && saved != EPROTONOSUPPORT) {
			errno = saved;
			return -1;
		}
	} else if (errno != EAFNOSUPPORT) {
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in addr4 = {.sin_family = AF_INET,
				    .sin_port = htons((uint16_t)port),
				    .sin_addr = {htonl(INADDR_ANY)}};
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(fd, (struct sockaddr *)&addr4, sizeof(addr4)) == 0 && listen(fd, SOMAXCONN) == 0)
		return fd;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* The port after expansion; 0 (with a start failure raised) when it is not one. */
static long inetd_port(struct service *svc)
{
	if (!svc->conf->port) {
		service_start_failed(svc, "%s: inetd service requires a 'port'", svc->conf->name);
		return 0;
	}
	char err[256];
	struct service_env env;
	if (service_env_build(svc, &env, err, sizeof(err)) < 0) {
		service_start_failed(svc, "%s: %s", svc->conf->name, err);
		return 0;
	}
	char *text = service_env_expand(&env, svc->conf->port);
	service_env_free(&env);
	long port = 0;
	if (!text || conf_int_from_string(text, &port) < 0 || port < 1 || port > 65535) {
		service_start_failed(svc, "%s: port '%s' is not a port number (1-65535)",
				     svc->conf->name, text ? text : svc->conf->port);
		port = 0;
	}
	free(text);
	return port;
}

static int inetd_start(struct service *svc)
{
	struct inetd_state *st = svc->type_data;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st) {
			service_start_failed(svc, "%s: out of memory", svc->conf->name);
			return -1;
		}
		st->listen_fd = -1;
		svc->type_data = st;
	}
	inetd_close_listener(svc, st);
	free(st->instances);
	memset(st, 0, sizeof(*st));
	st->listen_fd = -1;
	st->max =
	    svc->conf->max_instances > 0 ? (size_t)svc->conf->max_instances : INETD_DEFAULT_MAX;
	if (st->max > INETD_HARD_MAX)
		st->max = INETD_HARD_MAX;
	st->instances = calloc(st->max, sizeof(pid_t));
	if (!st->instances) {
		service_start_failed(svc, "%s: out of memory", svc->conf->name);
		return -1;
	}
	st->port = inetd_port(svc);
	if (!st->port)
		return -1;
	int fd = inetd_listen(st->port);
	if (fd < 0) {
		service_start_failed(svc, "%s: cannot listen on port %ld: %s", svc->conf->name,
				     st->port, strerror(errno));
		return -1;
	}
	if (loop_add_fd(system_loop(svc->system), fd, EPOLLIN, inetd_accept, svc) < 0) {
		int saved = errno;
		close(fd);
		service_start_failed(svc, "%s: cannot watch port %ld: %s", svc->conf->name,
				     st->port, strerror(saved));
		return -1;
	}
	st->listen_fd = fd;
	inetd_log(svc, LOG_SEVERITY_INFO, "%s: listening on port %ld", svc->conf->name, st->port);
	inetd_update_note(svc);
	/* Raise SCHEDULE from the loop, not from inside the state change that called us. */
	loop_timer_start(system_loop(svc->system), &svc->timer, 0);
	return 0;
}

static void inetd_on_timer(struct service *svc)
{
	struct inetd_state *st = svc->type_data;
	if (!st)
		return;
	if (svc->state == SVC_STARTING) {
		service_dispatch(svc, SVC_EV_SCHEDULE);
	} else if (st->resting && st->listen_fd >= 0) {
		st->resting = false;
		loop_mod_fd(system_loop(svc->system), st->listen_fd, EPOLLIN);
	}
}

/* Instances are not the service's main process: only their watch callback sees them. */
static void inetd_on_exit(struct service *svc, pid_t pid, int status)
{
	(void)pid;
	(void)status;
}

static void inetd_stop(struct service *svc)
{
	struct inetd_state *st = svc->type_data;
	if (!st)
		return;
	inetd_close_listener(svc, st);
	for (size_t i = 0; i < st->count; i++)
		inetd_kill_instance(svc, st->instances[i], svc->conf->kill_signal);
	st->signalled = true;
}

static void inetd_release(struct service *svc)
{
	struct inetd_state *st = svc->type_data;
	if (!st)
		return;
	inetd_close_listener(svc, st);
	/* Instances still running are told to go and left to the reaper (tend reaps every
	 * child; the shutdown sweep finishes any that linger). */
	struct child_table *children = system_children(svc->system);
	for (size_t i = 0; i < st->count; i++) {
		if (!st->signalled)
			inetd_kill_instance(svc, st->instances[i], svc->conf->kill_signal);
		child_unwatch(children, st->instances[i]);
	}
	free(st->instances);
	st->instances = NULL;
	st->count = 0;
	st->max = 0;
	st->signalled = false;
	st->resting = false;
}

const struct service_ops inetd_ops = {
    .name = "inetd",
    .start = inetd_start,
    .on_exit = inetd_on_exit,
    .on_timer = inetd_on_timer,
    .stop = inetd_stop,
    .release = inetd_release,
};
