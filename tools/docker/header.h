/*
 * header.h — the target header of a contrainer script (its first output line) and how it
 * resolves to a set of targets.
 *
 * Grammar (contrainer's; all whitespace is ignored, as contrainer strips it first):
 *   header = "" | group ("," group)*
 *   group  = target (op target)* (":" event)*
 *   target = "%me" | "%contrainer" | "%host" | "%all" | name      name = [a-zA-Z0-9][a-zA-Z0-9_.-]*
 *   op     = "+" | "~" | "!"      ("!" is the synonym contrainer's README documents)
 *   event  = [a-z][a-z_]* | "_inmediate" | "_immediate"
 * A group without events is immediate. A blank header means "%me" (immediate).
 * Each group is evaluated strictly left to right (the first target assigns, "+" adds, "~"
 * removes), and unlike contrainer every group counts: the targets of an event are the union of
 * the groups that list it.
 */
#ifndef TEND_DOCKER_HEADER_H
#define TEND_DOCKER_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#define HEADER_LINE_MAX	  4096 /* longer first lines are rejected */
#define HEADER_GROUPS_MAX 64
#define HEADER_TERMS_MAX  64  /* per group */
#define HEADER_EVENTS_MAX 32  /* per group */
#define HEADER_NAME_MAX	  255 /* a container name or an event name */

enum header_target { HEADER_ME, HEADER_CONTRAINER, HEADER_HOST, HEADER_ALL, HEADER_NAME };
enum header_op { HEADER_ASSIGN, HEADER_ADD, HEADER_REMOVE };

struct header_term {
	enum header_op op;
	enum header_target target;
	char *name; /* HEADER_NAME only */
};

struct header_group {
	size_t n_terms;
	struct header_term *terms;
	size_t n_events;
	char **events;	/* real event names (immediate markers are not stored here) */
	bool immediate; /* no events listed, or "_inmediate" among them */
};

struct header {
	size_t n_groups;
	struct header_group *groups;
};

struct header_error {
	size_t column; /* 1-based byte column in the original line */
	char message[160];
};

/* Parse one line (no newline). 0 on success; -1 with err filled on a syntax error or when
 * out of memory. On success free with header_free. */
int header_parse(const char *line, size_t len, struct header *out, struct header_error *err);
void header_free(struct header *header);

/* True if the group runs on event (a normalized Docker action such as "die"). */
bool header_group_has_event(const struct header_group *group, const char *event);
/* True if any group mentions %host or %all. */
bool header_mentions(const struct header *header, enum header_target target);

/* What targets resolve against: the running containers at this moment, plus the host. */
struct header_world {
	size_t n;		   /* number of running containers */
	const char *const *ids;	   /* n full ids */
	const char *const *names;  /* n names (no leading '/') */
	const char *me_id;	   /* the script's owner */
	const char *contrainer_id; /* the controller's own container, or NULL */
	bool allow_host;	   /* %host may be targeted by this script */
	bool allow_all;		   /* %all may be used by this script */
};

/* Evaluate a group into set[0..n] (set[n] is the host). set must hold n + 1 bools. */
void header_eval_group(const struct header_group *group, const struct header_world *world,
		       bool *set);

#endif
