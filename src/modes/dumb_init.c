/*
 * dumb_init.c — tend answering as dumb-init (argv[0] "dumb-init", or `tend dumb-init ...`),
 * a drop-in for dumb-init 1.2.5: same options, environment, messages and exit codes.
 *
 * dumb-init's model, learnt by running it: block every signal and wait for them one at a time.
 * The child runs in a new session (so signals go to its whole process group) unless -c or
 * DUMB_INIT_SETSID=0. Each signal received is rewritten (-r s:r; 0 drops it) and passed on;
 * the terminal stop signals TSTP/TTIN/TTOU are, by default in session mode, passed on as
 * SIGSTOP and then dumb-init stops itself, so that job control in a shell behaves. When the
 * child exits, its process group gets SIGTERM and dumb-init exits with the child's status
 * (128+N when killed by signal N). All messages go to stderr, prefixed "[dumb-init] ".
 */
#include "modes/linger.h"
#include "modes/modes.h"
#include "modes/parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TEND_VERSION
#define TEND_VERSION "unknown"
#endif
/* dumb-init's version line with tend's own version after it, so that "dumb-init v1.2.5"
 * (the behaviour reproduced here) still heads the line. */
#define DUMB_INIT_VERSION_TEXT "dumb-init v1.2.5\n"

/* dumb-init rewrites only the classic signals. */
#define DUMB_INIT_MAX_SIGNAL 31

struct dumb_init {
	bool debug;
	bool use_setsid;
	bool linger;
	/* rewrite[s] is what signal s is passed on as: -1 unchanged, 0 dropped. */
	int rewrite[DUMB_INIT_MAX_SIGNAL + 1];
	/* Once-only ignores for the SIGHUP/SIGCONT the kernel sends when we drop the tty. */
	bool ignore_once[DUMB_INIT_MAX_SIGNAL + 1];
	sigset_t all_signals;
	pid_t child;
};

__attribute__((format(printf, 1, 2))) static void dumb_init_error(const char *format, ...)
{
	/* One line, one write: stderr is unbuffered. */
	char line[4096];
	int used = snprintf(line, sizeof(line), "[dumb-init] ");
	va_list args;
	va_start(args, format);
	int more = vsnprintf(line + used, sizeof(line) - (size_t)used, format, args);
	va_end(args);
	size_t len = (size_t)used + (more < 0 ? 0 : (size_t)more);
	fwrite(line, 1, len < sizeof(line) ? len : sizeof(line) - 1, stderr);
}

#define DUMB_INIT_DEBUG(di, ...)                                                                   \
	do {                                                                                       \
		if ((di)->debug)                                                                   \
			dumb_init_error(__VA_ARGS__);                                              \
	} while (0)

static void dumb_init_help(const char *argv0)
{
	fprintf(stderr,
		DUMB_INIT_VERSION_TEXT
		"Usage: %s [option] command [[arg] ...]\n"
		"\n"
		"dumb-init is a simple process supervisor that forwards signals to children.\n"
		"It is designed to run as PID1 in minimal container environments.\n"
		"\n"
		"Optional arguments:\n"
		"   -c, --single-child   Run in single-child mode.\n"
		"                        In this mode, signals are only proxied to the\n"
		"                        direct child and not any of its descendants.\n"
		"   -r, --rewrite s:r    Rewrite received signal s to new signal r before "
		"proxying.\n"
		"                        To ignore (not proxy) a signal, rewrite it to 0.\n"
		"                        This option can be specified multiple times.\n"
		"   -v, --verbose        Print debugging information to stderr.\n"
		"   -h, --help           Print this help message and exit.\n"
		"   -V, --version        Print the current version and exit.\n"
		"\n"
		"Full help is available online at https://github.com/Yelp/dumb-init\n",
		argv0);
}

/* Returns -1 to go on, or the code to exit with. */
static int dumb_init_parse_args(struct dumb_init *di, int argc, char **argv)
{
	enum { OPT_WAIT_DESCENDANTS = 256 };
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"single-child", no_argument, NULL, 'c'},
	    {"rewrite", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"wait-descendants", no_argument, NULL, OPT_WAIT_DESCENDANTS}, /* tend's own */
	    {NULL, 0, NULL, 0},
	};
	optind = 0; /* a fresh getopt; '+' stops at the command, as dumb-init does */
	int opt;
	while ((opt = getopt_long(argc, argv, "+hvVcr:", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			dumb_init_help(argv[0]);
			return 0;
		case 'V':
			fputs(DUMB_INIT_VERSION_TEXT, stderr);
			return 0;
		case 'v':
			di->debug = true;
			break;
		case 'c':
			di->use_setsid = false;
			break;
		case 'r': {
			int from, to;
			if (modes_parse_rewrite(optarg, &from, &to) != 0) {
				fputs("Usage: -r option takes <signum>:<signum>, where <signum> is "
				      "between 1 and 31.\n"
				      "This option can be specified multiple times.\n"
				      "Use --help for full usage.\n",
				      stderr);
				return 1;
			}
			di->rewrite[from] = to;
			break;
		}
		case OPT_WAIT_DESCENDANTS:
			di->linger = true;
			break;
		default:
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"Usage: %s [option] program [args]\n"
			"Try %s --help for full usage.\n",
			argv[0], argv[0]);
		return 1;
	}
	return -1;
}

static void dumb_init_parse_env(struct dumb_init *di)
{
	const char *debug = getenv("DUMB_INIT_DEBUG");
	if (debug && strcmp(debug, "1") == 0) {
		di->debug = true;
		DUMB_INIT_DEBUG(di, "Running in debug mode.\n");
	}
	const char *setsid_env = getenv("DUMB_INIT_SETSID");
	if (setsid_env && strcmp(setsid_env, "0") == 0) {
		di->use_setsid = false;
		DUMB_INIT_DEBUG(di, "Not running in setsid mode.\n");
	}
	if (linger_requested())
		di->linger = true;
	/* In a session of its own the child is not in our foreground: a terminal stop is
	 * passed on as SIGSTOP, which it cannot ignore, unless -r says otherwise. */
	if (di->use_setsid) {
		const int tty_stops[] = {SIGTSTP, SIGTTOU, SIGTTIN};
		for (size_t i = 0; i < 3; i++)
			if (di->rewrite[tty_stops[i]] < 0)
				di->rewrite[tty_stops[i]] = SIGSTOP;
	}
}

static int dumb_init_translate(const struct dumb_init *di, int signo)
{
	if (signo > 0 && signo <= DUMB_INIT_MAX_SIGNAL && di->rewrite[signo] >= 0) {
		DUMB_INIT_DEBUG(di, "Translating signal %d to %d.\n", signo, di->rewrite[signo]);
		return di->rewrite[signo];
	}
	return signo;
}

static void dumb_init_forward(const struct dumb_init *di, int signo)
{
	signo = dumb_init_translate(di, signo);
	if (signo == 0) {
		DUMB_INIT_DEBUG(di, "Not forwarding signal %d to children (ignored).\n", signo);
		return;
	}
	/* As dumb-init: a child already gone (ESRCH) is not worth a word. */
	(void)kill(di->use_setsid ? -di->child : di->child, signo);
	DUMB_INIT_DEBUG(di, "Forwarded signal %d to children.\n", signo);
}

static void dumb_init_linger_reaped(pid_t pid, int status, void *arg)
{
	const struct dumb_init *di = arg;
	if (WIFEXITED(status))
		DUMB_INIT_DEBUG(di, "A child with PID %d exited with exit status %d.\n", (int)pid,
				WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		DUMB_INIT_DEBUG(di, "A child with PID %d was terminated by signal %d.\n", (int)pid,
				WTERMSIG(status));
}

/* Reap all that has exited; returns the exit code when the main child was among them,
 * else -1. */
static int dumb_init_reap(struct dumb_init *di)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int code;
		if (WIFEXITED(status)) {
			code = WEXITSTATUS(status);
			DUMB_INIT_DEBUG(di, "A child with PID %d exited with exit status %d.\n",
					(int)pid, code);
		} else {
			code = 128 + WTERMSIG(status);
			DUMB_INIT_DEBUG(di, "A child with PID %d was terminated by signal %d.\n",
					(int)pid, WTERMSIG(status));
		}
		if (pid == di->child) {
			/* Whatever else is in the child's group is told to go too. */
			dumb_init_forward(di, SIGTERM);
			if (di->linger)
				linger_run(&di->all_signals, dumb_init_linger_reaped, di);
			DUMB_INIT_DEBUG(di, "Child exited with status %d. Goodbye.\n", code);
			return code;
		}
	}
	return -1;
}

/* Returns the code to exit with, or -1 to go on waiting. */
static int dumb_init_handle_signal(struct dumb_init *di, int signo)
{
	DUMB_INIT_DEBUG(di, "Received signal %d.\n", signo);
	if (signo <= DUMB_INIT_MAX_SIGNAL && di->ignore_once[signo]) {
		DUMB_INIT_DEBUG(di, "Ignoring tty hand-off signal %d.\n", signo);
		di->ignore_once[signo] = false;
		return -1;
	}
	if (signo == SIGCHLD)
		return dumb_init_reap(di);
	dumb_init_forward(di, signo);
	/* The stop was meant for the whole job, and we are part of it. */
	if (signo == SIGTSTP || signo == SIGTTOU || signo == SIGTTIN) {
		DUMB_INIT_DEBUG(di, "Suspending self due to TTY signal.\n");
		(void)kill(getpid(), SIGSTOP); /* as PID 1 the kernel drops it, as for dumb-init */
	}
	return -1;
}

/* Give up the controlling terminal so that the child's new session can take it. */
static void dumb_init_detach_tty(struct dumb_init *di)
{
	if (ioctl(STDIN_FILENO, TIOCNOTTY) == -1) {
		DUMB_INIT_DEBUG(di, "Unable to detach from controlling tty (errno=%d %s).\n", errno,
				strerror(errno));
		return;
	}
	/* A session leader dropping its terminal makes the kernel send SIGHUP and SIGCONT to
	 * the foreground group, us included; those must not reach the child. */
	if (getsid(0) == getpid()) {
		DUMB_INIT_DEBUG(di, "Detached from controlling tty, ignoring the first SIGHUP and "
				    "SIGCONT we receive.\n");
		di->ignore_once[SIGHUP] = true;
		di->ignore_once[SIGCONT] = true;
	} else {
		DUMB_INIT_DEBUG(di, "Detached from controlling tty, but was not session leader.\n");
	}
}

static _Noreturn void dumb_init_exec_child(const struct dumb_init *di, char **argv)
{
	/* A clean slate: nothing blocked, nothing ignored, as dumb-init gives its child. */
	if (sigprocmask(SIG_UNBLOCK, &di->all_signals, NULL) != 0) {
		dumb_init_error("Unable to unblock signals: %s. Exiting.\n", strerror(errno));
		_exit(1);
	}
	/* Cannot fail for a valid signal other than KILL and STOP. */
	for (int signo = 1; signo <= DUMB_INIT_MAX_SIGNAL; signo++)
		if (signo != SIGKILL && signo != SIGSTOP)
			(void)signal(signo, SIG_DFL);
	if (di->use_setsid) {
		if (setsid() == -1) {
			dumb_init_error("Unable to setsid: %s. Exiting.\n", strerror(errno));
			_exit(1);
		}
		if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) == -1)
			DUMB_INIT_DEBUG(di, "Unable to attach to controlling tty (errno=%d %s).\n",
					errno, strerror(errno));
		DUMB_INIT_DEBUG(di, "setsid complete.\n");
	}
	execvp(argv[0], argv);
	dumb_init_error("%s: %s\n", argv[0], strerror(errno));
	_exit(2);
}

int dumb_init_main(int argc, char **argv)
{
	static struct dumb_init di = {.use_setsid = true};
	for (int signo = 0; signo <= DUMB_INIT_MAX_SIGNAL; signo++)
		di.rewrite[signo] = -1;
	int parsed = dumb_init_parse_args(&di, argc, argv);
	if (parsed >= 0)
		return parsed;
	dumb_init_parse_env(&di);
	char **child_argv = argv + optind;

	sigfillset(&di.all_signals);
	if (sigprocmask(SIG_BLOCK, &di.all_signals, NULL) != 0) {
		dumb_init_error("Unable to block signals: %s. Exiting.\n", strerror(errno));
		return 1;
	}
	/* Orphans only come back to a subreaper; lingering needs them. */
	if (di.linger && getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		DUMB_INIT_DEBUG(&di, "Unable to become a child subreaper (errno=%d %s).\n", errno,
				strerror(errno));
	if (di.use_setsid)
		dumb_init_detach_tty(&di);

	di.child = fork();
	if (di.child < 0) {
		dumb_init_error("Unable to fork. Exiting.\n");
		return 1;
	}
	if (di.child == 0)
		dumb_init_exec_child(&di, child_argv);
	DUMB_INIT_DEBUG(&di, "Child spawned with PID %d.\n", (int)di.child);
	/* Hold no directory busy: the init lives as long as the container. */
	if (chdir("/") == -1)
		DUMB_INIT_DEBUG(&di, "Unable to chdir(\"/\") (errno=%d %s)\n", errno,
				strerror(errno));
	for (;;) {
		int signo = sigwaitinfo(&di.all_signals, NULL);
		if (signo < 0)
			continue; /* EINTR: a stop and continue of our own */
		int code = dumb_init_handle_signal(&di, signo);
		if (code >= 0)
			return code;
	}
}
