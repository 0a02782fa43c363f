/*
 * controller_follow.c — how the controller hears about containers: the /events stream (with
 * `since` and de-duplication across reconnects), the listing of running containers at start-up
 * and after each reconnect, and which container the controller itself runs in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller_private.h"
#include "report.h"

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
	struct container *c = controller_container_get(ctl, ev.id, ev.name);
	if (!c)
		return;
	controller_pending_push(&c->queue, &ev);
	controller_container_pump(c);
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
			controller_forget_scripts(c);
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
		    controller_container_get(ctl, json_string_value(id),
					     json_is_string(name) ? json_string_value(name) : NULL);
		if (!c || c->registered || c->busy || c->queue.head)
			continue; /* known already, or its own events will register it */
		c->running = true;
		struct event ev = {0};
		snprintf(ev.id, sizeof(ev.id), "%s", c->id);
		snprintf(ev.name, sizeof(ev.name), "%s", c->name);
		snprintf(ev.action, sizeof(ev.action), "%s", CATCH_UP);
		controller_pending_push(&c->queue, &ev);
	}
	for (struct container *c = ctl->containers; c; c = c->next)
		controller_container_pump(c);
}

static void catch_up(struct controller *ctl)
{
	ctl->listed_ms = evloop_now_ms();
	if (engine_get_json(ctl->engine, "/containers/json", on_containers, ctl) < 0)
		report_text("cannot list containers: out of memory");
}

void controller_on_reconnect(struct evloop *loop, void *arg)
{
	controller_follow_events(arg);
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

void controller_follow_events(struct controller *ctl)
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
	controller_follow_events(ctl);
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
	controller_follow_events(ctl);
}
