/*
 * simple.c — the default service type: running once spawned. A non-zero exit within
 * startup_pause is a start failure; with a pidfile, the service counts as started once the
 * pidfile names a live process, which is then followed as the real daemon.
 */
#include <signal.h>
#include <sys/wait.h>

#include "core/child.h"
#include "log/log.h"
#include "svc/attach.h"
#include "svc/service.h"
#include "system.h"

static int simple_start(struct service *svc)
{
	if (service_spawn(svc, NULL, -1, -1, -1, NULL) < 0)
		return -1;
	attach_begin(svc);
	loop_timer_start(system_loop(svc->system), &svc->timer,
			 (uint64_t)(svc_startup_pause(svc) * 1000));
	return 0;
}

static void simple_on_timer(struct service *svc)
{
	if (svc->state != SVC_STARTING)
		return;
	if (!svc->conf->pidfile) {
		service_dispatch(svc, svc->pid ? SVC_EV_UP : SVC_EV_DONE);
		return;
	}
	attach_wait_pidfile(svc);
}

static void simple_on_exit(struct service *svc, pid_t pid, int status)
{
	if (svc->state == SVC_STARTING && !svc->stop_requested && svc_startup_pause(svc) <= 0 &&
	    !svc->conf->pidfile) {
		/* No start-up pause (the CONSOLE command): it was running the moment it was
		 * spawned, so any exit is an ordinary end, not a start failure. Reported before
		 * any state change, so the log tells the end before what follows from it. */
		loop_timer_stop(system_loop(svc->system), &svc->timer);
		service_process_ended(svc, status);
		return;
	}
	if (svc->state == SVC_STARTING && !svc->stop_requested) {
		bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!ok) {
			char how[64];
			service_start_failed(svc, "%s failed on start-up with result '%s'",
					     svc->conf->name,
					     child_status_describe(status, how, sizeof(how)));
			return;
		}
		/* exit 0 during the pause is fine for chaperone; with a pidfile we keep waiting
		 * for the daemon it names. */
		if (!svc->conf->pidfile) {
			svc->last_status = status;
			loop_timer_stop(system_loop(svc->system), &svc->timer);
			service_dispatch(svc, SVC_EV_DONE);
		}
		return;
	}
	if (svc->pid || svc->attached_pid)
		return; /* the other one of main/attached is still alive */
	service_process_ended(svc, status);
}

const struct service_ops simple_ops = {
    .name = "simple",
    .start = simple_start,
    .on_exit = simple_on_exit,
    .on_timer = simple_on_timer,
    .release = attach_release,
};
