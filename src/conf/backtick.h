/*
 * backtick.h — running the shell commands of `cmd` and $(`cmd`) expansions.
 *
 * The expansion engine never runs anything itself: it asks a struct backtick, which holds
 * the runner the caller chose and chaperone's cache (one result per user and command for the
 * whole run, so `date` gives the same value everywhere). tend gives the default runner below;
 * unit tests give a fake one.
 *
 * The default runner blocks the caller while the command runs: it is meant for start-up and
 * launch time, and is bounded (BACKTICK_TIMEOUT_MS, then the command's process group is
 * killed; at most BACKTICK_MAX_OUTPUT bytes are kept, the rest is read and dropped).
 */
#ifndef TEND_CONF_BACKTICK_H
#define TEND_CONF_BACKTICK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BACKTICK_TIMEOUT_MS 5000
#define BACKTICK_MAX_OUTPUT (64u * 1024u)

struct backtick_request {
	const char *command; /* given to sh -c */
	bool set_user;	     /* run as uid/gid (the section's user); false: as tend */
	uid_t uid;
	gid_t gid;
};

/* Runs one command. Returns 0 with *output (malloc'd, as the command printed it), or -1 with
 * *error (malloc'd, why it failed: could not start, exit status, timeout...). */
typedef int backtick_run_fn(void *arg, const struct backtick_request *request, char **output,
			    char **error);
/* Told about every failed command; its result is then "" (as chaperone). */
typedef void backtick_error_fn(void *arg, const char *command, const char *message);

struct backtick;

/* NULL when out of memory. Caching is on. */
struct backtick *backtick_new(backtick_run_fn *run, void *run_arg);
void backtick_free(struct backtick *backtick);
/* envcp runs every occurrence again (chaperone's envcp does not cache). */
void backtick_set_cache(struct backtick *backtick, bool cache);
void backtick_on_error(struct backtick *backtick, backtick_error_fn *fn, void *arg);

/* The command's output with surrounding whitespace stripped and newlines turned into spaces;
 * "" when it failed. malloc'd; NULL only when out of memory. */
char *backtick_output(struct backtick *backtick, const struct backtick_request *request);

/* The default runner: `sh -c command` with stderr merged into stdout, stdin from /dev/null,
 * as the requested user, in a new process group, with a clean signal mask. A non-zero exit
 * status is a failure (chaperone uses check_output). arg may be NULL for the defaults. */
struct backtick_shell {
	int timeout_ms;	   /* <= 0: BACKTICK_TIMEOUT_MS */
	size_t max_output; /* 0: BACKTICK_MAX_OUTPUT */
	char *const *envp; /* the command's environment; NULL: tend's own environ */
	const char *shell; /* NULL: "/bin/sh" */
};
int backtick_shell_run(void *arg, const struct backtick_request *request, char **output,
		       char **error);

#endif
