/*
 * controller_private.h — what controller.c (containers, scripts, dispatch decisions) and
 * controller_follow.c (the event stream, catch-up, reconnection, identity) share. Not for
 * other modules: they use controller.h.
 */
#ifndef TEND_DOCKER_CONTROLLER_PRIVATE_H
#define TEND_DOCKER_CONTROLLER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller.h"
#include "discovery.h"
#include "event.h"

#define IMMEDIATE      "_inmediate" /* contrainer's spelling, kept for DOCKER_EVENT */
#define CATCH_UP       "_catchup"   /* queued for containers running before we saw their start */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000

struct pending {
	struct event ev;
	struct pending *next;
};

struct pending_list {
	struct pending *head, *tail;
	size_t count;
};

/* Events waiting behind a slow registration, per container; beyond this they are dropped
 * (and reported): a flood must not grow memory without bound. */
#define PENDING_MAX 1024

struct container {
	struct controller *controller;
	char id[EVENT_ID_MAX + 1];
	char name[EVENT_NAME_MAX + 1];
	bool running;
	bool collecting; /* created, not started yet: its events are held */
	bool registered; /* scripts discovered at least once */
	bool allowed;	 /* carries the allow label (or no label is required) */
	struct script *scripts;
	size_t n_scripts;
	uint64_t *served; /* keys of immediate scripts already run here since it started */
	size_t n_served;
	char started_at[64]; /* the run of the container that `served` belongs to */
	struct pending_list queue, held;
	uint64_t started_ms; /* when we last handled its start (monotonic) */
	bool busy;
	struct event current;
	struct container *next;
};

struct controller {
	struct evloop *loop;
	struct engine *engine;
	struct dispatch *dispatch;
	struct controller_config config;
	struct container *containers;
	uint64_t *host_served;
	size_t n_host_served;
	char self_id[EVENT_ID_MAX + 1];
	char self_name[EVENT_NAME_MAX + 1];
	struct event_seen *seen;
	char start_since[40]; /* where the very first stream starts */
	uint64_t backoff_ms;
	uint64_t listed_ms; /* when the last container listing was requested */
	struct evloop_timer reconnect;
	bool connected_once;
	bool stopping;
};

/* The container with this id, created if new; name (if any) updates its name. */
struct container *controller_container_get(struct controller *ctl, const char *id,
					   const char *name);
/* Handle the container's queued events until one needs to wait (or none are left). The
 * container may be freed on return (destroy). */
void controller_container_pump(struct container *c);
void controller_pending_push(struct pending_list *list, const struct event *ev);
void controller_forget_scripts(struct container *c);
/* (Re)open the event stream from where we left off, and list containers to catch up. */
void controller_follow_events(struct controller *ctl);
void controller_on_reconnect(struct evloop *loop, void *arg);

#endif
