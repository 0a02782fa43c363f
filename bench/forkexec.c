/*
 * forkexec.c — the helpers of bench/services.sh, compiled by it at bench time:
 *
 *   forkexec spawn N CMD [ARGS...]   the bare baseline: fork and exec CMD N times, as fast
 *                                    as C can, then wait for SIGTERM; on it, send SIGTERM to
 *                                    the N children, wait for all of them and exit 0.
 *   forkexec service START ALIVE     the service every system runs (started through a link
 *                                    named bench-svc, so it can be told apart in /proc): open
 *                                    the FIFO ALIVE for writing and keep it, write one byte
 *                                    into the FIFO START, then sleep until a signal ends it.
 *                                    The harness counts bytes on START (all running) and
 *                                    waits for end-of-file on ALIVE (every service gone).
 *   run (a link named run, at most one argument): the same service for s6 and runit, which start
 *                                    ./run in the service directory: START and ALIVE are
 *                                    then ../../start and ../../alive.
 *
 * Not part of tend: a measuring tool. Blocking calls and exits on error are fine here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_signal(int sig)
{
	(void)sig; /* a handler, so that PID 1 of a namespace receives the signal at all */
}

static int spawn(int argc, char **argv)
{
	if (argc < 4)
		return fprintf(stderr, "usage: forkexec spawn N CMD [ARGS...]\n"), 2;
	long n = atol(argv[2]);
	pid_t *pids = calloc((size_t)n, sizeof(pid_t));
	if (!pids)
		return perror("calloc"), 1;
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	sigprocmask(SIG_BLOCK, &term, &old);
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return perror("fork"), 1;
		if (pids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execv(argv[3], argv + 3);
			_exit(127);
		}
	}
	int sig;
	sigwait(&term, &sig);
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	/* As PID 1 there may be nothing else to reap, but reap whatever there is. */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

static int service(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: forkexec service START ALIVE\n"), 2;
	/* SIGTERM must end us whatever the supervisor left in the mask or dispositions: a
	 * service that hangs would hang the benchmark. */
	signal(SIGTERM, SIG_DFL);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	int alive = open(argv[3], O_WRONLY | O_CLOEXEC); /* held until we die */
	int start = open(argv[2], O_WRONLY | O_CLOEXEC);
	if (alive < 0 || start < 0 || write(start, "x", 1) != 1)
		return perror("bench-svc"), 1;
	close(start);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "spawn") == 0)
		return spawn(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "service") == 0)
		return service(argc, argv);
	const char *base = strrchr(argv[0], '/');
	if (argc <= 2 && strcmp(base ? base + 1 : argv[0], "run") == 0) { /* s6 adds one */
		char *args[] = {argv[0], "service", "../../start", "../../alive", NULL};
		return service(4, args);
	}
	fprintf(stderr, "usage: forkexec spawn|service ...\n");
	return 2;
}
