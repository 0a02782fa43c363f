/*
 * hostexec.h — run a script on the host: a child enters the namespaces of a chosen host
 * process (mount, UTS, network; IPC, cgroup and PID when it can), the way `nsenter --target`
 * does, and runs `sh -c BODY` there with the host process's environment plus ours. Output is
 * captured through non-blocking pipes on the evloop, the exit through a pidfd; a deadline
 * kills the whole process group.
 */
#ifndef TEND_DOCKER_HOSTEXEC_H
#define TEND_DOCKER_HOSTEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "evloop.h"

struct hostexec_options {
	const char *proc_root;	/* "/proc", or the host's /proc mounted elsewhere */
	int host_pid;		/* whose namespaces and environment to use */
	const char *body;	/* the script, run as sh -c BODY */
	const char *const *env; /* KEY=VALUE added to (and overriding) the host environment */
	size_t output_limit;
	uint64_t timeout_ms;
};

struct hostexec;

/* Start; the result uses engine_exec_result so both kinds of target report alike. NULL if
 * the child could not be started (fn is then never called). */
struct hostexec *hostexec_run(struct evloop *loop, const struct hostexec_options *opt,
			      engine_exec_fn *fn, void *arg);
/* At shutdown: stop watching a run (fn gets the error "abandoned at shutdown"); the process
 * itself is left to finish on its own. */
void hostexec_abandon(struct hostexec *h);

#endif
