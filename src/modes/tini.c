/*
 * tini.c — tend answering as tini (argv[0] "tini" or "docker-init", or `tend tini ...`), so
 * that it can replace tini in an image or as dockerd's --init-path with no other change.
 *
 * Everything a user or a script can see matches tini 0.19: the command line, the TINI_*
 * variables, the exit codes, and each message with its text, stream and verbosity level.
 * The shape is tini's too, learnt by running it: block every signal but the synchronous
 * ones, start the child in its own process group with the signal mask and the SIGTTIN/SIGTTOU
 * dispositions tend was started with, then wait for signals: SIGCHLD means reap, anything
 * else is passed on to the child (or its process group with -g). tend exits with the child's
 * status as soon as the child has exited, unless TEND_WAIT_DESCENDANTS asks to linger.
 *
 * Messages go through stdio like tini's (stdout fully buffered when it is not a terminal),
 * so that their order relative to the child's output is the same as with tini.
 */
#include "modes/linger.h"
#include "modes/modes.h"
#include "modes/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TEND_VERSION
#define TEND_VERSION "unknown"
#endif
/* The tini release whose behaviour this file reproduces; tend's own version follows it in the
 * same place tini puts its git commit, so parsers of `tini --version` (dockerd's among them)
 * still read "0.19.0". */
#define TINI_COMPAT_VERSION "0.19.0"
/* Byte for byte as tini prints it (scripts and dockerd parse it); `tend --version`
 * names tend itself. */
#define TINI_VERSION_TEXT   "tini version " TINI_COMPAT_VERSION

enum tini_level { TINI_FATAL, TINI_WARN, TINI_INFO, TINI_DEBUG, TINI_TRACE };

struct tini {
	/* Unsigned like tini's, so TINI_VERBOSITY=-1 means "everything". */
	unsigned int verbosity;
	bool subreaper;
	bool kill_process_group;
	bool warn_on_reap;
	bool linger;
	int parent_death_signal;
	bool remap[256]; /* exit codes -e turns into 0 */
	char **child_argv;
	pid_t child;
	int child_exit_code; /* -1 while the child runs */
	sigset_t waited;     /* every signal tend waits for in sigwaitinfo */
	sigset_t child_mask; /* the mask tend was started with, given back to the child */
	struct sigaction child_ttin, child_ttou;
};

static const char *const tini_level_names[] = {"FATAL", "WARN ", "INFO ", "DEBUG", "TRACE"};

__attribute__((format(printf, 3, 4))) static void
tini_log(const struct tini *tini, enum tini_level level, const char *format, ...)
{
	if ((unsigned int)level > tini->verbosity)
		return;
	/* One line, one write on unbuffered stderr; a longer line is cut at the buffer. */
	char line[4096];
	int used =
	    snprintf(line, sizeof(line), "[%s tini (%d)] ", tini_level_names[level], (int)getpid());
	va_list args;
	va_start(args, format);
	int more = vsnprintf(line + used, sizeof(line) - (size_t)used - 1, format, args);
	va_end(args);
	size_t len = (size_t)used + (more < 0 ? 0 : (size_t)more);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, level <= TINI_WARN ? stderr : stdout);
}

static void tini_usage(const char *argv0, FILE *out)
{
	const char *name = modes_basename(argv0);
	fprintf(out, "%s (%s)\n", name, TINI_VERSION_TEXT);
	fprintf(out,
		"Usage: %s [OPTIONS] PROGRAM -- [ARGS] | --version\n\n"
		"Execute a program under the supervision of a valid init process (%s)\n\n",
		name, name);
	fputs("Command line options:\n\n"
	      "  --version: Show version and exit.\n"
	      "  -h: Show this help message and exit.\n"
	      "  -s: Register as a process subreaper (requires Linux >= 3.4).\n"
	      "  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".\n"
	      "  -v: Generate more verbose output. Repeat up to 3 times.\n"
	      "  -w: Print a warning when processes are getting reaped.\n"
	      "  -g: Send signals to the child's process group.\n"
	      "  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.\n"
	      "  -l: Show license and exit.\n\n"
	      "Environment variables:\n\n"
	      "  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).\n"
	      "  TINI_VERBOSITY: Set the verbosity level (default: 1).\n"
	      "  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.\n\n",
	      out);
}

/* -l prints tend's licence, where tini prints its own: this is tend's code. */
static void tini_license(void)
{
	fputs("The MIT License (MIT)\n\n"
	      "Copyright (c) 2026 the tend authors\n\n"
	      "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
	      "of this software and associated documentation files (the \"Software\"), to deal\n"
	      "in the Software without restriction, including without limitation the rights\n"
	      "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n"
	      "copies of the Software, and to permit persons to whom the Software is\n"
	      "furnished to do so, subject to the following conditions:\n\n"
	      "The above copyright notice and this permission notice shall be included in\n"
	      "all copies or substantial portions of the Software.\n\n"
	      "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n"
	      "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n"
	      "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n"
	      "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n"
	      "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\n"
	      "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN\n"
	      "THE SOFTWARE.\n",
	      stdout);
}

/* Returns -1 to go on, or the code to exit with (0 after -h/-l/--version, 1 on errors). */
static int tini_parse_args(struct tini *tini, int argc, char **argv)
{
	/* tini only knows --version alone; anywhere else it is an unknown "-" option. */
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts(TINI_VERSION_TEXT);
		return 0;
	}
	/* tend's extension, only in front so that no tini command line can mean it. */
	while (argc > 1 && strcmp(argv[1], "--wait-descendants") == 0) {
		tini->linger = true;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	optind = 0; /* a fresh getopt, whatever ran before; permuting as tini's does */
	int opt;
	while ((opt = getopt(argc, argv, "hsp:vwgle:")) != -1) {
		switch (opt) {
		case 'h':
			tini_usage(argv[0], stdout);
			return 0;
		case 's':
			tini->subreaper = true;
			break;
		case 'p':
			tini->parent_death_signal = modes_parse_tini_signal(optarg);
			if (tini->parent_death_signal < 0) {
				tini_log(tini, TINI_FATAL, "Not a valid option for -p: %s", optarg);
				return 1;
			}
			break;
		case 'v':
			tini->verbosity++;
			break;
		case 'w':
			tini->warn_on_reap = true;
			break;
		case 'g':
			tini->kill_process_group = true;
			break;
		case 'e': {
			int code = modes_parse_exit_code(optarg);
			if (code < 0) {
				tini_log(tini, TINI_FATAL, "Not a valid option for -e: %s", optarg);
				return 1;
			}
			tini->remap[code] = true;
			break;
		}
		case 'l':
			tini_license();
			return 0;
		default:
			tini_usage(argv[0], stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		tini_usage(argv[0], stderr);
		return 1;
	}
	tini->child_argv = argv + optind;
	return -1;
}

static void tini_parse_env(struct tini *tini)
{
	/* As tini: presence is enough for the two switches; the verbosity is atoi'd. */
	if (getenv("TINI_SUBREAPER"))
		tini->subreaper = true;
	if (getenv("TINI_KILL_PROCESS_GROUP"))
		tini->kill_process_group = true;
	const char *verbosity = getenv("TINI_VERBOSITY");
	if (verbosity)
		tini->verbosity = (unsigned int)atoi(verbosity);
	if (linger_requested())
		tini->linger = true;
	/* Lingering outside PID 1 only makes sense if the orphans come back to us. */
	if (tini->linger && getpid() != 1)
		tini->subreaper = true;
}

static int tini_configure_signals(struct tini *tini)
{
	/* Every signal is waited for, except those the kernel raises for a fault in tend itself
	 * and SIGTTIN/SIGTTOU, which are ignored so that a tend in the background of a terminal
	 * is never stopped by it. */
	sigfillset(&tini->waited);
	const int synchronous[] = {SIGFPE,  SIGILL, SIGSEGV, SIGBUS, SIGABRT,
				   SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof(synchronous) / sizeof(synchronous[0]); i++)
		sigdelset(&tini->waited, synchronous[i]);
	if (sigprocmask(SIG_SETMASK, &tini->waited, &tini->child_mask) != 0) {
		tini_log(tini, TINI_FATAL, "Failed to set up signal mask: %s", strerror(errno));
		return -1;
	}
	struct sigaction ignore = {.sa_handler = SIG_IGN};
	sigemptyset(&ignore.sa_mask);
	if (sigaction(SIGTTIN, &ignore, &tini->child_ttin) != 0 ||
	    sigaction(SIGTTOU, &ignore, &tini->child_ttou) != 0) {
		tini_log(tini, TINI_FATAL, "Failed to ignore SIGTTIN/SIGTTOU: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int tini_register_subreaper(struct tini *tini)
{
	if (!tini->subreaper)
		return 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		if (errno == EINVAL)
			tini_log(tini, TINI_FATAL,
				 "PR_SET_CHILD_SUBREAPER is unavailable on this platform. Are you "
				 "using Linux >= 3.4?");
		else
			tini_log(tini, TINI_FATAL, "Failed to register as child subreaper: %s",
				 strerror(errno));
		return -1;
	}
	tini_log(tini, TINI_TRACE, "Registered as child subreaper");
	return 0;
}

/* Warn when orphans will not come back to us to be reaped. */
static void tini_reaper_check(const struct tini *tini)
{
	if (getpid() == 1)
		return;
	int registered = 0;
	if (prctl(PR_GET_CHILD_SUBREAPER, &registered) != 0) {
		tini_log(tini, TINI_DEBUG, "Failed to read child subreaper attribute: %s",
			 strerror(errno));
	} else if (registered == 1) {
		return;
	}
	tini_log(tini, TINI_WARN,
		 "Tini is not running as PID 1 and isn't registered as a child subreaper.\n"
		 "Zombie processes will not be re-parented to Tini, so zombie reaping won't "
		 "work.\n"
		 "To fix the problem, use the -s option or set the environment variable "
		 "TINI_SUBREAPER to register Tini as a child subreaper, or run Tini as PID 1.");
}

/* In the child: own process group, the terminal's foreground if there is one, then exec. */
static _Noreturn void tini_exec_child(const struct tini *tini)
{
	int code = 1;
	/* What the parent had buffered is the parent's to print: dropping our copy keeps it from
	 * appearing twice should exec fail (tini prints it twice). */
	__fpurge(stdout);
	if (setpgid(0, 0) != 0) {
		tini_log(tini, TINI_FATAL, "setpgid failed: %s", strerror(errno));
		goto out;
	}
	/* SIGTTOU is still ignored here, so this works from the background too. */
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) != 0) {
		if (errno == ENOTTY) {
			tini_log(tini, TINI_DEBUG, "tcsetpgrp failed: no tty (ok to proceed)");
		} else if (errno == ENXIO) {
			tini_log(tini, TINI_DEBUG,
				 "tcsetpgrp failed: no such device (ok to proceed)");
		} else {
			tini_log(tini, TINI_FATAL, "tcsetpgrp failed: %s", strerror(errno));
			goto out;
		}
	}
	if (sigprocmask(SIG_SETMASK, &tini->child_mask, NULL) != 0 ||
	    sigaction(SIGTTIN, &tini->child_ttin, NULL) != 0 ||
	    sigaction(SIGTTOU, &tini->child_ttou, NULL) != 0) {
		tini_log(tini, TINI_FATAL, "Failed to restore signals: %s", strerror(errno));
		goto out;
	}
	execvp(tini->child_argv[0], tini->child_argv);
	code = errno == ENOENT ? 127 : errno == EACCES ? 126 : 1;
	tini_log(tini, TINI_FATAL, "exec %s failed: %s", tini->child_argv[0], strerror(errno));
out:
	fflush(stdout);
	_exit(code);
}

static int tini_spawn(struct tini *tini)
{
	pid_t pid = fork();
	if (pid < 0) {
		tini_log(tini, TINI_FATAL, "fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		tini_exec_child(tini);
	tini->child = pid;
	tini_log(tini, TINI_INFO, "Spawned child process '%s' with pid '%d'", tini->child_argv[0],
		 (int)pid);
	return 0;
}

static void tini_child_exited(struct tini *tini, int status)
{
	if (WIFEXITED(status)) {
		tini_log(tini, TINI_INFO, "Main child exited normally (with status '%d')",
			 WEXITSTATUS(status));
		tini->child_exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		tini_log(tini, TINI_INFO, "Main child exited with signal (with signal '%s')",
			 strsignal(WTERMSIG(status)));
		tini->child_exit_code = 128 + WTERMSIG(status);
	} else {
		tini_log(tini, TINI_FATAL, "Main child exited for unknown reason");
		tini->child_exit_code = 1;
		return;
	}
	if (tini->remap[tini->child_exit_code])
		tini->child_exit_code = 0;
}

static void tini_reaped(pid_t pid, int status, void *arg)
{
	struct tini *tini = arg;
	tini_log(tini, TINI_DEBUG, "Reaped child with pid: '%d'", (int)pid);
	if (pid == tini->child)
		tini_child_exited(tini, status);
	else if (tini->warn_on_reap)
		tini_log(tini, TINI_WARN, "Reaped zombie process with pid=%d", (int)pid);
}

/* Reap every child that has exited. Returns 0, or -1 on an unexpected error. */
static int tini_reap(struct tini *tini)
{
	for (;;) {
		int status = 0;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			tini_reaped(pid, status, tini);
		} else if (pid == 0) {
			tini_log(tini, TINI_TRACE, "No child to reap");
			return 0;
		} else if (errno == ECHILD) {
			tini_log(tini, TINI_TRACE, "No child to wait");
			return 0;
		} else if (errno != EINTR) {
			tini_log(tini, TINI_FATAL, "Error while waiting for pids: '%s'",
				 strerror(errno));
			return -1;
		}
	}
}

static int tini_forward(struct tini *tini, int signo)
{
	tini_log(tini, TINI_DEBUG, "Passing signal: '%s'", strsignal(signo));
	pid_t target = tini->kill_process_group ? -tini->child : tini->child;
	if (kill(target, signo) == 0)
		return 0;
	if (errno == ESRCH) {
		tini_log(tini, TINI_WARN, "Child was dead when forwarding signal");
		return 0;
	}
	tini_log(tini, TINI_FATAL, "Unexpected error when forwarding signal: '%s'",
		 strerror(errno));
	return -1;
}

/* Wait for one signal. tini wakes up every second to reap; at trace verbosity the
 * "No child to reap" lines this prints are visible, so only then do we do the same, and
 * otherwise sleep until something happens. Returns the signal, or 0 after a timeout. */
static int tini_wait_signal(struct tini *tini)
{
	for (;;) {
		int signo;
		if (tini->verbosity >= TINI_TRACE) {
			struct timespec second = {1, 0};
			signo = sigtimedwait(&tini->waited, NULL, &second);
		} else {
			signo = sigwaitinfo(&tini->waited, NULL);
		}
		if (signo > 0)
			return signo;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR) {
			tini_log(tini, TINI_FATAL, "Unexpected error in sigtimedwait: '%s'",
				 strerror(errno));
			return -1;
		}
	}
}

static int tini_supervise(struct tini *tini)
{
	for (;;) {
		int signo = tini_wait_signal(tini);
		if (signo < 0)
			return 1;
		if (signo == SIGCHLD)
			tini_log(tini, TINI_DEBUG, "Received SIGCHLD");
		else if (signo > 0 && tini_forward(tini, signo) != 0)
			return 1;
		if (tini_reap(tini) != 0)
			return 1;
		if (tini->child_exit_code >= 0)
			break;
	}
	if (tini->linger && linger_run(&tini->waited, tini_reaped, tini) != 0)
		tini_log(tini, TINI_WARN, "Waiting for descendants failed: %s", strerror(errno));
	tini_log(tini, TINI_TRACE, "Exiting: child has exited");
	return tini->child_exit_code;
}

int tini_main(int argc, char **argv)
{
	static struct tini tini = {.verbosity = 1, .child_exit_code = -1};
	int parsed = tini_parse_args(&tini, argc, argv);
	if (parsed >= 0)
		return parsed;
	tini_parse_env(&tini);
	if (tini_configure_signals(&tini) != 0)
		return 1;
	if (tini.parent_death_signal && prctl(PR_SET_PDEATHSIG, tini.parent_death_signal) != 0) {
		tini_log(&tini, TINI_FATAL, "Failed to set up parent death signal");
		return 1;
	}
	if (tini_register_subreaper(&tini) != 0)
		return 1;
	tini_reaper_check(&tini);
	if (tini_spawn(&tini) != 0)
		return 1;
	return tini_supervise(&tini);
}
