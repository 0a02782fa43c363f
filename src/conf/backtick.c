/*
 * backtick.c — the cache of backtick results and the default runner (sh -c, bounded).
 *
 * The runner is synchronous on purpose: chaperone computes backticks while it builds a
 * service's environment, and so does tend, at start-up or at a launch. What keeps PID 1
 * safe is the bound: the command's output is read with poll() against a deadline, at most
 * max_output bytes are kept, and at the deadline the whole process group gets SIGKILL.
 */
#include "conf/backtick.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"

struct backtick_entry {
	char *command;
	bool set_user;
	uid_t uid;
	gid_t gid;
	char *output;
};

struct backtick {
	backtick_run_fn *run;
	void *run_arg;
	backtick_error_fn *on_error;
	void *on_error_arg;
	bool cache;
	struct backtick_entry *entries;
	size_t count;
	size_t capacity;
};

struct backtick *backtick_new(backtick_run_fn *run, void *run_arg)
{
	struct backtick *backtick = calloc(1, sizeof(*backtick));
	if (!backtick)
		return NULL;
	backtick->run = run;
	backtick->run_arg = run_arg;
	backtick->cache = true;
	return backtick;
}

void backtick_free(struct backtick *backtick)
{
	if (!backtick)
		return;
	for (size_t i = 0; i < backtick->count; i++) {
		free(backtick->entries[i].command);
		free(backtick->entries[i].output);
	}
	free(backtick->entries);
	free(backtick);
}

void backtick_set_cache(struct backtick *backtick, bool cache)
{
	backtick->cache = cache;
}

void backtick_on_error(struct backtick *backtick, backtick_error_fn *fn, void *arg)
{
	backtick->on_error = fn;
	backtick->on_error_arg = arg;
}

static bool backtick_same_user(const struct backtick_entry *entry,
			       const struct backtick_request *request)
{
	if (entry->set_user != request->set_user)
		return false;
	return !entry->set_user || (entry->uid == request->uid && entry->gid == request->gid);
}

/* Python's str.strip() (ASCII whitespace and the separators \x1c-\x1f), then newlines as
 * spaces, in place. */
static void backtick_tidy(char *text)
{
	size_t len = strlen(text), start = 0;
	while (len > 0 && ((unsigned char)text[len - 1] <= ' ') &&
	       strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", text[len - 1]))
		len--;
	while (start < len && ((unsigned char)text[start] <= ' ') &&
	       strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", text[start]))
		start++;
	memmove(text, text + start, len - start);
	text[len - start] = '\0';
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static int backtick_remember(struct backtick *backtick, const struct backtick_request *request,
			     const char *output)
{
	if (backtick->count == backtick->capacity) {
		size_t capacity = backtick->capacity ? backtick->capacity * 2 : 8;
		struct backtick_entry *grown =
		    realloc(backtick->entries, capacity * sizeof(*grown));
		if (!grown)
			return -1;
		backtick->entries = grown;
		backtick->capacity = capacity;
	}
	struct backtick_entry entry = {strdup(request->command), request->set_user, request->uid,
				       request->gid, strdup(output)};
	if (!entry.command || !entry.output) {
		free(entry.command);
		free(entry.output);
		return -1;
	}
	backtick->entries[backtick->count++] = entry;
	return 0;
}

char *backtick_output(struct backtick *backtick, const struct backtick_request *request)
{
	for (size_t i = 0; backtick->cache && i < backtick->count; i++) {
		const struct backtick_entry *entry = &backtick->entries[i];
		if (backtick_same_user(entry, request) &&
		    strcmp(entry->command, request->command) == 0)
			return strdup(entry->output);
	}
	char *output = NULL, *error = NULL;
	if (backtick->run(backtick->run_arg, request, &output, &error) < 0 || !output) {
		if (backtick->on_error)
			backtick->on_error(backtick->on_error_arg, request->command,
					   error ? error : "failed");
		free(output);
		output = strdup("");
	}
	free(error);
	if (!output)
		return NULL;
	backtick_tidy(output);
	if (backtick->cache && backtick_remember(backtick, request, output) < 0) {
		free(output);
		return NULL;
	}
	return output;
}

/* ---- the default runner ---- */

static long long backtick_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int backtick_fail(char **error, const char *fmt, const char *detail)
{
	if (asprintf(error, fmt, detail) < 0)
		*error = NULL;
	return -1;
}

/* Reads the pipe until EOF or the deadline. Returns 1 at EOF, 0 at the deadline, -1 on
 * error. Keeps at most max bytes in *buf; the rest is read and dropped. */
static int backtick_collect(int fd, long long deadline, size_t max, char *buf, size_t *len)
{
	for (;;) {
		long long left = deadline - backtick_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = {fd, POLLIN, 0};
		int ready = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (ready == 0)
			continue;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return 1;
		size_t keep = (size_t)n;
		if (keep > max - *len)
			keep = max - *len;
		memcpy(buf + *len, chunk, keep);
		*len += keep;
	}
}

/* Waits for the command until the deadline, then kills its process group and reaps it.
 * Returns 1 when it exited in time, 0 when it had to be killed, -1 on error. */
static int backtick_wait(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		pid_t done = waitpid(pid, status, WNOHANG);
		if (done == pid)
			return 1;
		if (done < 0 && errno != EINTR)
			return -1;
		if (backtick_now_ms() >= deadline)
			break;
		struct timespec pause = {0, 5 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	kill(-pid, SIGKILL); /* the whole group: sh may have started others */
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int backtick_shell_run(void *arg, const struct backtick_request *request, char **output,
		       char **error)
{
	extern char **environ;
	const struct backtick_shell defaults = {0, 0, NULL, NULL};
	const struct backtick_shell *shell = arg ? arg : &defaults;
	int timeout_ms = shell->timeout_ms > 0 ? shell->timeout_ms : BACKTICK_TIMEOUT_MS;
	size_t max = shell->max_output ? shell->max_output : BACKTICK_MAX_OUTPUT;
	const char *path = shell->shell ? shell->shell : "/bin/sh";

	*output = NULL;
	*error = NULL;
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return backtick_fail(error, "cannot create a pipe: %s", strerror(errno));
	/* The child's end must block: a shell writing to a non-blocking stdout may lose output. */
	int flags = fcntl(pipe_fds[1], F_GETFL);
	if (flags < 0 || fcntl(pipe_fds[1], F_SETFL, flags & ~O_NONBLOCK) < 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return backtick_fail(error, "cannot set up a pipe: %s", strerror(errno));
	}

	char *argv[] = {(char *)path, (char *)"-c", (char *)request->command, NULL};
	struct child_fd_map fds[] = {{-1, 0}, {pipe_fds[1], 1}, {pipe_fds[1], 2}};
	struct child_spec spec = {
	    .path = path,
	    .argv = argv,
	    .envp = shell->envp ? shell->envp : environ,
	    .set_user = request->set_user,
	    .uid = request->uid,
	    .gid = request->gid,
	    .pgrp = CHILD_PGRP_NEW,
	    .fds = fds,
	    .nfds = sizeof(fds) / sizeof(fds[0]),
	};
	pid_t pid = child_spawn(&spec);
	int spawn_errno = errno;
	close(pipe_fds[1]);
	if (pid < 0) {
		close(pipe_fds[0]);
		return backtick_fail(error, "cannot run the command: %s", strerror(spawn_errno));
	}

	long long deadline = backtick_now_ms() + timeout_ms;
	char *buf = malloc(max + 1);
	size_t len = 0;
	int collected = buf ? backtick_collect(pipe_fds[0], deadline, max, buf, &len) : -1;
	int read_errno = buf ? errno : ENOMEM;
	close(pipe_fds[0]);
	if (collected <= 0)
		deadline = 0; /* do not wait for it any longer */
	int status = 0;
	int waited = backtick_wait(pid, deadline, &status);
	int wait_errno = errno;
	int rc = -1;
	char reason[64];
	if (waited < 0) {
		backtick_fail(error, "cannot wait for the command: %s", strerror(wait_errno));
	} else if (collected < 0) {
		backtick_fail(error, "cannot read the command's output: %s", strerror(read_errno));
	} else if (collected == 0 || waited == 0) {
		snprintf(reason, sizeof(reason), "%.3g", timeout_ms / 1000.0);
		backtick_fail(error, "timed out after %s s and was killed", reason);
	} else if (status != 0) {
		backtick_fail(error, "%s", child_status_describe(status, reason, sizeof(reason)));
	} else {
		buf[len] = '\0';
		*output = buf;
		buf = NULL;
		rc = 0;
	}
	free(buf);
	return rc;
}
