/*
 * record.h — one log record, whatever it came from: a service's stdout/stderr line, a
 * /dev/log datagram, or tend's own message. Records are built on the stack by their source
 * and copied by whichever sink has to keep them (sinks own their bounded buffers).
 */
#ifndef TEND_LOG_RECORD_H
#define TEND_LOG_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* syslog facility and severity numbers (RFC 5424 table). */
enum {
	LOG_FACILITY_KERN = 0,
	LOG_FACILITY_USER = 1,
	LOG_FACILITY_DAEMON = 3,
	LOG_FACILITY_SYSLOG = 5,
	LOG_FACILITY_CRON = 9,
	LOG_FACILITY_LOCAL5 = 21
};
enum {
	LOG_SEVERITY_EMERG = 0,
	LOG_SEVERITY_ALERT,
	LOG_SEVERITY_CRIT,
	LOG_SEVERITY_ERR,
	LOG_SEVERITY_WARNING,
	LOG_SEVERITY_NOTICE,
	LOG_SEVERITY_INFO,
	LOG_SEVERITY_DEBUG
};

enum log_origin {
	LOG_ORIGIN_TEND,   /* tend's own messages */
	LOG_ORIGIN_STDOUT, /* a service's stdout */
	LOG_ORIGIN_STDERR, /* a service's stderr */
	LOG_ORIGIN_SYSLOG  /* /dev/log */
};

struct log_record {
	struct timespec time; /* CLOCK_REALTIME when received */
	int facility;
	int severity;
	const char *hostname; /* from the message, or NULL */
	const char *tag;      /* program / service short name, may be NULL */
	pid_t pid;	      /* 0 when unknown */
	const char *service;  /* "foo.service" for captured output, else NULL */
	enum log_origin origin;
	const char *msgid;	     /* RFC 5424, or NULL */
	const char *structured_data; /* RFC 5424, verbatim, or NULL (not NUL-terminated) */
	size_t structured_data_len;
	const char *text; /* the message, not NUL-terminated necessarily */
	size_t text_len;
	const char *raw; /* the whole datagram as received (for /regex/ selectors) */
	size_t raw_len;
	unsigned flags; /* LOG_RECORD_* below */
	/* Optional: the lengths of tag and service when the source knows them (0: not known,
	 * strlen is used). Service pipes set them; they save two strlen per line. */
	size_t tag_len;
	size_t service_len;
};

/* One record of a run: records that share everything but their text and flags (the lines of
 * one read of a service pipe). The run's template record gives the other fields; handing a
 * run over at once lets outputs format the shared part once (see log_format_text_prefix). */
struct log_line {
	const char *text;
	uint32_t len;
	uint32_t flags; /* LOG_RECORD_* */
};

/* Record i of a run is the run's template with lines[i] put in. */
static inline void log_record_set_line(struct log_record *record, const struct log_line *line)
{
	record->text = line->text;
	record->text_len = line->len;
	record->flags = line->flags;
}

/* A single record as a run of one. */
static inline struct log_line log_line_of(const struct log_record *record)
{
	return (struct log_line){record->text, (uint32_t)record->text_len, record->flags};
}

/* The record is one piece of a longer line: its text continues in the next record. */
#define LOG_RECORD_CONTINUED 0x1u
/* The input was longer than tend's bound and the rest could not be read (syslog datagrams). */
#define LOG_RECORD_TRUNCATED 0x2u

#endif
