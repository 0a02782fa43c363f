/*
 * discovery.h — find and read the scripts a container publishes.
 *
 * Inspect the container (name, labels, running), list the executable regular files at the
 * top of the script directory with one exec of sh, then run each (sorted by name, one at a
 * time, without a shell, as contrainer did) and parse its stdout: the first line is the target
 * header, the rest the body. stderr and a non-zero exit are reported; a script that fails,
 * prints nothing, prints too much or has an invalid header is skipped.
 */
#ifndef TEND_DOCKER_DISCOVERY_H
#define TEND_DOCKER_DISCOVERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "header.h"

struct script {
	char *path;
	char *body; /* line 2 onward */
	struct header header;
	uint64_t key; /* owner id + path + whole output: "the same script" across restarts */
};

void script_free(struct script *script);

struct discovery_options {
	const char *script_dir;
	size_t max_scripts;
	size_t max_script_size;
	uint64_t timeout_ms;
};

struct discovery_result {
	bool running;		/* false: the container was gone or stopped; nothing else is set */
	char name[256];		/* without the leading '/' */
	char started_at[64];	/* State.StartedAt: tells one run of the container from the next */
	json_t *labels;		/* Config.Labels (an object), or NULL; borrowed until fn returns */
	struct script *scripts; /* n_scripts; ownership passes to the callee */
	size_t n_scripts;
};

typedef void discovery_fn(void *arg, struct discovery_result *result);
/* Start discovering id's scripts; fn is always called once, later. -1 if out of memory. */
int discovery_start(struct engine *engine, const struct discovery_options *opt, const char *id,
		    discovery_fn *fn, void *arg);

/* Split a script's output into header and body and parse the header (exposed for tests).
 * Trailing newlines are dropped as $(...) does. 0, 1 if the output is empty, -1 with err set
 * if the header is invalid. */
int discovery_parse_output(const char *output, size_t len, struct script *script,
			   struct header_error *err);

#endif
