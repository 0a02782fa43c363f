/*
 * linger.c — after the main child has exited, wait for the processes it left behind (see
 * linger.h). tini and dumb-init exit as soon as their child does, which as PID 1 makes the
 * kernel SIGKILL whatever is left and, as a subreaper, leaves the orphans to the next
 * subreaper up; users of both have long asked for an option to wait for them instead.
 *
 * As PID 1, kill(-1) reaches every process of the namespace. A subreaper has no such call,
 * so it walks /proc once per signal and picks the processes whose chain of parents leads
 * back to it. This runs only at the very end, when time no longer matters.
 */
#include "modes/linger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After SIGKILL, how often to look again for processes that were being reparented. */
#define LINGER_KILL_RETRY_NS 100000000L

bool linger_requested(void)
{
	const char *value = getenv("TEND_WAIT_DESCENDANTS");
	return value && *value && strcmp(value, "0") != 0;
}

struct proc_link {
	pid_t pid;
	pid_t ppid;
	bool below_us;
};

/* The parent pid from /proc/PID/stat, or -1 when the process is gone. */
static pid_t proc_parent(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* The command name may hold spaces and parentheses: the state follows the last ')'. */
	const char *after_name = strrchr(buf, ')');
	int ppid = -1;
	if (!after_name || sscanf(after_name + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

static int link_compare(const void *a, const void *b)
{
	pid_t x = ((const struct proc_link *)a)->pid, y = ((const struct proc_link *)b)->pid;
	return (x > y) - (x < y);
}

/* Every process on the system with its parent, sorted by pid; NULL when /proc is unreadable. */
static struct proc_link *proc_links(size_t *count)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return NULL;
	struct proc_link *links = NULL;
	size_t used = 0, capacity = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		pid_t ppid = proc_parent((pid_t)pid);
		if (ppid < 0)
			continue;
		if (used == capacity) {
			size_t grown = capacity ? capacity * 2 : 256;
			struct proc_link *bigger = realloc(links, grown * sizeof(*links));
			if (!bigger)
				break; /* signal those we know of; the next pass gets the rest */
			links = bigger;
			capacity = grown;
		}
		links[used++] = (struct proc_link){(pid_t)pid, ppid, false};
	}
	closedir(dir);
	if (links)
		qsort(links, used, sizeof(*links), link_compare);
	*count = used;
	return links;
}

static int linger_signal_walk(int signo)
{
	size_t count = 0;
	struct proc_link *links = proc_links(&count);
	if (!links)
		return 0;
	pid_t self = getpid();
	/* Mark children of ours, then their children, until a pass adds nobody. */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < count; i++) {
			if (links[i].below_us)
				continue;
			struct proc_link key = {.pid = links[i].ppid};
			struct proc_link *parent =
			    bsearch(&key, links, count, sizeof(*links), link_compare);
			if (links[i].ppid == self || (parent && parent->below_us)) {
				links[i].below_us = true;
				changed = true;
			}
		}
	}
	int signalled = 0;
	for (size_t i = 0; i < count; i++)
		if (links[i].below_us && kill(links[i].pid, signo) == 0)
			signalled++;
	free(links);
	return signalled;
}

int linger_signal_descendants(int signo)
{
	if (getpid() == 1)
		return kill(-1, signo) == 0 ? 1 : 0;
	return linger_signal_walk(signo);
}

/* Reap whatever has exited. Returns 1 when no child is left, 0 when some are, -1 on error. */
static int linger_reap(linger_reaped_fn *reaped, void *arg)
{
	for (;;) {
		int status = 0;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (reaped)
				reaped(pid, status, arg);
			continue;
		}
		if (pid == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == ECHILD ? 1 : -1;
	}
}

static struct timespec timespec_until(const struct timespec *deadline)
{
	struct timespec now, left;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left.tv_sec = deadline->tv_sec - now.tv_sec;
	left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_nsec += 1000000000L;
		left.tv_sec--;
	}
	if (left.tv_sec < 0)
		left.tv_sec = left.tv_nsec = 0;
	return left;
}

int linger_run(const sigset_t *waited, linger_reaped_fn *reaped, void *arg)
{
	bool pid1 = getpid() == 1;
	bool killing = false;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LINGER_GRACE_SECONDS;
	if (!pid1)
		linger_signal_descendants(SIGTERM);

	for (;;) {
		int done = linger_reap(reaped, arg);
		if (done != 0)
			return done > 0 ? 0 : -1;
		int signo;
		if (pid1) {
			signo = sigwaitinfo(waited, NULL);
		} else {
			struct timespec wait = {0, LINGER_KILL_RETRY_NS};
			if (!killing) {
				wait = timespec_until(&deadline);
				if (wait.tv_sec == 0 && wait.tv_nsec == 0) {
					killing = true;
					wait.tv_nsec = LINGER_KILL_RETRY_NS;
				}
			}
			if (killing)
				linger_signal_descendants(SIGKILL);
			signo = sigtimedwait(waited, NULL, &wait);
		}
		if (signo < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if (signo != SIGCHLD)
			linger_signal_descendants(signo);
	}
}
