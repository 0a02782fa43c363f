/*
 * attach.c — pidfile waits and attached pids (see attach.h).
 */
#include "svc/attach.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void attach_begin(struct service *svc)
{
	svc->attach_deadline_ms = loop_now_ms() + (uint64_t)(svc_process_timeout(svc) * 1000);
	svc->attach_interval_ms = 20;
}

enum attach_result attach_poll_pidfile(struct service *svc)
{
	pid_t pid = service_read_pidfile(svc);
	if (pid > 0 && kill(pid, 0) == 0) {
		tend_log(system_logger(svc->system), LOG_SEVERITY_INFO,
			 "%s: changing PID to %d (from pidfile)", svc->conf->name, (int)pid);
		attach_pid(svc, pid);
		return ATTACH_FOUND;
	}
	uint64_t now = loop_now_ms();
	if (now >= svc->attach_deadline_ms)
		return ATTACH_TIMED_OUT;
	uint64_t wait = svc->attach_interval_ms;
	if (now + wait > svc->attach_deadline_ms)
		wait = svc->attach_deadline_ms - now;
	loop_timer_start(system_loop(svc->system), &svc->timer, wait);
	svc->attach_interval_ms =
	    svc->attach_interval_ms * 2 > 3000 ? 3000 : svc->attach_interval_ms * 2;
	return ATTACH_WAITING;
}

static void attached_gone(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct service *svc = arg;
	/* If it was (or became) our child, reaping delivers its real status first. */
	system_reap(svc->system);
	if (svc->attach_pidfd != fd)
		return; /* released while reaping */
	loop_del_fd(loop, fd);
	close(fd);
	svc->attach_pidfd = -1;
	pid_t pid = svc->attached_pid;
	if (!pid)
		return;
	/* Not our child: the status is unknowable; report a plain exit. */
	child_unwatch(system_children(svc->system), pid);
	svc->attached_pid = 0;
	svc->ops->on_exit(svc, pid, 0);
}

int attach_pid(struct service *svc, pid_t pid)
{
	attach_release(svc);
	svc->attached_pid = pid;
	service_watch_pid(svc, pid);
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		fd_set_nonblock_cloexec(fd);
		if (loop_add_fd(system_loop(svc->system), fd, EPOLLIN, attached_gone, svc) < 0) {
			close(fd);
			fd = -1;
		}
	}
	svc->attach_pidfd = fd;
	return 0;
}

void attach_release(struct service *svc)
{
	if (svc->attach_pidfd >= 0) {
		loop_del_fd(system_loop(svc->system), svc->attach_pidfd);
		close(svc->attach_pidfd);
		svc->attach_pidfd = -1;
	}
}

void attach_wait_pidfile(struct service *svc)
{
	switch (attach_poll_pidfile(svc)) {
	case ATTACH_FOUND:
		service_dispatch(svc, SVC_EV_UP);
		break;
	case ATTACH_WAITING:
		break;
	case ATTACH_TIMED_OUT:
		service_start_failed(svc, "%s: pidfile %s did not appear within %gs",
				     svc->conf->name, svc->conf->pidfile, svc_process_timeout(svc));
		break;
	}
}
