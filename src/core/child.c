/*
 * child.c — spawning, reaping and naming of child processes.
 *
 * Spawning is vfork + exec: if anything fails between the two, the child writes the step and
 * errno into the parent's memory and exits 127; vfork returns in the parent only once the
 * child has exec'd or exited, so the parent knows at once. This turns "binary not found" or
 * "permission denied" into an immediate error with a cause, instead of a mysterious exit 127.
 * A child that switches users forks instead (see spawn_vfork) and reports through a
 * close-on-exec "error pipe", which a successful exec closes.
 */
#include "core/child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct spawn_failure {
	int step;
	int err;
};

static const char *const spawn_steps[] = {"signals",   "setsid", "setpgid", "fds", "chdir",
					  "setgroups", "setgid", "setuid",  "exec"};
enum {
	STEP_SIGNALS,
	STEP_SETSID,
	STEP_SETPGID,
	STEP_FDS,
	STEP_CHDIR,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_EXEC
};

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void cloexec_from(int lowest)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	/* Kernels before 5.11: walk the fds we actually have. */
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = lowest; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

static const char *env_lookup(char *const *envp, const char *name)
{
	size_t len = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* execve, searching PATH of the child's own environment when path has no slash. */
static int exec_search(const char *path, char *const *argv, char *const *envp)
{
	if (strchr(path, '/')) {
		execve(path, argv, envp);
		return errno;
	}
	const char *search = env_lookup(envp, "PATH");
	if (!search)
		search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int saved = ENOENT;
	char buf[4096];
	while (*search) {
		const char *end = strchr(search, ':');
		size_t dirlen = end ? (size_t)(end - search) : strlen(search);
		int n =
		    snprintf(buf, sizeof(buf), "%.*s/%s", (int)dirlen, dirlen ? search : ".", path);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			execve(buf, argv, envp);
			/* Remember a more telling error than ENOENT (e.g. EACCES) as execvp does.
			 */
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!end)
			break;
		search = end + 1;
	}
	return saved;
}

/* How a child reports a failure before exec: into a pipe after fork(), straight into the
 * parent's memory after vfork() (the parent sleeps until the child execs or exits). */
struct spawn_report {
	int pipe_fd;
	volatile struct spawn_failure *shared;
};

static _Noreturn void child_fail(const struct spawn_report *report, int step, int err)
{
	if (report->shared) {
		report->shared->err = err;
		report->shared->step = step;
	} else {
		struct spawn_failure failure = {step, err};
		ssize_t ignored = write(report->pipe_fd, &failure, sizeof(failure));
		(void)ignored;
	}
	_exit(127);
}

/* Runs in the child only: everything here is async-signal-safe or about to exec. */
static _Noreturn void child_setup_and_exec(const struct child_spec *spec,
					   struct spawn_report *report, char *const *envp)
{
	/* Default dispositions for every signal (ignored ones survive exec otherwise), then a
	 * clean mask: tend blocks everything for its signalfd, a child must not inherit that. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t empty;
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
		child_fail(report, STEP_SIGNALS, errno);

	if (spec->pgrp == CHILD_PGRP_SESSION && setsid() < 0)
		child_fail(report, STEP_SETSID, errno);
	if (spec->pgrp == CHILD_PGRP_NEW && setpgid(0, 0) < 0)
		child_fail(report, STEP_SETPGID, errno);

	/* Keep the error pipe out of the way of the fds we are about to place. */
	if (report->pipe_fd >= 0 && report->pipe_fd < 3 + (int)spec->nfds) {
		int moved = fcntl(report->pipe_fd, F_DUPFD_CLOEXEC, 64);
		if (moved < 0)
			child_fail(report, STEP_FDS, errno);
		report->pipe_fd = moved;
	}
	for (size_t i = 0; i < spec->nfds; i++) {
		int from = spec->fds[i].from, to = spec->fds[i].to;
		if (from < 0) {
			from = open("/dev/null", O_RDWR);
			if (from < 0)
				child_fail(report, STEP_FDS, errno);
		}
		if (from == to) {
			if (fcntl(to, F_SETFD, 0) < 0)
				child_fail(report, STEP_FDS, errno);
		} else if (dup2(from, to) < 0) {
			child_fail(report, STEP_FDS, errno);
		}
	}
	if (!spec->keep_fds) {
		/* Only 0-2 (and mapped fds) survive exec. Marking the rest close-on-exec rather
		 * than closing them keeps the error pipe usable until the exec itself. */
		int lowest = 3;
		for (size_t i = 0; i < spec->nfds; i++)
			if (spec->fds[i].to >= lowest)
				lowest = spec->fds[i].to + 1;
		cloexec_from(lowest);
	}

	if (spec->directory && chdir(spec->directory) < 0)
		child_fail(report, STEP_CHDIR, errno);
	if (spec->set_user) {
		int rc =
		    spec->user_name ? initgroups(spec->user_name, spec->gid) : setgroups(0, NULL);
		if (rc < 0)
			child_fail(report, STEP_SETGROUPS, errno);
		if (setgid(spec->gid) < 0)
			child_fail(report, STEP_SETGID, errno);
		if (setuid(spec->uid) < 0)
			child_fail(report, STEP_SETUID, errno);
	}
	child_fail(report, STEP_EXEC, exec_search(spec->path, spec->argv, envp));
}

static pid_t spawn_failed(pid_t pid, const struct child_spec *spec, int step, int err)
{
	/* The child is exiting 127; reap it here so nobody sees it as an unknown pid. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (spec->failed_step)
		*spec->failed_step = spawn_steps[step];
	errno = err;
	return -1;
}

/* vfork: no copy of tend's page tables and no copy-on-write faults afterwards, which fork()
 * costs in proportion to tend's size, once per spawn. Everything the child does before exec
 * is a system call on its own fds, signal state and credentials, and writes nothing of the
 * parent's memory but the failure report. initgroups() reads the group database with
 * malloc and stdio, which must not run in memory shared with the parent: with a user to
 * switch to, child_spawn forks. */
static pid_t spawn_vfork(const struct child_spec *spec, char *const *envp)
{
	volatile struct spawn_failure failure = {-1, 0};
	struct spawn_report report = {-1, &failure};
	pid_t pid = vfork();
	if (pid == 0)
		child_setup_and_exec(spec, &report, envp);
	if (pid < 0)
		return -1;
	if (failure.step >= 0)
		return spawn_failed(pid, spec, failure.step, failure.err);
	return pid;
}

pid_t child_spawn(const struct child_spec *spec)
{
	char *const *envp = spec->envp ? spec->envp : environ;
	if (!spec->set_user)
		return spawn_vfork(spec, envp);
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(pipe_fds[0]);
		struct spawn_report report = {pipe_fds[1], NULL};
		child_setup_and_exec(spec, &report, envp);
	}
	close(pipe_fds[1]);
	struct spawn_failure failure;
	ssize_t n;
	do
		n = read(pipe_fds[0], &failure, sizeof(failure));
	while (n < 0 && errno == EINTR);
	close(pipe_fds[0]);
	if (n == (ssize_t)sizeof(failure))
		return spawn_failed(pid, spec, failure.step, failure.err);
	return pid;
}

/* ---- the table of known children: open addressing on pid ---- */

struct child_entry {
	pid_t pid; /* 0: empty, -1: deleted */
	child_exit_fn *fn;
	void *arg;
};

struct child_table {
	struct child_entry *entries;
	size_t cap;   /* power of two */
	size_t count; /* live entries */
	size_t used;  /* live + deleted */
};

struct child_table *child_table_new(void)
{
	struct child_table *table = calloc(1, sizeof(*table));
	if (!table)
		return NULL;
	table->cap = 64;
	table->entries = calloc(table->cap, sizeof(*table->entries));
	if (!table->entries) {
		free(table);
		return NULL;
	}
	return table;
}

void child_table_free(struct child_table *table)
{
	if (!table)
		return;
	free(table->entries);
	free(table);
}

static size_t slot_of(const struct child_table *table, pid_t pid)
{
	return ((size_t)pid * 2654435761u) & (table->cap - 1);
}

static struct child_entry *table_find(const struct child_table *table, pid_t pid)
{
	for (size_t i = slot_of(table, pid), n = 0; n < table->cap;
	     i = (i + 1) & (table->cap - 1), n++) {
		if (table->entries[i].pid == 0)
			return NULL;
		if (table->entries[i].pid == pid)
			return &table->entries[i];
	}
	return NULL;
}

static int table_grow(struct child_table *table)
{
	struct child_table bigger = {.cap = table->cap * 2};
	if (table->count * 4 < table->cap)
		bigger.cap = table->cap; /* mostly tombstones: rehash in place size */
	bigger.entries = calloc(bigger.cap, sizeof(*bigger.entries));
	if (!bigger.entries)
		return -1;
	for (size_t i = 0; i < table->cap; i++) {
		struct child_entry *e = &table->entries[i];
		if (e->pid > 0) {
			size_t j = slot_of(&bigger, e->pid);
			while (bigger.entries[j].pid)
				j = (j + 1) & (bigger.cap - 1);
			bigger.entries[j] = *e;
			bigger.count++;
			bigger.used++;
		}
	}
	free(table->entries);
	*table = bigger;
	return 0;
}

int child_watch(struct child_table *table, pid_t pid, child_exit_fn *fn, void *arg)
{
	struct child_entry *e = table_find(table, pid);
	if (e) {
		e->fn = fn;
		e->arg = arg;
		return 0;
	}
	if ((table->used + 1) * 2 > table->cap && table_grow(table) < 0)
		return -1;
	size_t i = slot_of(table, pid);
	while (table->entries[i].pid > 0)
		i = (i + 1) & (table->cap - 1);
	if (table->entries[i].pid == 0)
		table->used++;
	table->entries[i] = (struct child_entry){pid, fn, arg};
	table->count++;
	return 0;
}

void child_unwatch(struct child_table *table, pid_t pid)
{
	struct child_entry *e = table_find(table, pid);
	if (e) {
		e->pid = -1;
		table->count--;
	}
}

bool child_is_watched(const struct child_table *table, pid_t pid)
{
	return table_find(table, pid) != NULL;
}

size_t child_table_count(const struct child_table *table)
{
	return table->count;
}

size_t child_reap_all(struct child_table *table, unsigned long *orphans_reaped, bool *no_children)
{
	size_t reaped = 0;
	*no_children = false;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			break;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				*no_children = true;
			break;
		}
		reaped++;
		struct child_entry *e = table_find(table, pid);
		if (!e) {
			(*orphans_reaped)++;
			continue;
		}
		child_exit_fn *fn = e->fn;
		void *arg = e->arg;
		e->pid = -1;
		table->count--;
		fn(pid, status, arg);
	}
	return reaped;
}

int child_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

const char *child_status_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s", signal_name(WTERMSIG(status)) ?: "signal",
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}

static const struct {
	int signo;
	const char *name;
} signal_names[] = {
    {SIGHUP, "SIGHUP"},	  {SIGINT, "SIGINT"},	    {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},	    {SIGBUS, "SIGBUS"},	  {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},	    {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},	    {SIGTERM, "SIGTERM"}, {SIGSTKFLT, "SIGSTKFLT"},
    {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},	    {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},	    {SIGURG, "SIGURG"},	  {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},	  {SIGPWR, "SIGPWR"},	    {SIGSYS, "SIGSYS"},
};

const char *signal_name(int signo)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].signo == signo)
			return signal_names[i].name;
	return NULL;
}

int signal_from_name(const char *name)
{
	if (!name || !*name)
		return -1;
	char *end;
	long n = strtol(name, &end, 10);
	if (*end == '\0')
		return n > 0 && n < NSIG ? (int)n : -1;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		const char *full = signal_names[i].name;
		if (strcasecmp(name, full) == 0 || strcasecmp(name, full + 3) == 0)
			return signal_names[i].signo;
	}
	return -1;
}
