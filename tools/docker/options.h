/*
 * options.h — tend-docker's command line (and DOCKER_HOST).
 */
#ifndef TEND_DOCKER_OPTIONS_H
#define TEND_DOCKER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in docs/docker-controller.md. */
enum {
	EXIT_STOPPED = 0, /* stopped by SIGTERM or SIGINT */
	EXIT_FATAL = 1,	  /* a start-up failure (out of memory, no event loop) */
	EXIT_USAGE = 2,	  /* bad command line or DOCKER_HOST */
};

struct options {
	char socket_path[256];
	const char *script_dir;
	const char *self;
	int host_pid;
	const char *host_proc;
	const char *allow_label;
	uint64_t timeout_ms, script_timeout_ms;
	size_t jobs, max_queue, output_limit, max_script_size, max_scripts;
	bool dry_run;
};

/* Parse argv and the environment. 0 to run, 1 if --help/--version was printed, -1 on a
 * usage error (already reported). */
int options_parse(int argc, char **argv, struct options *opt);

#endif
