/*
 * controller.c — containers, their scripts, and what events make run where (see
 * controller.h). The event stream feeds per-container queues; a container's queue advances
 * one event at a time (registration is asynchronous), and dispatching only queues jobs, so no
 * container ever waits for another.
 */
#include "controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller_private.h"
#include "report.h"

/* ---- bookkeeping ---- */

static struct container *container_find(struct controller *ctl, const char *id)
{
	for (struct container *c = ctl->containers; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

struct container *controller_container_get(struct controller *ctl, const char *id, const char *name)
{
	struct container *c = container_find(ctl, id);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->controller = ctl;
		snprintf(c->id, sizeof(c->id), "%s", id);
		snprintf(c->name, sizeof(c->name), "%.12s", id);
		c->next = ctl->containers;
		ctl->containers = c;
	}
	if (name && name[0])
		snprintf(c->name, sizeof(c->name), "%s", name[0] == '/' ? name + 1 : name);
	return c;
}

void controller_forget_scripts(struct container *c)
{
	for (size_t i = 0; i < c->n_scripts; i++)
		script_free(&c->scripts[i]);
	free(c->scripts);
	c->scripts = NULL;
	c->n_scripts = 0;
}

void controller_pending_push(struct pending_list *list, const struct event *ev)
{
	struct pending *p = list->count < PENDING_MAX ? malloc(sizeof(*p)) : NULL;
	if (!p) {
		report_text("%s: event %s dropped (%zu events already waiting)", ev->name,
			    ev->action, list->count);
		return;
	}
	list->count++;
	p->ev = *ev;
	p->next = NULL;
	if (list->tail)
		list->tail->next = p;
	else
		list->head = p;
	list->tail = p;
}

static bool pending_pop(struct pending_list *list, struct event *out)
{
	struct pending *p = list->head;
	if (!p)
		return false;
	list->head = p->next;
	if (!list->head)
		list->tail = NULL;
	list->count--;
	*out = p->ev;
	free(p);
	return true;
}

static void container_free(struct container *c)
{
	struct event ignored;
	controller_forget_scripts(c);
	while (pending_pop(&c->queue, &ignored) || pending_pop(&c->held, &ignored))
		;
	free(c->served);
	free(c);
}

static void container_remove(struct controller *ctl, struct container *gone)
{
	for (struct container **at = &ctl->containers; *at; at = &(*at)->next) {
		if (*at == gone) {
			*at = gone->next;
			container_free(gone);
			return;
		}
	}
}

static bool served_has(const uint64_t *keys, size_t n, uint64_t key)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i] == key)
			return true;
	return false;
}

static bool served_add(uint64_t **keys, size_t *n, uint64_t key)
{
	uint64_t *grown = realloc(*keys, (*n + 1) * sizeof(**keys));
	if (!grown)
		return false;
	grown[(*n)++] = key;
	*keys = grown;
	return true;
}

/* ---- targets ---- */

struct world {
	struct header_world view;
	struct container **members; /* view.n running containers, same order as ids/names */
	const char **ids, **names;
};

static bool world_build(struct controller *ctl, struct world *w)
{
	memset(w, 0, sizeof(*w));
	size_t n = 0;
	for (struct container *c = ctl->containers; c; c = c->next)
		n += c->running;
	w->members = calloc(n + 1, sizeof(*w->members));
	w->ids = calloc(n + 1, sizeof(*w->ids));
	w->names = calloc(n + 1, sizeof(*w->names));
	if (!w->members || !w->ids || !w->names) {
		free(w->members);
		free(w->ids);
		free(w->names);
		return false;
	}
	for (struct container *c = ctl->containers; c; c = c->next) {
		if (!c->running)
			continue;
		w->members[w->view.n] = c;
		w->ids[w->view.n] = c->id;
		w->names[w->view.n] = c->name;
		w->view.n++;
	}
	w->view.ids = w->ids;
	w->view.names = w->names;
	w->view.contrainer_id = ctl->self_id[0] ? ctl->self_id : NULL;
	return true;
}

static void world_free(struct world *w)
{
	free(w->members);
	free(w->ids);
	free(w->names);
}

/* The targets of owner's script for an event (NULL: the immediate groups), into set. */
static void script_targets(struct controller *ctl, struct world *w, const struct container *owner,
			   const struct script *script, const char *event, bool *set)
{
	w->view.me_id = owner->id;
	w->view.allow_all = owner->allowed;
	w->view.allow_host = owner->allowed && ctl->config.host_enabled;
	bool *group_set = calloc(w->view.n + 1, sizeof(bool));
	memset(set, 0, (w->view.n + 1) * sizeof(bool));
	if (!group_set)
		return;
	for (size_t g = 0; g < script->header.n_groups; g++) {
		const struct header_group *group = &script->header.groups[g];
		bool wanted = event ? header_group_has_event(group, event) : group->immediate;
		if (!wanted)
			continue;
		header_eval_group(group, &w->view, group_set);
		for (size_t i = 0; i <= w->view.n; i++)
			set[i] = set[i] || group_set[i];
	}
	free(group_set);
}

static void submit(struct controller *ctl, const char *event, const struct container *owner,
		   const struct script *script, const struct container *target,
		   const struct container *registrar)
{
	struct dispatch_job *job = dispatch_job_new(
	    event, owner->id, owner->name, script->path, script->body, target ? target->id : NULL,
	    target ? target->name : NULL, registrar->id, registrar->name);
	if (!job) {
		report_text("out of memory: %s of %s not run", script->path, owner->name);
		return;
	}
	dispatch_submit(ctl->dispatch, job);
}

/* Run every registered script whose header lists the event, on its targets. */
static void dispatch_event(struct controller *ctl, const char *event, const struct container *x)
{
	struct world w;
	if (!world_build(ctl, &w))
		return;
	bool *set = calloc(w.view.n + 1, sizeof(bool));
	for (struct container *owner = ctl->containers; set && owner; owner = owner->next) {
		for (size_t s = 0; s < owner->n_scripts; s++) {
			script_targets(ctl, &w, owner, &owner->scripts[s], event, set);
			for (size_t i = 0; i <= w.view.n; i++)
				if (set[i])
					submit(ctl, event, owner, &owner->scripts[s],
					       i < w.view.n ? w.members[i] : NULL, x);
		}
	}
	free(set);
	world_free(&w);
}

/* Immediate scripts: run each on every current target that has not had it since that target
 * (last) started. Called whenever a container has registered; registrar is that container. */
static void sweep_immediate(struct controller *ctl, const struct container *registrar)
{
	struct world w;
	if (!world_build(ctl, &w))
		return;
	bool *set = calloc(w.view.n + 1, sizeof(bool));
	for (struct container *owner = ctl->containers; set && owner; owner = owner->next) {
		for (size_t s = 0; s < owner->n_scripts; s++) {
			const struct script *script = &owner->scripts[s];
			script_targets(ctl, &w, owner, script, NULL, set);
			for (size_t i = 0; i <= w.view.n; i++) {
				if (!set[i])
					continue;
				struct container *target = i < w.view.n ? w.members[i] : NULL;
				uint64_t **keys = target ? &target->served : &ctl->host_served;
				size_t *n = target ? &target->n_served : &ctl->n_host_served;
				if (served_has(*keys, *n, script->key) ||
				    !served_add(keys, n, script->key))
					continue;
				submit(ctl, IMMEDIATE, owner, script, target, registrar);
			}
		}
	}
	free(set);
	world_free(&w);
}

/* ---- registration ---- */

static bool labels_allow(const struct controller *ctl, json_t *labels)
{
	const char *want = ctl->config.allow_label;
	if (!want)
		return true;
	const char *eq = strchr(want, '=');
	size_t key_len = eq ? (size_t)(eq - want) : strlen(want);
	const char *key;
	json_t *value;
	json_object_foreach(labels, key, value)
	{
		if (strlen(key) != key_len || strncmp(key, want, key_len) != 0)
			continue;
		return !eq ||
		       (json_is_string(value) && strcmp(json_string_value(value), eq + 1) == 0);
	}
	return false;
}

static void report_registration(const struct controller *ctl, const struct container *c,
				const struct script *script)
{
	json_t *groups = json_array();
	for (size_t g = 0; g < script->header.n_groups; g++) {
		const struct header_group *group = &script->header.groups[g];
		json_t *events = json_array();
		if (group->immediate)
			json_array_append_new(events, json_string(IMMEDIATE));
		for (size_t e = 0; e < group->n_events; e++)
			json_array_append_new(events, json_string(group->events[e]));
		json_array_append_new(groups, events);
	}
	report_record("register",
		      json_pack("{s:{s:s,s:s},s:s,s:o}", "container", "id", c->id, "name", c->name,
				"script", script->path, "events", groups));
	bool host = header_mentions(&script->header, HEADER_HOST);
	bool all = header_mentions(&script->header, HEADER_ALL);
	if ((host || all) && !c->allowed)
		report_text("%s: %s: %%host/%%all are ignored: the container lacks the label %s",
			    c->name, script->path, ctl->config.allow_label);
	else if (host && !ctl->config.host_enabled)
		report_text("%s: %s: %%host is ignored: host targeting is off (--host-pid)",
			    c->name, script->path);
}

static void on_discovered(void *arg, struct discovery_result *result)
{
	struct container *c = arg;
	struct controller *ctl = c->controller;
	controller_forget_scripts(c);
	if (!result->running) {
		c->running = false;
	} else {
		snprintf(c->name, sizeof(c->name), "%s", result->name);
		if (strcmp(c->started_at, result->started_at) != 0) {
			/* a new run of the container: it is a new target for immediate scripts */
			free(c->served);
			c->served = NULL;
			c->n_served = 0;
			snprintf(c->started_at, sizeof(c->started_at), "%s", result->started_at);
		}
		c->allowed = labels_allow(ctl, result->labels);
		c->scripts = result->scripts;
		c->n_scripts = result->n_scripts;
		result->scripts = NULL;
		c->registered = true;
		for (size_t i = 0; i < c->n_scripts; i++)
			report_registration(ctl, c, &c->scripts[i]);
		sweep_immediate(ctl, c);
	}
	/* contrainer's order: the events held since create, then start itself */
	struct event held;
	while (pending_pop(&c->held, &held))
		dispatch_event(ctl, held.action, c);
	if (strcmp(c->current.action, "start") == 0)
		dispatch_event(ctl, "start", c);
	c->busy = false;
	controller_container_pump(c);
}

static void container_register(struct container *c)
{
	struct controller *ctl = c->controller;
	struct discovery_options opt = {.script_dir = ctl->config.script_dir,
					.max_scripts = ctl->config.max_scripts,
					.max_script_size = ctl->config.max_script_size,
					.timeout_ms = ctl->config.script_timeout_ms};
	c->busy = true;
	if (discovery_start(ctl->engine, &opt, c->id, on_discovered, c) < 0) {
		struct discovery_result none = {.running = c->running};
		snprintf(none.name, sizeof(none.name), "%s", c->name);
		on_discovered(c, &none);
	}
}

/* ---- one container's events, in order ---- */

/* Handle c->current. Returns false when it finished synchronously. */
static bool container_handle(struct container *c)
{
	struct controller *ctl = c->controller;
	const char *action = c->current.action;
	if (strcmp(action, "create") == 0) {
		c->collecting = true;
		controller_pending_push(&c->held, &c->current);
		return false;
	}
	if (strcmp(action, CATCH_UP) == 0) {
		for (const struct pending *p = c->queue.head; p; p = p->next)
			if (strcmp(p->ev.action, "start") == 0)
				return false; /* its start event, queued behind, registers it */
	}
	if (strcmp(action, "start") == 0 || strcmp(action, CATCH_UP) == 0) {
		c->collecting = false;
		c->running = true;
		c->started_ms = evloop_now_ms();
		container_register(c);
		return true;
	}
	if (strcmp(action, "destroy") == 0) {
		struct event held;
		while (pending_pop(&c->held, &held))
			dispatch_event(ctl, held.action, c);
		c->running = false;
		dispatch_event(ctl, "destroy", c);
		controller_forget_scripts(c);
		return false;
	}
	if (c->collecting) {
		controller_pending_push(&c->held, &c->current);
		return false;
	}
	if (strcmp(action, "die") == 0) {
		c->running = false; /* it is no target any more */
		dispatch_event(ctl, "die", c);
		controller_forget_scripts(c);
		c->registered = false; /* a later listing may register it again */
		return false;
	}
	dispatch_event(ctl, action, c);
	return false;
}

void controller_container_pump(struct container *c)
{
	while (!c->busy && pending_pop(&c->queue, &c->current)) {
		if (container_handle(c))
			return;
		if (strcmp(c->current.action, "destroy") == 0 && !c->queue.head) {
			container_remove(c->controller, c);
			return;
		}
	}
}

/* ---- construction ---- */

struct controller *controller_new(struct evloop *loop, struct engine *engine,
				  const struct controller_config *config)
{
	struct controller *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->seen = calloc(1, sizeof(*ctl->seen));
	if (!ctl->seen) {
		free(ctl);
		return NULL;
	}
	ctl->loop = loop;
	ctl->engine = engine;
	ctl->config = *config;
	ctl->backoff_ms = BACKOFF_MIN_MS;
	evloop_timer_init(&ctl->reconnect, controller_on_reconnect, ctl);
	/* the stream starts from now: whatever happens while we list the running containers is
	 * replayed to us, and what shows up in both is handled once (see on_containers) */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ctl->start_since, sizeof(ctl->start_since), "%lld.%09ld", (long long)now.tv_sec,
		 now.tv_nsec);
	return ctl;
}

void controller_stop(struct controller *ctl)
{
	ctl->stopping = true;
	evloop_timer_stop(ctl->loop, &ctl->reconnect);
}

void controller_set_dispatch(struct controller *ctl, struct dispatch *dispatch)
{
	ctl->dispatch = dispatch;
}

void controller_free(struct controller *ctl)
{
	if (!ctl)
		return;
	evloop_timer_stop(ctl->loop, &ctl->reconnect);
	while (ctl->containers) {
		struct container *next = ctl->containers->next;
		container_free(ctl->containers);
		ctl->containers = next;
	}
	free(ctl->host_served);
	free(ctl->seen);
	free(ctl);
}

const char *controller_self_id(const struct controller *ctl)
{
	return ctl->self_id;
}

const char *controller_self_name(const struct controller *ctl)
{
	return ctl->self_name;
}
