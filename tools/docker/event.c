/*
 * event.c — parse, normalize and de-duplicate Engine events (see event.h).
 */
#include "event.h"

#include <jansson.h>
#include <string.h>

void event_normalize_action(char *action)
{
	char *colon = strchr(action, ':');
	if (colon)
		*colon = '\0';
	size_t n = strlen(action);
	while (n > 0 && action[n - 1] == ' ')
		action[--n] = '\0';
	static const char *const podman[][2] = {
	    {"remove", "destroy"},
	    {"died", "die"},
	    {"exec_died", "exec_die"},
	    {"exec", "exec_start"},
	};
	for (size_t i = 0; i < sizeof(podman) / sizeof(podman[0]); i++)
		if (strcmp(action, podman[i][0]) == 0)
			strcpy(action, podman[i][1]); /* every replacement fits: EVENT_ACTION_MAX */
}

static void copy_string(char *dst, size_t size, json_t *value)
{
	const char *s = json_is_string(value) ? json_string_value(value) : "";
	size_t n = strlen(s);
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

int event_parse(const char *line, size_t len, struct event *out)
{
	memset(out, 0, sizeof(*out));
	json_error_t error;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	int rc = 1;
	json_t *type = json_object_get(root, "Type");
	json_t *actor = json_object_get(root, "Actor");
	json_t *action = json_object_get(root, "Action");
	if (!action)
		action = json_object_get(root, "status"); /* very old engines */
	if (json_is_string(type) && strcmp(json_string_value(type), "container") == 0 &&
	    json_is_object(actor) && json_is_string(action)) {
		copy_string(out->id, sizeof(out->id), json_object_get(actor, "ID"));
		json_t *attributes = json_object_get(actor, "Attributes");
		if (json_is_object(attributes))
			copy_string(out->name, sizeof(out->name),
				    json_object_get(attributes, "name"));
		copy_string(out->action, sizeof(out->action), action);
		event_normalize_action(out->action);
		out->is_exec = strncmp(out->action, "exec_", 5) == 0;
		json_t *nano = json_object_get(root, "timeNano");
		json_t *seconds = json_object_get(root, "time");
		if (json_is_integer(nano))
			out->time_nano = (int64_t)json_integer_value(nano);
		else if (json_is_integer(seconds) && json_integer_value(seconds) >= 0 &&
			 json_integer_value(seconds) < INT64_MAX / 1000000000)
			out->time_nano = (int64_t)json_integer_value(seconds) * 1000000000;
		if (out->id[0] != '\0' && out->action[0] != '\0')
			rc = 0;
	}
	json_decref(root);
	return rc;
}

/* FNV-1a over id, a separator and action. */
static uint64_t event_hash(const struct event *ev)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *s = ev->id; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xffu) * 1099511628211ULL;
	for (const char *s = ev->action; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

bool event_seen_check(struct event_seen *seen, const struct event *ev)
{
	uint64_t hash = event_hash(ev);
	for (size_t i = 0; i < seen->count; i++)
		if (seen->ring[i].time_nano == ev->time_nano && seen->ring[i].hash == hash)
			return true;
	/* older than the whole window: it was handled before the window began */
	if (seen->count == EVENT_SEEN_MAX && ev->time_nano < seen->ring[seen->next].time_nano)
		return true;
	seen->ring[seen->next].time_nano = ev->time_nano;
	seen->ring[seen->next].hash = hash;
	seen->next = (seen->next + 1) % EVENT_SEEN_MAX;
	if (seen->count < EVENT_SEEN_MAX)
		seen->count++;
	if (ev->time_nano > seen->last_time_nano)
		seen->last_time_nano = ev->time_nano;
	return false;
}
