/*
 * format.h — one record -> one output line. Pure (apart from reading the local time zone).
 *
 *   text          chaperone's line: "Mmm dd hh:mm:ss host tag[pid]: message", with
 *                 "facility.severity " in front when extended
 *   json          one object: time (ms and zone), host, facility, severity, tag, pid, service,
 *                 stream, message (+ msgid, structured_data, partial, truncated when set)
 *   pidzero-json  pidzero's {timestamp, source, loglevel, logtext} plus stream and pid
 *   pidzero-map   pidzero's "{ loglevel => INFO , logtext => ..., timestamp => ..., source => ...
 * }" rfc3164       "<PRI>" + the text line without extended prefix (remote syslog)
 *
 * Lines carry no trailing newline; stream outputs add it, datagram outputs do not.
 */
#ifndef TEND_LOG_FORMAT_H
#define TEND_LOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "log/record.h"

enum log_format_kind {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
	LOG_FORMAT_PIDZERO_JSON,
	LOG_FORMAT_PIDZERO_MAP,
	LOG_FORMAT_RFC3164,
	LOG_FORMAT_PLAIN,
};

/* The broken-down local time of one second, kept so that formatting a million lines does
 * not call localtime_r a million times. */
struct log_time_cache {
	time_t second;
	bool valid;
	char bsd[16]; /* "Nov 27 12:28:12" */
	char iso[20]; /* "2026-11-27T12:28:12" */
	char zone[7]; /* "+01:00" */
};

struct log_format {
	enum log_format_kind kind;
	bool extended;
	const char *hostname;	      /* logrec_hostname, or NULL */
	const char *default_hostname; /* gethostname() */
	size_t hostname_len;	      /* optional lengths of the two above (0: not known) */
	size_t default_hostname_len;
	struct log_time_cache time_cache;
	/* The decimal text of the last pid written: one service's lines all carry the same. */
	unsigned long cached_pid; /* 0: none yet */
	unsigned char cached_pid_len;
	char cached_pid_text[23];
};

/* "text", "json", "pidzero-json", "pidzero-map" (NULL = text). -1 when unknown. */
int log_format_kind_from_name(const char *name);

/* An upper bound of the bytes log_format_write() needs for this record. */
size_t log_format_bound(const struct log_format *format, const struct log_record *record);
/* Writes the line (no newline, no NUL) into out, which has log_format_bound() bytes.
 * Returns the length written. */
size_t log_format_write(struct log_format *format, const struct log_record *record, char *out);

/* The text format's line is a prefix that a run of records shares ("Mmm dd hh:mm:ss host
 * tag[pid]: ", with "facility.severity " in front when extended), the text as it is, and a
 * tail that depends on the record's flags. Writes the prefix of run's records into out and
 * returns its length; 0 when the format is not text or the prefix needs more than size
 * bytes (the caller then formats record by record). */
size_t log_format_text_prefix(struct log_format *format, const struct log_record *run, char *out,
			      size_t size);
/* The most log_format_text_tail writes. */
#define LOG_FORMAT_TAIL_MAX 16
/* Writes the tail of a text line with these LOG_RECORD_* flags; returns the end. */
char *log_format_text_tail(char *out, unsigned flags);

#endif
