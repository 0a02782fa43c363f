/*
 * controller.h — the controller proper: which containers exist, which scripts they published,
 * and what each Engine event makes run where.
 *
 * Life of a container, as contrainer defined it and tend-docker keeps it:
 *   create   -> events of this container are held until it starts (its scripts are unknown)
 *   start    -> discover and register its scripts, run immediate scripts on every target that
 *               has not had them yet, then dispatch the held events, then "start" itself
 *   die      -> dispatch "die", then forget the container's scripts
 *   destroy  -> dispatch "destroy", forget the container
 * Any event E on any container runs every registered script whose header lists E, on the
 * targets the header names (evaluated at that moment). Each container's events are handled
 * strictly one after another; different containers proceed independently.
 */
#ifndef TEND_DOCKER_CONTROLLER_H
#define TEND_DOCKER_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"
#include "engine.h"
#include "evloop.h"

struct controller_config {
	const char *script_dir;	    /* "/contrainer" */
	size_t max_scripts;	    /* per container */
	size_t max_script_size;	    /* bytes of a script's output (header + body) */
	uint64_t script_timeout_ms; /* for discovery runs */
	bool host_enabled;
	const char *allow_label; /* "key" or "key=value"; NULL: everyone may use %host/%all */
	const char *self;	 /* --self NAME|ID, or NULL to detect */
};

struct controller;

struct controller *controller_new(struct evloop *loop, struct engine *engine,
				  const struct controller_config *config);
void controller_free(struct controller *controller);

/* Learn the controller's own container (config.self, or detected), then list the running
 * containers (catch-up) and follow the event stream for good, reconnecting as needed. */
void controller_start(struct controller *controller);

/* Identity of the controller's own container: stable buffers, "" until known (the
 * dispatcher's CONTRAINER_ID/NAME point here). */
const char *controller_self_id(const struct controller *controller);
const char *controller_self_name(const struct controller *controller);

/* At shutdown, before the engine's requests end: stop reconnecting and reporting. */
void controller_stop(struct controller *controller);

/* Must be set before controller_start. */
void controller_set_dispatch(struct controller *controller, struct dispatch *dispatch);

#endif
