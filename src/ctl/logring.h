/*
 * logring.h — the last log records, kept in memory for `tendctl logs`. Adding a record must
 * cost little (every line tend routes passes here), so records are stored raw — time, pid,
 * service, tag and text bytes, copied into chunks of a byte ring (the first four once per run
 * of lines from one source) — and formatted into a line only when `tendctl logs` reads them
 * (logring_format).
 *
 * Bounds: the last LOGRING_RECORDS records are visible; a text longer than fits a line of
 * LOGRING_TEXT bytes is cut (and marked with "..." when formatted). Chunks are allocated as
 * records arrive, up to LOGRING_CHUNKS (enough for LOGRING_RECORDS records of the largest
 * size), and reused oldest first once their records have all been overtaken.
 */
#ifndef TEND_CTL_LOGRING_H
#define TEND_CTL_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "log/record.h"

#define LOGRING_RECORDS	    1024
#define LOGRING_TEXT	    480 /* bytes of a formatted line, with its NUL */
#define LOGRING_SERVICE_MAX 63	/* bytes of a service name kept */
#define LOGRING_TAG_MAX	    47	/* bytes of a tag kept */
#define LOGRING_CHUNK	    (16u * 1024u)
#define LOGRING_CHUNKS	    48

/* One stored record, as a visitor sees it: the strings point into the ring, are not
 * NUL-terminated, and are valid only during the call. */
struct logring_entry {
	uint64_t seq;	     /* 1, 2, 3... */
	time_t sec;	     /* CLOCK_REALTIME seconds when received */
	pid_t pid;	     /* 0 when unknown */
	const char *service; /* "foo.service" for captured output, "" otherwise */
	const char *tag;
	const char *text; /* at most LOGRING_TEXT bytes kept */
	size_t service_len, tag_len, text_len;
	bool cut; /* the text was longer than what is kept */
};

/* Called for every new entry (the control socket's `logs -f` followers). */
typedef void logring_fn(const struct logring_entry *entry, void *arg);

struct logring;
struct logring *logring_new(logring_fn *on_entry, void *arg);
void logring_free(struct logring *ring);
void logring_add(struct logring *ring, const struct log_record *record);
/* The same for a run of records (see struct log_line in log/record.h). */
void logring_add_run(struct logring *ring, const struct log_record *run,
		     const struct log_line *lines, size_t n);
/* Change (or remove, with NULL) the function called for every new entry. */
void logring_set_listener(struct logring *ring, logring_fn *on_entry, void *arg);
/* Visit the entries still visible (the last LOGRING_RECORDS), oldest first. */
void logring_visit(const struct logring *ring, logring_fn *fn, void *arg);
uint64_t logring_count(const struct logring *ring);

/* The entry as one line, "Nov 27 12:00:01 tag[pid]: text" (local time, no newline, any
 * newline in the text turned into a space), cut to size - 1 bytes with "..." at the end when
 * longer. Returns its length. size must be at least 4. */
size_t logring_format(const struct logring_entry *entry, char *line, size_t size);

/* True when the entry belongs to one of the names (a service "foo"/"foo.service" or a tag). */
bool logring_entry_matches(const struct logring_entry *entry, char *const *names, size_t nnames);

#endif
