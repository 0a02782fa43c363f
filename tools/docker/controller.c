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

#include "discovery.h"
#include "event.h"
#include "report.h"

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

static void container_pump(struct container *c);
static void follow_events(struct controller *ctl);

/* ---- bookkeeping ---- */

static struct container *container_find(struct controller *ctl, const char *id)
{
	for (struct container *c = ctl->containers; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static struct container *container_get(struct controller *ctl, const char *id, const char *name)
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

static void container_forget_scripts(struct container *c)
{
	for (size_t i = 0; i < c->n_scripts; i++)
		script_free(&c->scripts[i]);
	free(c->scripts);
	c->scripts = NULL;
	c->n_scripts = 0;
}

static void pending_push(struct pending_list *list, const struct event *ev)
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
	container_forget_scripts(c);
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
	container_forget_scripts(c);
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
	container_pump(c);
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
		pending_push(&c->held, &c->current);
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
		container_forget_scripts(c);
		return false;
	}
	if (c->collecting) {
		pending_push(&c->held, &c->current);
		return false;
	}
	if (strcmp(action, "die") == 0) {
		c->running = false; /* it is no target any more */
		dispatch_event(ctl, "die", c);
		container_forget_scripts(c);
		c->registered = false; /* a later listing may register it again */
		return false;
	}
	dispatch_event(ctl, action, c);
	return false;
}

static void container_pump(struct container *c)
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

/* ---- the event stream ---- */

static void on_event_line(void *arg, const char *line, size_t len)
{
	struct controller *ctl = arg;
	struct event ev;
	int rc = event_parse(line, len, &ev);
	if (rc < 0) {
		report_text("ignored a malformed event line (%zu bytes)", len);
		return;
	}
	ctl->backoff_ms = BACKOFF_MIN_MS; /* the stream works */
	if (rc > 0 || ev.is_exec)
		return; /* our own execs cause exec_*: never dispatched */
	if (event_seen_check(ctl->seen, &ev))
		return; /* replayed after a reconnect */
	struct container *c = container_get(ctl, ev.id, ev.name);
	if (!c)
		return;
	pending_push(&c->queue, &ev);
	container_pump(c);
}

static void on_containers(void *arg, json_t *list, long status, const char *error)
{
	struct controller *ctl = arg;
	if (!json_is_array(list)) {
		report_text("cannot list containers: %s", error ? error : "not a list");
		return;
	}
	size_t i;
	json_t *item;
	/* after a reconnect: what we think runs but is not listed died while we were away */
	for (struct container *c = ctl->containers; c; c = c->next) {
		bool listed = false;
		json_array_foreach(list, i, item)
		{
			json_t *id = json_object_get(item, "Id");
			listed = listed ||
				 (json_is_string(id) && strcmp(json_string_value(id), c->id) == 0);
		}
		if (c->running && !c->busy && !c->queue.head && !listed &&
		    c->started_ms < ctl->listed_ms) {
			report_text("%s is gone (stopped while the event stream was down)",
				    c->name);
			c->running = false;
			container_forget_scripts(c);
		}
	}
	json_array_foreach(list, i, item)
	{
		json_t *id = json_object_get(item, "Id");
		json_t *names = json_object_get(item, "Names");
		json_t *name = json_array_get(names, 0);
		if (!json_is_string(id))
			continue;
		struct container *c =
		    container_get(ctl, json_string_value(id),
				  json_is_string(name) ? json_string_value(name) : NULL);
		if (!c || c->registered || c->busy || c->queue.head)
			continue; /* known already, or its own events will register it */
		c->running = true;
		struct event ev = {0};
		snprintf(ev.id, sizeof(ev.id), "%s", c->id);
		snprintf(ev.name, sizeof(ev.name), "%s", c->name);
		snprintf(ev.action, sizeof(ev.action), "%s", CATCH_UP);
		pending_push(&c->queue, &ev);
	}
	for (struct container *c = ctl->containers; c; c = c->next)
		container_pump(c);
}

static void catch_up(struct controller *ctl)
{
	ctl->listed_ms = evloop_now_ms();
	if (engine_get_json(ctl->engine, "/containers/json", on_containers, ctl) < 0)
		report_text("cannot list containers: out of memory");
}

static void on_reconnect(struct evloop *loop, void *arg)
{
	follow_events(arg);
}

static void on_stream_end(void *arg, const char *error)
{
	struct controller *ctl = arg;
	if (ctl->stopping)
		return;
	report_text("event stream ended (%s); reconnecting in %llu ms", error,
		    (unsigned long long)ctl->backoff_ms);
	evloop_timer_start(ctl->loop, &ctl->reconnect, ctl->backoff_ms);
	ctl->backoff_ms =
	    ctl->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ctl->backoff_ms * 2;
}

static void follow_events(struct controller *ctl)
{
	char since[40];
	int64_t last = ctl->seen->last_time_nano;
	if (last > 0)
		snprintf(since, sizeof(since), "%lld.%09lld", (long long)(last / 1000000000),
			 (long long)(last % 1000000000));
	else
		snprintf(since, sizeof(since), "%s", ctl->start_since);
	if (engine_follow_events(ctl->engine, since, on_event_line, on_stream_end, ctl) < 0) {
		on_stream_end(ctl, "cannot start the request");
		return;
	}
	if (ctl->connected_once)
		report_text("reconnecting: following events from %s", since);
	ctl->connected_once = true;
	/* the listing registers what started while we were not looking (a daemon restart loses
	 * its event history); containers known already are left alone */
	catch_up(ctl);
}

/* ---- identity ---- */

static void on_self(void *arg, json_t *value, long status, const char *error)
{
	struct controller *ctl = arg;
	json_t *id = json_object_get(value, "Id");
	json_t *name = json_object_get(value, "Name");
	if (json_is_string(id) && json_is_string(name)) {
		const char *n = json_string_value(name);
		snprintf(ctl->self_id, sizeof(ctl->self_id), "%s", json_string_value(id));
		snprintf(ctl->self_name, sizeof(ctl->self_name), "%s", n[0] == '/' ? n + 1 : n);
		report_text("acting as container %s (%.12s)", ctl->self_name, ctl->self_id);
	} else if (ctl->config.self) {
		report_text("--self %s: %s; %%contrainer targets nothing", ctl->config.self,
			    error ? error : "no such container");
	}
	follow_events(ctl);
}

/* Inside a Docker container, /etc/hostname and friends are bind-mounted from
 * .../containers/<64-hex id>/: the id is in our own mountinfo. */
static bool detect_self(char *id, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		for (char *at = strstr(line, "/containers/"); at && !found;
		     at = strstr(at + 1, "/containers/")) {
			const char *hex = at + strlen("/containers/");
			size_t n = strspn(hex, "0123456789abcdef");
			if (n == 64 && hex[64] == '/' && size > 64) {
				memcpy(id, hex, 64);
				id[64] = '\0';
				found = true;
			}
		}
	}
	fclose(f);
	return found;
}

void controller_start(struct controller *ctl)
{
	char detected[EVENT_ID_MAX + 1];
	const char *self = ctl->config.self;
	if (!self && detect_self(detected, sizeof(detected)))
		self = detected;
	if (self) {
		char path[EVENT_NAME_MAX + 32];
		snprintf(path, sizeof(path), "/containers/%s/json", self);
		if (engine_get_json(ctl->engine, path, on_self, ctl) == 0)
			return;
	}
	report_text("not running in a known container: %%contrainer targets nothing");
	follow_events(ctl);
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
	evloop_timer_init(&ctl->reconnect, on_reconnect, ctl);
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
