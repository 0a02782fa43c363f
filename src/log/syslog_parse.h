/*
 * syslog_parse.h — one syslog message (RFC 3164 or RFC 5424) -> a log record. Pure: no I/O,
 * no allocation. Never rejects input: whatever cannot be parsed is kept as the record's text
 * with facility user and severity notice (RFC 3164's default for a message without <PRI>).
 */
#ifndef TEND_LOG_SYSLOG_PARSE_H
#define TEND_LOG_SYSLOG_PARSE_H

#include <stddef.h>

#include "log/record.h"

/* NUL-terminated copies of the short fields; the record points into it. */
struct syslog_parsed {
	char hostname[256];
	char tag[129];
	char msgid[33];
};

enum syslog_format {
	SYSLOG_MALFORMED = -1, /* no valid <PRI>: the whole input is the text */
	SYSLOG_RFC3164 = 0,    /* <PRI> then an optional BSD header */
	SYSLOG_RFC5424 = 1,
};

/* Fills facility, severity, hostname, tag (tag_len 0), pid, msgid, structured_data, text and
 * raw of record; text, raw and structured_data point into buf, the rest into scratch. The caller
 * sets time, origin and service. buf need not be NUL-terminated. */
enum syslog_format syslog_parse(const char *buf, size_t len, struct syslog_parsed *scratch,
				struct log_record *record);

#endif
