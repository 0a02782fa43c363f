/*
 * spawn.c — turning a service's configuration into a running process: argv, environment,
 * user, directory, process group and output pipes. Every type starts its processes here.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/argv.h"
#include "core/child.h"
#include "log/log.h"
#include "svc/launch.h"
#include "svc/service.h"
#include "system.h"

static int output_pipe(const char *mode, int inherit_fd, int *parent_end, int *child_end)
{
	*parent_end = -1;
	if (mode && strcmp(mode, "inherit") == 0) {
		*child_end = inherit_fd;
		return 0;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fd_set_nonblock_cloexec(fds[0]);
	*parent_end = fds[0];
	*child_end = fds[1];
	return 0;
}

int service_spawn(struct service *svc, const char *const *extra_env, int stdin_fd, int stdout_fd,
		  int stderr_fd, pid_t *pid_out)
{
	struct launch launch;
	char err[512];
	if (launch_prepare(svc, extra_env, &launch, err, sizeof(err)) < 0) {
		service_start_failed(svc, "%s", err);
		return -1;
	}
	int out_read = -1, err_read = -1, out_write = stdout_fd, err_write = stderr_fd;
	bool inherit_out = svc->force_inherit_output;
	if (stdout_fd < 0 &&
	    output_pipe(inherit_out ? "inherit" : launch.stdout_mode, 1, &out_read, &out_write) < 0)
		goto pipe_failed;
	if (stderr_fd < 0 &&
	    output_pipe(inherit_out ? "inherit" : launch.stderr_mode, 2, &err_read, &err_write) < 0)
		goto pipe_failed;

	struct child_fd_map fds[3] = {
	    {stdin_fd < 0 ? 0 : stdin_fd, 0}, {out_write, 1}, {err_write, 2}};
	const char *step = NULL;
	struct child_spec spec = {
	    .path = launch.argv[0],
	    .argv = launch.argv,
	    .envp = launch.envp,
	    .directory = launch.directory,
	    .set_user = launch.has_user,
	    .uid = launch.uid,
	    .gid = launch.gid,
	    .user_name = launch.user_name,
	    .pgrp = svc->conf->setpgrp ? CHILD_PGRP_NEW : CHILD_PGRP_KEEP,
	    .fds = fds,
	    .nfds = 3,
	    .failed_step = &step,
	};
	pid_t pid = child_spawn(&spec);
	int spawn_errno = errno;
	if (out_read >= 0)
		close(out_write);
	if (err_read >= 0)
		close(err_write);
	if (pid < 0) {
		if (out_read >= 0)
			close(out_read);
		if (err_read >= 0)
			close(err_read);
		svc->last_exec_errno = spawn_errno;
		if (step && strcmp(step, "exec") == 0 && spawn_errno == ENOENT &&
		    svc->conf->optional) {
			tend_log(system_logger(svc->system), LOG_SEVERITY_INFO,
				 "%s: executable %s not found; optional service disabled",
				 svc->conf->name, launch.argv[0]);
			launch_free(&launch);
			svc->enabled = false;
			service_dispatch(svc, SVC_EV_DISABLE);
			return -1;
		}
		errno = spawn_errno;
		service_start_failed(svc, "%s: could not start %s: %s failed: %s", svc->conf->name,
				     launch.argv[0], step ? step : "fork", strerror(spawn_errno));
		launch_free(&launch);
		return -1;
	}
	if (svc->conf->debug == 1 ||
	    (svc->conf->debug == CONF_UNSET && system_config(svc->system)->settings.debug))
		for (char *const *e = launch.envp; *e; e++)
			tend_log(system_logger(svc->system), LOG_SEVERITY_DEBUG,
				 "%s environment: %s", svc->conf->name, *e);
	launch_free(&launch);

	svc->pid = pid;
	svc->pgid = svc->conf->setpgrp ? pid : 0;
	service_watch_pid(svc, pid);
	struct logger *logger = system_logger(svc->system);
	if (out_read >= 0) {
		if (svc->out)
			log_capture_free(svc->out);
		svc->out = log_capture_new(logger, out_read, svc->conf->name, svc->short_name, pid,
					   LOG_ORIGIN_STDOUT, NULL, NULL);
	}
	if (err_read >= 0) {
		if (svc->err)
			log_capture_free(svc->err);
		svc->err = log_capture_new(logger, err_read, svc->conf->name, svc->short_name, pid,
					   LOG_ORIGIN_STDERR, NULL, NULL);
	}
	if (pid_out)
		*pid_out = pid;
	return 0;
pipe_failed:
	service_start_failed(svc, "could not create output pipes: %s", strerror(errno));
	if (out_read >= 0) {
		close(out_read);
		close(out_write);
	}
	launch_free(&launch);
	return -1;
}
