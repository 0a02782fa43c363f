/*
 * notify_parse.h — the sd_notify(3) datagram format, parsed without side effects so that it
 * can be unit-tested and fuzzed apart from the socket that receives it (notify.c).
 *
 * A message is newline-separated "KEY=VALUE" assignments. The keys tend acts on:
 *   READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, WATCHDOG=trigger, STATUS=text,
 *   MAINPID=n, ERRNO=n, BUSERROR=name, WATCHDOG_USEC=n, EXTEND_TIMEOUT_USEC=n.
 * Other well-formed assignments (FDSTORE=1, MONOTONIC_USEC=...) are counted as unknown and
 * ignored, as systemd does. A line without '=' or with an empty key, or a known key with a
 * value it does not accept, counts as invalid (the first one is described in `error`); the
 * rest of the message is still used. A datagram containing a NUL byte is rejected whole.
 */
#ifndef TEND_SVC_NOTIFY_PARSE_H
#define TEND_SVC_NOTIFY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Datagrams longer than this are dropped by the receiver (systemd uses a page too). */
#define NOTIFY_MESSAGE_MAX 4096

struct notify_message {
	bool ready;	       /* READY=1 */
	bool reloading;	       /* RELOADING=1 */
	bool stopping;	       /* STOPPING=1 */
	bool watchdog;	       /* WATCHDOG=1: keep-alive ping */
	bool watchdog_trigger; /* WATCHDOG=trigger: fail as if the watchdog expired */
	const char *status;    /* STATUS= value, not NUL-terminated (points into the input) */
	size_t status_len;
	pid_t mainpid; /* MAINPID=n, 0 when absent */
	bool has_errno;
	int errno_value;      /* ERRNO=n (0..INT_MAX) */
	const char *buserror; /* BUSERROR= value, not NUL-terminated */
	size_t buserror_len;
	bool has_watchdog_usec;
	uint64_t watchdog_usec; /* WATCHDOG_USEC=n: change (0: disable) the watchdog */
	bool has_extend_usec;
	uint64_t extend_usec; /* EXTEND_TIMEOUT_USEC=n: more time before READY=1 */
	unsigned known;	      /* assignments understood */
	unsigned unknown;     /* well-formed assignments of other keys */
	unsigned invalid;     /* malformed lines or bad values */
	char error[96];	      /* the first invalid line, described */
};

/* Parses one datagram. 0 on success (even with invalid lines; see msg->invalid); -1 when the
 * datagram is unusable (empty or containing NUL), with msg->error set. Later assignments of a
 * key win, as in systemd. */
int notify_parse(const char *data, size_t len, struct notify_message *msg);

#endif
