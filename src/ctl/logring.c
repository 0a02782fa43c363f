/*
 * logring.c — the in-memory ring of recent log records (see logring.h).
 */
#include "ctl/logring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct logring {
	struct logring_entry *slots; /* LOGRING_SLOTS of them */
	uint64_t next_seq;
	logring_fn *on_entry;
	void *arg;
};

struct logring *logring_new(logring_fn *on_entry, void *arg)
{
	struct logring *ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	ring->slots = calloc(LOGRING_SLOTS, sizeof(*ring->slots));
	if (!ring->slots) {
		free(ring);
		return NULL;
	}
	ring->next_seq = 1;
	ring->on_entry = on_entry;
	ring->arg = arg;
	return ring;
}

void logring_free(struct logring *ring)
{
	if (!ring)
		return;
	free(ring->slots);
	free(ring);
}

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void logring_add(struct logring *ring, const struct log_record *record)
{
	struct logring_entry *e = &ring->slots[ring->next_seq % LOGRING_SLOTS];
	e->seq = ring->next_seq++;
	copy_field(e->service, sizeof(e->service), record->service);
	copy_field(e->tag, sizeof(e->tag), record->tag);
	char stamp[32];
	struct tm tm;
	time_t t = record->time.tv_sec;
	if (localtime_r(&t, &tm))
		strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
	else
		strcpy(stamp, "-");
	int text_len = record->text_len > LOGRING_TEXT ? LOGRING_TEXT : (int)record->text_len;
	int n;
	if (record->pid)
		n = snprintf(e->line, sizeof(e->line), "%s %s[%d]: %.*s", stamp,
			     e->tag[0] ? e->tag : "-", (int)record->pid, text_len,
			     record->text ? record->text : "");
	else
		n = snprintf(e->line, sizeof(e->line), "%s %s: %.*s", stamp,
			     e->tag[0] ? e->tag : "-", text_len, record->text ? record->text : "");
	if (n >= (int)sizeof(e->line))
		memcpy(e->line + sizeof(e->line) - 4, "...", 4);
	/* one line per entry: a stray newline in the text would break `logs` output */
	for (char *p = e->line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (ring->on_entry)
		ring->on_entry(e, ring->arg);
}

void logring_visit(const struct logring *ring, logring_fn *fn, void *arg)
{
	uint64_t first = ring->next_seq > LOGRING_SLOTS ? ring->next_seq - LOGRING_SLOTS : 1;
	for (uint64_t seq = first; seq < ring->next_seq; seq++) {
		const struct logring_entry *e = &ring->slots[seq % LOGRING_SLOTS];
		if (e->seq == seq)
			fn(e, arg);
	}
}

uint64_t logring_count(const struct logring *ring)
{
	return ring->next_seq - 1;
}

bool logring_entry_matches(const struct logring_entry *entry, char *const *names, size_t nnames)
{
	if (nnames == 0)
		return true;
	for (size_t i = 0; i < nnames; i++) {
		const char *name = names[i];
		size_t len = strlen(name);
		if (strcmp(entry->service, name) == 0 || strcmp(entry->tag, name) == 0)
			return true;
		if (strncmp(entry->service, name, len) == 0 &&
		    strcmp(entry->service + len, ".service") == 0)
			return true;
	}
	return false;
}
