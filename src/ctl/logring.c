/*
 * logring.c — the in-memory ring of recent log records (see logring.h).
 *
 * Layout: a queue of chunks, oldest first. A chunk holds items one after the other (an item
 * never spans two chunks), each starting with a 4-byte word that says its kind:
 *  - a source item: the time, pid, service and tag that the lines after it share;
 *  - a line item: one record's text (its length and whether it was cut in the word).
 * A run of lines from one read of a service pipe stores its source once, so adding a line
 * is one word and one memcpy. Every chunk starts with a source item. Nothing is formatted
 * until a reader asks. Chunks are allocated only when the newest is full, so a quiet tend
 * holds one.
 */
#include "ctl/logring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	uint64_t first_seq; /* seq of its first line */
	uint32_t count;	    /* lines in it */
	uint32_t used;	    /* bytes of data used */
	uint32_t source;    /* offset of the current source item, or NO_SOURCE */
	uint32_t pad;
	char data[];
};

#define NO_SOURCE UINT32_MAX
/* the word: kind in the top byte; a line's length in the low 16 bits, its cut flag in bit
 * 16; a source's service and tag lengths in bits 8-15 and 0-7 */
#define KIND_LINE   0x4Cu /* 'L' */
#define KIND_SOURCE 0x53u /* 'S' */
#define WORD_SIZE   4u

struct source_head {
	int64_t sec;
	int32_t pid;
};

#define SOURCE_HEAD (WORD_SIZE + sizeof(struct source_head))
#define CHUNK_DATA  (LOGRING_CHUNK - sizeof(struct chunk))
#define SOURCE_MAX  (SOURCE_HEAD + LOGRING_SERVICE_MAX + LOGRING_TAG_MAX)
#define LINE_MAX_   (WORD_SIZE + LOGRING_TEXT)
/* the most one record can take: a source of its own and its line */
#define RECORD_MAX (SOURCE_MAX + LINE_MAX_)

_Static_assert(RECORD_MAX <= CHUNK_DATA, "a chunk must hold the largest record");
_Static_assert(LOGRING_TEXT <= UINT16_MAX && LOGRING_SERVICE_MAX <= UINT8_MAX &&
		   LOGRING_TAG_MAX <= UINT8_MAX,
	       "lengths fit their fields");
/* Enough chunks that the last LOGRING_RECORDS records of the largest size stay visible,
 * with the chunk being filled on top. */
_Static_assert((LOGRING_CHUNKS - 1) * (CHUNK_DATA / RECORD_MAX) >= LOGRING_RECORDS,
	       "the chunks must hold LOGRING_RECORDS records of the largest size");

struct logring {
	struct chunk *chunks[LOGRING_CHUNKS]; /* a circular queue of chunks */
	size_t first;			      /* index of the oldest chunk */
	size_t nchunks;
	struct chunk *newest; /* the one being filled (NULL before the first record) */
	uint64_t next_seq;
	logring_fn *on_entry;
	void *arg;
};

struct logring *logring_new(logring_fn *on_entry, void *arg)
{
	struct logring *ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	ring->next_seq = 1;
	ring->on_entry = on_entry;
	ring->arg = arg;
	return ring;
}

void logring_set_listener(struct logring *ring, logring_fn *on_entry, void *arg)
{
	ring->on_entry = on_entry;
	ring->arg = arg;
}

void logring_free(struct logring *ring)
{
	if (!ring)
		return;
	for (size_t i = 0; i < ring->nchunks; i++)
		free(ring->chunks[(ring->first + i) % LOGRING_CHUNKS]);
	free(ring);
}

/* A fresh chunk at the end of the queue for lines from seq on: the oldest one is reused once
 * all its lines are out of sight (or when the queue is full), else one is allocated. */
static struct chunk *next_chunk(struct logring *ring, uint64_t seq)
{
	struct chunk *chunk = NULL;
	if (ring->nchunks > 0) {
		struct chunk *oldest = ring->chunks[ring->first];
		bool overtaken = oldest->first_seq + oldest->count + LOGRING_RECORDS <= seq + 1;
		if (overtaken || ring->nchunks == LOGRING_CHUNKS) {
			chunk = oldest;
			ring->first = (ring->first + 1) % LOGRING_CHUNKS;
			ring->nchunks--;
		}
	}
	if (!chunk)
		chunk = malloc(LOGRING_CHUNK);
	if (!chunk && ring->nchunks > 0) { /* out of memory: keep going with what we have */
		chunk = ring->chunks[ring->first];
		ring->first = (ring->first + 1) % LOGRING_CHUNKS;
		ring->nchunks--;
	}
	if (!chunk)
		return NULL;
	chunk->first_seq = seq;
	chunk->count = 0;
	chunk->used = 0;
	chunk->source = NO_SOURCE;
	ring->chunks[(ring->first + ring->nchunks) % LOGRING_CHUNKS] = chunk;
	ring->nchunks++;
	ring->newest = chunk;
	return chunk;
}

static size_t capped_len(const char *s, size_t known, size_t max)
{
	if (!s)
		return 0;
	size_t len = known ? known : strnlen(s, max + 1);
	return len > max ? max : len;
}

static inline uint32_t load_word(const char *at)
{
	uint32_t word;
	memcpy(&word, at, sizeof(word));
	return word;
}

static inline void store_word(char *at, uint32_t word)
{
	memcpy(at, &word, sizeof(word));
}

/* What a source item says, into the entry's shared fields. Returns the item's size. */
static size_t read_source(const char *at, struct logring_entry *e)
{
	uint32_t word = load_word(at);
	struct source_head head;
	memcpy(&head, at + WORD_SIZE, sizeof(head));
	e->sec = (time_t)head.sec;
	e->pid = head.pid;
	e->service_len = (word >> 8) & 0xFFu;
	e->tag_len = word & 0xFFu;
	e->service = at + SOURCE_HEAD;
	e->tag = e->service + e->service_len;
	return SOURCE_HEAD + e->service_len + e->tag_len;
}

/* What a line item says, into the entry's own fields. Returns the item's size. */
static size_t read_line(const char *at, struct logring_entry *e)
{
	uint32_t word = load_word(at);
	e->text_len = word & 0xFFFFu;
	e->cut = (word >> 16) & 1u;
	e->text = at + WORD_SIZE;
	return WORD_SIZE + e->text_len;
}

/* The source the run's lines need, as stored; its fields, capped. */
struct source {
	int64_t sec;
	int32_t pid;
	const char *service, *tag;
	size_t service_len, tag_len;
};

static void source_of(const struct log_record *run, struct source *src)
{
	src->sec = (int64_t)run->time.tv_sec;
	src->pid = (int32_t)run->pid;
	src->service = run->service;
	src->tag = run->tag;
	src->service_len = capped_len(run->service, run->service_len, LOGRING_SERVICE_MAX);
	src->tag_len = capped_len(run->tag, run->tag_len, LOGRING_TAG_MAX);
}

static bool same_source(const struct chunk *chunk, const struct source *src)
{
	if (chunk->source == NO_SOURCE)
		return false;
	struct logring_entry stored;
	read_source(chunk->data + chunk->source, &stored);
	/* (a missing service or tag is NULL with length 0: memcmp must not see it) */
	return stored.sec == src->sec && stored.pid == src->pid &&
	       stored.service_len == src->service_len && stored.tag_len == src->tag_len &&
	       (src->service_len == 0 ||
		memcmp(stored.service, src->service, src->service_len) == 0) &&
	       (src->tag_len == 0 || memcmp(stored.tag, src->tag, src->tag_len) == 0);
}

static void put_source(struct chunk *chunk, const struct source *src)
{
	char *at = chunk->data + chunk->used;
	store_word(at,
		   KIND_SOURCE << 24 | (uint32_t)src->service_len << 8 | (uint32_t)src->tag_len);
	struct source_head head = {.sec = src->sec, .pid = src->pid};
	memcpy(at + WORD_SIZE, &head, sizeof(head));
	if (src->service_len)
		memcpy(at + SOURCE_HEAD, src->service, src->service_len);
	if (src->tag_len)
		memcpy(at + SOURCE_HEAD + src->service_len, src->tag, src->tag_len);
	chunk->source = chunk->used;
	chunk->used += (uint32_t)(SOURCE_HEAD + src->service_len + src->tag_len);
}

/* The chunk to add a line of len bytes to, with the run's source current in it; NULL when
 * there is no memory and nothing to reuse. */
static struct chunk *chunk_for(struct logring *ring, const struct source *src, size_t len)
{
	struct chunk *chunk = ring->newest;
	size_t source_size = SOURCE_HEAD + src->service_len + src->tag_len;
	bool same = chunk && same_source(chunk, src);
	size_t need = WORD_SIZE + len + (same ? 0 : source_size);
	if (!chunk || chunk->used + need > CHUNK_DATA) {
		chunk = next_chunk(ring, ring->next_seq);
		same = false;
	}
	if (chunk && !same)
		put_source(chunk, src);
	return chunk;
}

static inline void copy_bytes(char *dst, const char *src, size_t len)
{
	/* The empty asm hides len's bound (it is capped) from the compiler: for a bounded length
	 * gcc inlines `rep movsq`, whose start-up cost on a short line is several times libc's
	 * memcpy. */
	__asm__("" : "+r"(len));
	if (len)
		memcpy(dst, src, len);
}

void logring_add_run(struct logring *ring, const struct log_record *run,
		     const struct log_line *lines, size_t n)
{
	struct source src;
	source_of(run, &src);
	struct chunk *chunk = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t len = lines[i].text ? lines[i].len : 0;
		bool cut = len > LOGRING_TEXT;
		if (cut)
			len = LOGRING_TEXT;
		if (!chunk || chunk->used + WORD_SIZE + len > CHUNK_DATA)
			chunk = chunk_for(ring, &src, len);
		if (!chunk)
			return; /* no memory and nothing to reuse: the records are not kept */
		char *at = chunk->data + chunk->used;
		store_word(at, KIND_LINE << 24 | (uint32_t)cut << 16 | (uint32_t)len);
		copy_bytes(at + WORD_SIZE, lines[i].text, len);
		chunk->used += (uint32_t)(WORD_SIZE + len);
		chunk->count++;
		uint64_t seq = ring->next_seq++;
		if (ring->on_entry) {
			struct logring_entry e = {.seq = seq};
			read_source(chunk->data + chunk->source, &e);
			read_line(at, &e);
			ring->on_entry(&e, ring->arg);
		}
	}
}

void logring_add(struct logring *ring, const struct log_record *record)
{
	struct log_line line = log_line_of(record);
	logring_add_run(ring, record, &line, 1);
}

void logring_visit(const struct logring *ring, logring_fn *fn, void *arg)
{
	uint64_t visible = ring->next_seq > LOGRING_RECORDS ? ring->next_seq - LOGRING_RECORDS : 1;
	for (size_t i = 0; i < ring->nchunks; i++) {
		const struct chunk *chunk = ring->chunks[(ring->first + i) % LOGRING_CHUNKS];
		if (chunk->first_seq + chunk->count <= visible)
			continue;
		struct logring_entry e = {.seq = chunk->first_seq};
		for (size_t offset = 0; offset < chunk->used;) {
			const char *at = chunk->data + offset;
			if (load_word(at) >> 24 == KIND_SOURCE) {
				offset += read_source(at, &e);
				continue;
			}
			offset += read_line(at, &e);
			if (e.seq >= visible)
				fn(&e, arg);
			e.seq++;
		}
	}
}

uint64_t logring_count(const struct logring *ring)
{
	return ring->next_seq - 1;
}

/* strftime is the costly part of a line; `logs` prints runs of records from the same second. */
static const char *stamp_of(time_t sec)
{
	static time_t cached_sec = -1;
	static char cached[32];
	if (sec != cached_sec) {
		struct tm tm;
		if (!localtime_r(&sec, &tm) ||
		    strftime(cached, sizeof(cached), "%b %d %H:%M:%S", &tm) == 0)
			strcpy(cached, "-");
		cached_sec = sec;
	}
	return cached;
}

size_t logring_format(const struct logring_entry *e, char *line, size_t size)
{
	const char *tag = e->tag_len ? e->tag : "-";
	int tag_len = e->tag_len ? (int)e->tag_len : 1;
	int n;
	if (e->pid)
		n = snprintf(line, size, "%s %.*s[%d]: %.*s", stamp_of(e->sec), tag_len, tag,
			     (int)e->pid, (int)e->text_len, e->text);
	else
		n = snprintf(line, size, "%s %.*s: %.*s", stamp_of(e->sec), tag_len, tag,
			     (int)e->text_len, e->text);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len >= size) {
		len = size - 1;
		memcpy(line + len - 3, "...", 4);
	}
	/* one line per entry: a stray newline in the text would break `logs` output */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	return len;
}

static bool same(const char *s, size_t len, const char *name, size_t name_len)
{
	return len == name_len && memcmp(s, name, len) == 0;
}

bool logring_entry_matches(const struct logring_entry *entry, char *const *names, size_t nnames)
{
	if (nnames == 0)
		return true;
	static const char suffix[] = ".service";
	const size_t suffix_len = sizeof(suffix) - 1;
	for (size_t i = 0; i < nnames; i++) {
		const char *name = names[i];
		size_t len = strlen(name);
		if (same(entry->service, entry->service_len, name, len) ||
		    same(entry->tag, entry->tag_len, name, len))
			return true;
		if (entry->service_len == len + suffix_len &&
		    memcmp(entry->service, name, len) == 0 &&
		    memcmp(entry->service + len, suffix, suffix_len) == 0)
			return true;
	}
	return false;
}
