/*
 * hostexec.c — see hostexec.h.
 *
 * The child opens every namespace file first (the paths stop making sense once it has entered
 * the host's mount namespace), then enters them, then forks once more so that the script is
 * born inside the target's PID namespace; the middle process waits and passes the status on.
 */
#include "hostexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOSTEXEC_ENVIRON_MAX (64u << 10)

struct hostexec {
	struct evloop *loop;
	engine_exec_fn *fn;
	void *arg;
	pid_t pid;
	int pidfd, out_fd, err_fd;
	size_t limit, dropped;
	char *out, *err;
	size_t out_len, err_len;
	int status;
	bool exited, timed_out, killed;
	uint64_t started_ms;
	struct evloop_timer deadline;
};

static const struct {
	const char *name;
	int type;
	bool required;
} namespaces[] = {
    {"ipc", CLONE_NEWIPC, false}, {"uts", CLONE_NEWUTS, true},
    {"net", CLONE_NEWNET, true},  {"cgroup", CLONE_NEWCGROUP, false},
    {"pid", CLONE_NEWPID, false}, {"mnt", CLONE_NEWNS, true}, /* mount last: paths change */
};
#define N_NAMESPACES (sizeof(namespaces) / sizeof(namespaces[0]))

static void child_fail(const char *what, int err)
{
	dprintf(2, "tend-docker: %%host: %s: %s\n", what, strerror(err));
	_exit(126);
}

/* In the child: enter the namespaces, fork into the PID namespace, exec. Never returns. */
static void child_run(const struct hostexec_options *opt, char **envp)
{
	int fds[N_NAMESPACES];
	char path[256];
	for (size_t i = 0; i < N_NAMESPACES; i++) {
		snprintf(path, sizeof(path), "%s/%d/ns/%s", opt->proc_root, opt->host_pid,
			 namespaces[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && namespaces[i].required)
			child_fail(path, errno);
	}
	for (size_t i = 0; i < N_NAMESPACES; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], namespaces[i].type) < 0 && namespaces[i].required)
			child_fail(namespaces[i].name, errno);
		close(fds[i]);
	}
	if (chdir("/") < 0)
		child_fail("chdir /", errno);
	pid_t pid = fork();
	if (pid < 0)
		child_fail("fork", errno);
	if (pid == 0) {
		char *argv[] = {"sh", "-c", (char *)opt->body, NULL};
		execve("/bin/sh", argv, envp);
		child_fail("exec /bin/sh", errno);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

/* The host process's environment (NUL-separated), with ours appended; later entries win in
 * getenv, but sh keeps the first, so our keys are removed from the host's list. */
static char **build_env(const struct hostexec_options *opt, char **blob_out)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%d/environ", opt->proc_root, opt->host_pid);
	char *blob = malloc(HOSTEXEC_ENVIRON_MAX + 1);
	if (!blob)
		return NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n;
		while (len < HOSTEXEC_ENVIRON_MAX &&
		       (n = read(fd, blob + len, HOSTEXEC_ENVIRON_MAX - len)) > 0)
			len += (size_t)n;
		close(fd);
	}
	blob[len] = '\0';
	size_t n_ours = 0, n_host = 0;
	while (opt->env && opt->env[n_ours])
		n_ours++;
	for (size_t i = 0; i < len; i++)
		if (blob[i] == '\0')
			n_host++;
	char **envp = calloc(n_host + n_ours + 2, sizeof(char *));
	if (!envp) {
		free(blob);
		return NULL;
	}
	size_t n = 0;
	for (size_t at = 0; at < len; at += strlen(blob + at) + 1) {
		const char *entry = blob + at;
		const char *eq = strchr(entry, '=');
		if (!eq)
			continue;
		bool overridden = false;
		for (size_t i = 0; i < n_ours && !overridden; i++)
			overridden = strncmp(opt->env[i], entry, (size_t)(eq - entry) + 1) == 0;
		if (!overridden)
			envp[n++] = blob + at;
	}
	if (n == 0)
		envp[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; i < n_ours; i++)
		envp[n++] = (char *)opt->env[i];
	*blob_out = blob;
	return envp;
}

static void hostexec_finish(struct hostexec *h, const char *error)
{
	evloop_timer_stop(h->loop, &h->deadline);
	int code = -1;
	if (!h->timed_out && h->exited)
		code = WIFEXITED(h->status) ? WEXITSTATUS(h->status) : 128 + WTERMSIG(h->status);
	struct engine_exec_result result = {
	    .exit_code = code,
	    .timed_out = h->timed_out,
	    .killed = h->killed,
	    .out = h->out ? h->out : "",
	    .err = h->err ? h->err : "",
	    .out_len = h->out_len,
	    .err_len = h->err_len,
	    .dropped = h->dropped,
	    .duration_ms = evloop_now_ms() - h->started_ms,
	    .error = error,
	};
	h->fn(h->arg, &result);
	free(h->out);
	free(h->err);
	free(h);
}

static void hostexec_maybe_finish(struct hostexec *h)
{
	if (h->exited && h->out_fd < 0 && h->err_fd < 0)
		hostexec_finish(h, NULL);
}

void hostexec_abandon(struct hostexec *h)
{
	int *fds[] = {&h->out_fd, &h->err_fd, &h->pidfd};
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] < 0)
			continue;
		evloop_del_fd(h->loop, *fds[i]);
		close(*fds[i]);
		*fds[i] = -1;
	}
	hostexec_finish(h, "abandoned at shutdown");
}

static void on_output(struct evloop *loop, int fd, short revents, void *arg)
{
	struct hostexec *h = arg;
	bool is_out = fd == h->out_fd;
	char **buf = is_out ? &h->out : &h->err;
	size_t *len = is_out ? &h->out_len : &h->err_len;
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		evloop_del_fd(loop, fd);
		close(fd);
		if (is_out)
			h->out_fd = -1;
		else
			h->err_fd = -1;
		hostexec_maybe_finish(h);
		return;
	}
	size_t room = h->limit > *len ? h->limit - *len : 0;
	size_t take = (size_t)n < room ? (size_t)n : room;
	if (take > 0) {
		char *grown = realloc(*buf, *len + take + 1);
		if (grown) {
			*buf = grown;
			memcpy(*buf + *len, chunk, take);
			*len += take;
			(*buf)[*len] = '\0';
		} else {
			take = 0;
		}
	}
	h->dropped += (size_t)n - take;
}

static void on_exit_fd(struct evloop *loop, int fd, short revents, void *arg)
{
	struct hostexec *h = arg;
	if (waitpid(h->pid, &h->status, WNOHANG) != h->pid)
		return;
	evloop_del_fd(loop, fd);
	close(fd);
	h->pidfd = -1;
	h->exited = true;
	hostexec_maybe_finish(h);
}

static void on_deadline(struct evloop *loop, void *arg)
{
	struct hostexec *h = arg;
	h->timed_out = true;
	/* the child called setsid: its process group holds the script and whatever it started
	 * in the foreground; background daemons that left the group are on their own */
	h->killed = kill(-h->pid, SIGKILL) == 0;
}

static int pipe_nonblock(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

struct hostexec *hostexec_run(struct evloop *loop, const struct hostexec_options *opt,
			      engine_exec_fn *fn, void *arg)
{
	struct hostexec *h = calloc(1, sizeof(*h));
	char *blob = NULL;
	char **envp = h ? build_env(opt, &blob) : NULL;
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	if (!h || !envp || pipe_nonblock(out) < 0 || pipe_nonblock(err) < 0)
		goto fail;
	*h = (struct hostexec){.loop = loop,
			       .fn = fn,
			       .arg = arg,
			       .limit = opt->output_limit,
			       .started_ms = evloop_now_ms(),
			       .pidfd = -1};
	evloop_timer_init(&h->deadline, on_deadline, h);
	h->pid = fork();
	if (h->pid < 0)
		goto fail;
	if (h->pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(126);
		/* the Engine's socket and everything else of ours stays out of the host script */
		close_range(3, ~0u, 0);
		child_run(opt, envp);
	}
	free(envp);
	free(blob);
	envp = NULL;
	close(out[1]);
	close(err[1]);
	h->out_fd = out[0];
	h->err_fd = err[0];
	h->pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
	if (h->pidfd < 0 || evloop_add_fd(loop, h->pidfd, POLLIN, on_exit_fd, h) < 0 ||
	    evloop_add_fd(loop, h->out_fd, POLLIN, on_output, h) < 0 ||
	    evloop_add_fd(loop, h->err_fd, POLLIN, on_output, h) < 0) {
		/* cannot watch it: do not leave it running unsupervised */
		kill(-h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		evloop_del_fd(loop, h->pidfd);
		evloop_del_fd(loop, h->out_fd);
		evloop_del_fd(loop, h->err_fd);
		close(h->out_fd);
		close(h->err_fd);
		if (h->pidfd >= 0)
			close(h->pidfd);
		free(h);
		return NULL;
	}
	if (opt->timeout_ms > 0)
		evloop_timer_start(loop, &h->deadline, opt->timeout_ms);
	return h;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(envp);
	free(blob);
	free(h);
	return NULL;
}
