/*
 * logring.h — the last log records, kept in memory for `tendctl logs`: a fixed ring of
 * fixed-size slots (allocated once), each one formatted line. Bounded: the oldest record is
 * overwritten, and a text longer than a slot is cut (and marked with "...").
 */
#ifndef TEND_CTL_LOGRING_H
#define TEND_CTL_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/record.h"

#define LOGRING_SLOTS 1024
#define LOGRING_TEXT  480

struct logring_entry {
	uint64_t seq;	  /* 1, 2, 3... (0: empty slot) */
	char service[64]; /* "foo.service" for captured output, "" otherwise */
	char tag[48];
	char line[LOGRING_TEXT]; /* "Nov 27 12:00:01 tag[pid]: text" */
};

/* Called for every new entry (the control socket's `logs -f` followers). */
typedef void logring_fn(const struct logring_entry *entry, void *arg);

struct logring;
struct logring *logring_new(logring_fn *on_entry, void *arg);
void logring_free(struct logring *ring);
void logring_add(struct logring *ring, const struct log_record *record);
/* Visit the entries still held, oldest first. */
void logring_visit(const struct logring *ring, logring_fn *fn, void *arg);
uint64_t logring_count(const struct logring *ring);

/* True when the entry belongs to one of the names (a service "foo"/"foo.service" or a tag). */
bool logring_entry_matches(const struct logring_entry *entry, char *const *names, size_t nnames);

#endif
