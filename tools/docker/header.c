/*
 * header.c — parser and evaluator for the script target header (grammar in header.h).
 *
 * contrainer deletes every whitespace character before matching, so the parser works on a
 * stripped copy and keeps, for each kept byte, its column in the original line: an error then
 * points at what the user actually wrote.
 */
#include "header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	char text[HEADER_LINE_MAX + 1]; /* the line without whitespace */
	size_t cols[HEADER_LINE_MAX + 1];
	size_t len, pos;
	size_t end_column; /* column just past the original line */
	struct header_error *err;
};

static int parser_fail(struct parser *p, const char *fmt, const char *detail)
{
	p->err->column = p->pos < p->len ? p->cols[p->pos] : p->end_column;
	snprintf(p->err->message, sizeof(p->err->message), fmt, detail ? detail : "");
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}
static bool is_alnum(char c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char peek(const struct parser *p)
{
	return p->pos < p->len ? p->text[p->pos] : '\0';
}

/* Read [first][rest]* into a fresh string; the caller checked that the first byte fits. */
static char *read_word(struct parser *p, bool (*rest)(char))
{
	size_t start = p->pos++;
	while (p->pos < p->len && rest(p->text[p->pos]))
		p->pos++;
	size_t n = p->pos - start;
	if (n > HEADER_NAME_MAX) {
		p->pos = start;
		parser_fail(p, "name longer than %s bytes", "255");
		return NULL;
	}
	char *word = strndup(p->text + start, n);
	if (!word)
		parser_fail(p, "out of memory%s", NULL);
	return word;
}

static bool name_rest(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}
static bool event_rest(char c)
{
	return is_lower(c) || c == '_';
}

static int parse_target(struct parser *p, struct header_term *term)
{
	static const struct {
		const char *word;
		enum header_target target;
	} specials[] = {{"%me", HEADER_ME},
			{"%contrainer", HEADER_CONTRAINER},
			{"%host", HEADER_HOST},
			{"%all", HEADER_ALL}};
	char c = peek(p);
	if (c == '%') {
		size_t start = p->pos++;
		while (p->pos < p->len && is_alnum(p->text[p->pos]))
			p->pos++;
		for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
			size_t n = strlen(specials[i].word);
			if (p->pos - start == n &&
			    memcmp(p->text + start, specials[i].word, n) == 0) {
				term->target = specials[i].target;
				return 0;
			}
		}
		p->pos = start;
		return parser_fail(
		    p, "unknown target (expected %%me, %%contrainer, %%host or %%all)%s", NULL);
	}
	if (!is_alnum(c))
		return parser_fail(
		    p,
		    "expected a target (%%me, %%contrainer, %%host, %%all or a container name)%s",
		    NULL);
	term->target = HEADER_NAME;
	term->name = read_word(p, name_rest);
	return term->name ? 0 : -1;
}

static int parse_event(struct parser *p, struct header_group *group)
{
	char c = peek(p);
	if (!is_lower(c) && c != '_')
		return parser_fail(p, "expected an event name after ':'%s", NULL);
	size_t start = p->pos;
	char *event = read_word(p, event_rest);
	if (!event)
		return -1;
	if (c == '_') {
		bool immediate =
		    strcmp(event, "_inmediate") == 0 || strcmp(event, "_immediate") == 0;
		free(event);
		if (!immediate) {
			p->pos = start;
			return parser_fail(p, "unknown pseudo-event (only _inmediate)%s", NULL);
		}
		group->immediate = true;
		return 0;
	}
	if (group->n_events == HEADER_EVENTS_MAX) {
		free(event);
		p->pos = start;
		return parser_fail(p, "too many events in one group%s", NULL);
	}
	group->events[group->n_events++] = event;
	return 0;
}

static int parse_group(struct parser *p, struct header_group *group)
{
	group->terms = calloc(HEADER_TERMS_MAX, sizeof(*group->terms));
	group->events = calloc(HEADER_EVENTS_MAX, sizeof(*group->events));
	if (!group->terms || !group->events)
		return parser_fail(p, "out of memory%s", NULL);
	enum header_op op = HEADER_ASSIGN;
	for (;;) {
		if (group->n_terms == HEADER_TERMS_MAX)
			return parser_fail(p, "too many targets in one group%s", NULL);
		struct header_term *term = &group->terms[group->n_terms];
		term->op = op;
		if (parse_target(p, term) < 0)
			return -1;
		group->n_terms++;
		char c = peek(p);
		if (c == '+')
			op = HEADER_ADD;
		else if (c == '~' || c == '!')
			op = HEADER_REMOVE;
		else
			break;
		p->pos++;
	}
	bool listed = false;
	while (peek(p) == ':') {
		p->pos++;
		if (parse_event(p, group) < 0)
			return -1;
		listed = true;
	}
	if (!listed)
		group->immediate = true;
	return 0;
}

int header_parse(const char *line, size_t len, struct header *out, struct header_error *err)
{
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	struct parser *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err->message, sizeof(err->message), "out of memory");
		return -1;
	}
	p->err = err;
	p->end_column = len + 1;
	if (len > HEADER_LINE_MAX) {
		p->pos = p->len = 0;
		p->end_column = HEADER_LINE_MAX + 1;
		parser_fail(p, "header longer than %s bytes", "4096");
		free(p);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\0') {
			p->len = 0;
			p->end_column = i + 1;
			parser_fail(p, "NUL byte in header%s", NULL);
			free(p);
			return -1;
		}
		if (is_space(line[i]))
			continue;
		p->cols[p->len] = i + 1;
		p->text[p->len++] = line[i];
	}
	out->groups = calloc(p->len == 0 ? 1 : HEADER_GROUPS_MAX, sizeof(*out->groups));
	if (!out->groups) {
		snprintf(err->message, sizeof(err->message), "out of memory");
		free(p);
		return -1;
	}
	int rc = 0;
	if (p->len == 0) {
		/* blank header: %me, immediate */
		struct header_group *group = &out->groups[0];
		group->terms = calloc(1, sizeof(*group->terms));
		if (!group->terms) {
			rc = parser_fail(p, "out of memory%s", NULL);
		} else {
			group->n_terms = 1;
			group->terms[0].op = HEADER_ASSIGN;
			group->terms[0].target = HEADER_ME;
			group->immediate = true;
			out->n_groups = 1;
		}
	}
	while (rc == 0 && p->len > 0) {
		if (out->n_groups == HEADER_GROUPS_MAX) {
			rc = parser_fail(p, "too many groups%s", NULL);
			break;
		}
		rc = parse_group(p, &out->groups[out->n_groups++]);
		if (rc < 0)
			break;
		if (p->pos == p->len)
			break;
		if (peek(p) != ',') {
			rc = parser_fail(
			    p, "expected '+', '~', ':', ',' or the end of the header%s", NULL);
			break;
		}
		p->pos++;
		if (p->pos == p->len) {
			rc = parser_fail(p, "expected a target after ','%s", NULL);
			break;
		}
	}
	free(p);
	if (rc < 0)
		header_free(out);
	return rc;
}

void header_free(struct header *header)
{
	for (size_t g = 0; header->groups && g < header->n_groups; g++) {
		struct header_group *group = &header->groups[g];
		for (size_t t = 0; group->terms && t < group->n_terms; t++)
			free(group->terms[t].name);
		for (size_t e = 0; group->events && e < group->n_events; e++)
			free(group->events[e]);
		free(group->terms);
		free(group->events);
	}
	/* a failed group may hold allocations beyond n_groups-1's counts: freed above since
	 * n_groups is incremented before parse_group runs */
	free(header->groups);
	memset(header, 0, sizeof(*header));
}

bool header_group_has_event(const struct header_group *group, const char *event)
{
	for (size_t e = 0; e < group->n_events; e++)
		if (strcmp(group->events[e], event) == 0)
			return true;
	return false;
}

bool header_mentions(const struct header *header, enum header_target target)
{
	for (size_t g = 0; g < header->n_groups; g++)
		for (size_t t = 0; t < header->groups[g].n_terms; t++)
			if (header->groups[g].terms[t].target == target)
				return true;
	return false;
}

/* A name matches a container by name, by full id, or by an id prefix of 12+ characters (the
 * short id the docker CLI shows). */
static bool name_matches(const char *name, const char *id, const char *container_name)
{
	size_t n = strlen(name);
	return strcmp(name, container_name) == 0 || (n >= 12 && strncmp(name, id, n) == 0);
}

static void term_members(const struct header_term *term, const struct header_world *world,
			 bool *members)
{
	memset(members, 0, (world->n + 1) * sizeof(bool));
	switch (term->target) {
	case HEADER_HOST:
		members[world->n] = world->allow_host;
		break;
	case HEADER_ALL:
		if (!world->allow_all)
			break;
		for (size_t i = 0; i < world->n; i++)
			members[i] = true;
		members[world->n] = world->allow_host;
		break;
	case HEADER_ME:
	case HEADER_CONTRAINER: {
		const char *id = term->target == HEADER_ME ? world->me_id : world->contrainer_id;
		for (size_t i = 0; id && i < world->n; i++)
			members[i] = strcmp(world->ids[i], id) == 0;
		break;
	}
	case HEADER_NAME:
		for (size_t i = 0; i < world->n; i++)
			members[i] = name_matches(term->name, world->ids[i], world->names[i]);
		break;
	}
}

void header_eval_group(const struct header_group *group, const struct header_world *world,
		       bool *set)
{
	bool stack_members[65];
	bool *members = world->n + 1 <= 65 ? stack_members : calloc(world->n + 1, sizeof(bool));
	memset(set, 0, (world->n + 1) * sizeof(bool));
	if (!members)
		return; /* out of memory: no targets rather than wrong ones */
	for (size_t t = 0; t < group->n_terms; t++) {
		const struct header_term *term = &group->terms[t];
		term_members(term, world, members);
		for (size_t i = 0; i <= world->n; i++) {
			if (term->op == HEADER_ASSIGN)
				set[i] = members[i];
			else if (term->op == HEADER_ADD)
				set[i] = set[i] || members[i];
			else
				set[i] = set[i] && !members[i];
		}
	}
	if (members != stack_members)
		free(members);
}
