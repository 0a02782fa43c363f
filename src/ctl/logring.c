/*
 * logring.c — the in-memory ring of recent log records (see logring.h).
 *
 * Layout: a queue of chunks, oldest first. A chunk holds whole records one after the other
 * (a record never spans two chunks): a fixed header, then the service, tag and text bytes,
 * padded to 8. Adding a record is two bounded memcpy; nothing is formatted until a reader
 * asks. Chunks are allocated only when the newest is full, so a quiet tend holds one.
 */
#include "ctl/logring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	uint64_t first_seq; /* seq of its first record */
	uint32_t count;	    /* records in it */
	uint32_t used;	    /* bytes of data used */
	char data[];	    /* records, each 8-aligned */
};

struct record_head {
	int64_t sec;
	int32_t pid;
	uint16_t text_len;
	uint8_t service_len;
	uint8_t tag_len;
	uint8_t cut;
};

#define CHUNK_DATA (LOGRING_CHUNK - sizeof(struct chunk))
#define ALIGN8(n)  (((n) + 7u) & ~(size_t)7u)
#define RECORD_MAX                                                                                 \
	ALIGN8(sizeof(struct record_head) + LOGRING_SERVICE_MAX + LOGRING_TAG_MAX + LOGRING_TEXT)

_Static_assert(RECORD_MAX <= CHUNK_DATA, "a chunk must hold the largest record");
_Static_assert(sizeof(struct chunk) % 8 == 0 && sizeof(struct record_head) % 8 == 0,
	       "records are 8-aligned");
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

/* A fresh chunk at the end of the queue for records from seq on: the oldest one is reused
 * once all its records are out of sight (or when the queue is full), else one is allocated. */
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

static inline void copy_bytes(char *dst, const char *src, size_t len)
{
	/* The empty asm hides len's bound (it is capped above) from the compiler: for a bounded
	 * length gcc inlines `rep movsq`, whose start-up cost on a short line is several times
	 * libc's memcpy, and was most of the cost of adding a record. */
	__asm__("" : "+r"(len));
	if (len)
		memcpy(dst, src, len);
}

/* The entry stored at data (a record_head and its bytes); returns the record's size. */
static size_t read_record(const char *data, uint64_t seq, struct logring_entry *e)
{
	const struct record_head *head = (const struct record_head *)(const void *)data;
	const char *bytes = data + sizeof(*head);
	*e = (struct logring_entry){
	    .seq = seq,
	    .sec = (time_t)head->sec,
	    .pid = head->pid,
	    .service = bytes,
	    .service_len = head->service_len,
	    .tag = bytes + head->service_len,
	    .tag_len = head->tag_len,
	    .text = bytes + head->service_len + head->tag_len,
	    .text_len = head->text_len,
	    .cut = head->cut,
	};
	return ALIGN8(sizeof(*head) + head->service_len + head->tag_len + head->text_len);
}

void logring_add(struct logring *ring, const struct log_record *record)
{
	size_t service_len = capped_len(record->service, record->service_len, LOGRING_SERVICE_MAX);
	size_t tag_len = capped_len(record->tag, record->tag_len, LOGRING_TAG_MAX);
	size_t text_len = record->text ? record->text_len : 0;
	bool cut = text_len > LOGRING_TEXT;
	if (cut)
		text_len = LOGRING_TEXT;
	size_t size = ALIGN8(sizeof(struct record_head) + service_len + tag_len + text_len);

	uint64_t seq = ring->next_seq;
	struct chunk *chunk = ring->newest;
	if (!chunk || chunk->used + size > CHUNK_DATA)
		chunk = next_chunk(ring, seq);
	if (!chunk)
		return; /* no memory and nothing to reuse: the record is not kept */
	char *at = chunk->data + chunk->used;
	/* fields stored in place: a header built on the stack and copied whole costs a
	 * store-forwarding stall per record (small stores, then one wide load) */
	struct record_head *head = (struct record_head *)(void *)at; /* records are 8-aligned */
	head->sec = (int64_t)record->time.tv_sec;
	head->pid = (int32_t)record->pid;
	head->text_len = (uint16_t)text_len;
	head->service_len = (uint8_t)service_len;
	head->tag_len = (uint8_t)tag_len;
	head->cut = cut;
	char *bytes = at + sizeof(*head);
	copy_bytes(bytes, record->service, service_len);
	copy_bytes(bytes + service_len, record->tag, tag_len);
	copy_bytes(bytes + service_len + tag_len, record->text, text_len);
	chunk->used += (uint32_t)size;
	chunk->count++;
	ring->next_seq++;
	if (ring->on_entry) {
		struct logring_entry e;
		read_record(at, seq, &e);
		ring->on_entry(&e, ring->arg);
	}
}

void logring_visit(const struct logring *ring, logring_fn *fn, void *arg)
{
	uint64_t visible = ring->next_seq > LOGRING_RECORDS ? ring->next_seq - LOGRING_RECORDS : 1;
	for (size_t i = 0; i < ring->nchunks; i++) {
		const struct chunk *chunk = ring->chunks[(ring->first + i) % LOGRING_CHUNKS];
		if (chunk->first_seq + chunk->count <= visible)
			continue;
		size_t offset = 0;
		for (uint32_t k = 0; k < chunk->count; k++) {
			struct logring_entry e;
			offset += read_record(chunk->data + offset, chunk->first_seq + k, &e);
			if (e.seq >= visible)
				fn(&e, arg);
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
