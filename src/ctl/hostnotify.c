/*
 * hostnotify.c — sd_notify to whoever started tend (systemd, sdnotify-exec, a test): when
 * NOTIFY_SOCKET is set at start-up (a path, or "@name" for an abstract socket), tend sends
 *   MAINPID=<tend's pid>            at once, unless tend is PID 1 (in a container its pid
 *                                   means nothing to the host; chaperone never sent it),
 *   READY=1                         when start-up finished (SYSTEM_EV_ALL_STARTED),
 *   STATUS=Uptime HH:MM:SS; N services started[; k scheduled][; f failed]
 *                                   with READY and then every settings.status_interval,
 *   STOPPING=1                      when shutdown begins,
 *   ERRNO=n                         once, when a failure brings the system down,
 *   WATCHDOG=1                      every WATCHDOG_USEC/2 while tend is healthy (its loop
 *                                   runs and no failure is bringing it down), when
 *                                   WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is tend).
 * Datagrams are sent without blocking; one the receiver cannot take is dropped and counted.
 * As in chaperone, NOTIFY_SOCKET stays in tend's environment, so services inherit it unless
 * their env_unset removes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

struct face_handle {
	struct system *system;
	struct loop *loop;
	int fd;
	struct loop_timer status_timer;
	struct loop_timer watchdog_timer;
	struct loop_timer ready_timer;
	uint64_t status_interval_ms; /* 0: no periodic STATUS */
	uint64_t watchdog_ms;	     /* ping period; 0: no watchdog */
	bool ready_sent;
	bool errno_sent;
	bool stopping;
	bool fatal;
	unsigned long dropped;
};

static void hostnotify_send(struct face_handle *h, const char *message)
{
	if (send(h->fd, message, strlen(message), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (h->dropped++ == 0)
			tend_log(
			    system_logger(h->system), LOG_SEVERITY_WARNING,
			    "NOTIFY_SOCKET: '%s' not sent: %s (further failures are only counted)",
			    message, strerror(errno));
	}
}

static void hostnotify_status(struct face_handle *h)
{
	struct system *s = h->system;
	size_t started = 0, scheduled = 0, failed = 0;
	for (size_t i = 0; i < system_service_count(s); i++) {
		const struct service *svc = system_service_at(s, i);
		started += svc->started;
		scheduled += svc->state == SVC_SCHEDULED;
		failed += svc->state == SVC_FAILED;
	}
	uint64_t secs = (loop_now_ms() - system_started_at_ms(s)) / 1000;
	char text[256];
	int n = snprintf(text, sizeof(text), "STATUS=Uptime %02llu:%02llu:%02llu; ",
			 (unsigned long long)(secs / 3600), (unsigned long long)(secs / 60 % 60),
			 (unsigned long long)(secs % 60));
	if (started)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%zu service%s started", started,
			      started == 1 ? "" : "s");
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "No services started");
	if (scheduled)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "; %zu scheduled", scheduled);
	if (failed)
		snprintf(text + n, sizeof(text) - (size_t)n, "; %zu failed", failed);
	hostnotify_send(h, text);
}

static void status_due(struct loop *loop, void *arg)
{
	struct face_handle *h = arg;
	if (h->stopping)
		return;
	hostnotify_status(h);
	loop_timer_start(loop, &h->status_timer, h->status_interval_ms);
}

static void watchdog_due(struct loop *loop, void *arg)
{
	struct face_handle *h = arg;
	if (!h->fatal)
		hostnotify_send(h, "WATCHDOG=1");
	loop_timer_start(loop, &h->watchdog_timer, h->watchdog_ms);
}

/* READY=1 goes out from a timer: the event that finished start-up may be the very failure
 * that is about to stop the system (chaperone never says READY while it is being killed). */
static void ready_due(struct loop *loop, void *arg)
{
	struct face_handle *h = arg;
	if (h->ready_sent || h->stopping || h->fatal || system_phase(h->system) >= PHASE_STOPPING)
		return;
	h->ready_sent = true;
	hostnotify_send(h, "READY=1");
	hostnotify_status(h);
	if (h->status_interval_ms)
		loop_timer_start(h->loop, &h->status_timer, h->status_interval_ms);
}

static void on_event(struct system *system, enum system_event event, struct service *svc, void *arg)
{
	struct face_handle *h = arg;
	char text[64];
	switch (event) {
	case SYSTEM_EV_ALL_STARTED:
		loop_timer_start(h->loop, &h->ready_timer, 0);
		return;
	case SYSTEM_EV_FATAL:
		h->fatal = true;
		if (!h->errno_sent) {
			h->errno_sent = true;
			int err = system_fatal_errno(system);
			snprintf(text, sizeof(text), "ERRNO=%d", err > 0 ? err : 8);
			hostnotify_send(h, text);
		}
		return;
	case SYSTEM_EV_STOPPING:
		if (!h->stopping) {
			h->stopping = true;
			loop_timer_stop(h->loop, &h->status_timer);
			hostnotify_send(h, "STOPPING=1");
		}
		return;
	default:
		return;
	}
}

/* "@name" is an abstract socket (leading NUL), as systemd and chaperone read it. */
static int hostnotify_connect(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	socklen_t addrlen =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '@' ? 0 : 1));
	if (connect(fd, (struct sockaddr *)&addr, addrlen) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static uint64_t watchdog_period_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	if (!usec || !usec[0])
		return 0;
	if (pid && pid[0] && strtol(pid, NULL, 10) != (long)getpid())
		return 0; /* meant for another process */
	char *end;
	unsigned long long value = strtoull(usec, &end, 10);
	if (*end || value == 0)
		return 0;
	uint64_t ms = value / 2000; /* half the interval, as sd_watchdog_enabled advises */
	return ms ? ms : 1;
}

struct face_handle *hostnotify_start(struct system *system, const struct config *config);
struct face_handle *hostnotify_start(struct system *system, const struct config *config)
{
	const char *name = getenv("NOTIFY_SOCKET");
	if (!name || !name[0])
		return NULL;
	struct logger *logger = system_logger(system);
	int fd = hostnotify_connect(name);
	if (fd < 0) {
		tend_log(logger, LOG_SEVERITY_WARNING, "NOTIFY_SOCKET %s: cannot connect: %s", name,
			 strerror(errno));
		return NULL;
	}
	struct face_handle *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return NULL;
	}
	h->system = system;
	h->loop = system_loop(system);
	h->fd = fd;
	double interval = config->settings.status_interval;
	h->status_interval_ms = interval > 0 ? (uint64_t)(interval * 1000.0) : 0;
	h->watchdog_ms = watchdog_period_ms();
	loop_timer_init(&h->status_timer, status_due, h);
	loop_timer_init(&h->watchdog_timer, watchdog_due, h);
	loop_timer_init(&h->ready_timer, ready_due, h);
	system_subscribe(system, on_event, h);
	if (getpid() != 1) {
		char text[64];
		snprintf(text, sizeof(text), "MAINPID=%d", (int)getpid());
		hostnotify_send(h, text);
	}
	if (h->watchdog_ms)
		loop_timer_start(h->loop, &h->watchdog_timer, h->watchdog_ms);
	tend_log(logger, LOG_SEVERITY_DEBUG, "notifying the host through %s", name);
	return h;
}

void hostnotify_stop(struct face_handle *h);
void hostnotify_stop(struct face_handle *h)
{
	if (!h)
		return;
	loop_timer_stop(h->loop, &h->status_timer);
	loop_timer_stop(h->loop, &h->watchdog_timer);
	loop_timer_stop(h->loop, &h->ready_timer);
	close(h->fd);
	free(h);
}
