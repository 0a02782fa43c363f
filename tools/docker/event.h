/*
 * event.h — one container event from the Engine's /events stream, normalized, and the
 * de-duplication window that lets a reconnect replay from `since` without running twice.
 *
 * Normalization: the action is cut at ':' ("health_status: healthy" -> "health_status",
 * "exec_start: sh -c ..." -> "exec_start"), and Podman's names are mapped to Docker's
 * ("remove" -> "destroy", "died" -> "die", "exec_died" -> "exec_die", "exec" -> "exec_start").
 */
#ifndef TEND_DOCKER_EVENT_H
#define TEND_DOCKER_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_ID_MAX	 64
#define EVENT_NAME_MAX	 255
#define EVENT_ACTION_MAX 63

struct event {
	char id[EVENT_ID_MAX + 1];
	char name[EVENT_NAME_MAX + 1];
	char action[EVENT_ACTION_MAX + 1]; /* normalized */
	int64_t time_nano;
	bool is_exec; /* exec_* actions: our own execs cause them; never dispatched */
};

/* Parse one JSON line. 0 for a container event, 1 for a line to ignore (another type, no id),
 * -1 for malformed JSON. */
int event_parse(const char *line, size_t len, struct event *out);

/* Normalize an action in place (exposed for tests). */
void event_normalize_action(char *action);

#define EVENT_SEEN_MAX 2048

/* Recently handled events (time, id, action), oldest overwritten first. The window only has
 * to cover what a `since` replay can repeat: events at or after the last handled time. */
struct event_seen {
	struct {
		int64_t time_nano;
		uint64_t hash; /* of id and action */
	} ring[EVENT_SEEN_MAX];
	size_t next, count;
	int64_t last_time_nano; /* newest handled event: where a reconnect resumes */
};

/* True if ev was seen already; otherwise remembers it and returns false. */
bool event_seen_check(struct event_seen *seen, const struct event *ev);

#endif
