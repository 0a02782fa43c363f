/*
 * oneshot.c — a command that must finish: started (and its dependents released) when it
 * exits 0 within process_timeout; a non-zero exit or the timeout is a start failure.
 */
#include <signal.h>
#include <sys/wait.h>

#include "core/child.h"
#include "svc/service.h"
#include "system.h"

static int oneshot_start(struct service *svc)
{
	if (service_spawn(svc, NULL, -1, -1, -1, NULL) < 0)
		return -1;
	loop_timer_start(system_loop(svc->system), &svc->timer,
			 (uint64_t)(svc_process_timeout(svc) * 1000));
	return 0;
}

static void oneshot_on_timer(struct service *svc)
{
	if (svc->state == SVC_STARTING)
		service_start_failed(svc, "%s did not complete within %gs", svc->conf->name,
				     svc_process_timeout(svc));
}

static void oneshot_on_exit(struct service *svc, pid_t pid, int status)
{
	svc->last_status = status;
	if (svc->state != SVC_STARTING || svc->stop_requested) {
		service_process_ended(svc, status);
		return;
	}
	loop_timer_stop(system_loop(svc->system), &svc->timer);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		service_dispatch(svc, SVC_EV_DONE);
		return;
	}
	char how[64];
	service_start_failed(svc, "%s failed on start-up with result '%s'", svc->conf->name,
			     child_status_describe(status, how, sizeof(how)));
}

const struct service_ops oneshot_ops = {
    .name = "oneshot",
    .start = oneshot_start,
    .on_exit = oneshot_on_exit,
    .on_timer = oneshot_on_timer,
};
