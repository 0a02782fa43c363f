/*
 * parse.c — argument parsers for the tini and dumb-init modes (see parse.h). Each one accepts
 * exactly what the original accepts, found by running the originals, so that a command line
 * that works with tini or dumb-init works with tend and one that fails, fails the same way.
 */
#include "modes/parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int modes_parse_exit_code(const char *text)
{
	char *end = NULL;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < 0 || value > 255)
		return -1;
	return (int)value;
}

/* The names tini knows for -p: the classic signals, without SIGSTKFLT, SIGIO or SIGPWR. */
static const struct {
	const char *name;
	int signo;
} tini_signals[] = {
    {"SIGHUP", SIGHUP},	      {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},   {"SIGILL", SIGILL},
    {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT}, {"SIGBUS", SIGBUS},	    {"SIGFPE", SIGFPE},
    {"SIGKILL", SIGKILL},     {"SIGUSR1", SIGUSR1}, {"SIGSEGV", SIGSEGV},   {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},   {"SIGCHLD", SIGCHLD},
    {"SIGCONT", SIGCONT},     {"SIGSTOP", SIGSTOP}, {"SIGTSTP", SIGTSTP},   {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU},     {"SIGURG", SIGURG},   {"SIGXCPU", SIGXCPU},   {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH}, {"SIGSYS", SIGSYS},
};

int modes_parse_tini_signal(const char *name)
{
	for (size_t i = 0; i < sizeof(tini_signals) / sizeof(tini_signals[0]); i++)
		if (strcmp(name, tini_signals[i].name) == 0)
			return tini_signals[i].signo;
	return -1;
}

int modes_parse_rewrite(const char *text, int *from, int *to)
{
	/* dumb-init reads "%d:%d" with sscanf, so " 1: 2", "+1:-0" and "1:2x" are all fine;
	 * reading it the same way keeps every such spelling working. */
	int signum = 0, replacement = 0;
	if (sscanf(text, "%d:%d", &signum, &replacement) != 2)
		return -1;
	if (signum < 1 || signum > 31 || replacement < 0 || replacement > 31)
		return -1;
	*from = signum;
	*to = replacement;
	return 0;
}

const char *modes_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}
