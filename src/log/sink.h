/*
 * sink.h — one output (a file, tend's stdout or stderr, a remote syslog server) with its
 * format and its bounded buffer. Sinks never block: lines are formatted into the buffer and
 * written when the fd can take them (files at once, pipes and sockets on EPOLLOUT).
 *
 * Bounds: above SINK_SOFT_LIMIT buffered bytes a sink is "congested": sources that can wait
 * (service pipes, syslog streams) are held back, datagrams are dropped and counted. Above
 * SINK_HARD_LIMIT everything is dropped and counted. A sink that fails (ENOSPC, EIO, EPIPE,
 * a lost connection) reports once, drops and counts instead of holding sources back, and
 * retries every SINK_RETRY_MS; the counts are reported in one record when it can write again.
 */
#ifndef TEND_LOG_SINK_H
#define TEND_LOG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log/format.h"
#include "log/record.h"

#define SINK_SOFT_LIMIT (256u * 1024u)
#define SINK_HARD_LIMIT (1024u * 1024u)
#define SINK_RETRY_MS	5000
/* A file that may have been renamed or deleted is checked at most this often. */
#define SINK_REOPEN_CHECK_MS 1000

struct logger;
struct sink;

enum sink_kind { SINK_STDOUT, SINK_STDERR, SINK_FILE, SINK_REMOTE };

/* How a source reacts to a full sink: held back (capture, stream), dropped (datagram). */
enum sink_source { SINK_SOURCE_PAUSABLE, SINK_SOURCE_DATAGRAM, SINK_SOURCE_INTERNAL };

struct sink_file_options {
	const char *path; /* strftime template */
	bool overwrite;
	uid_t uid;	  /* (uid_t)-1: leave */
	gid_t gid;	  /* (gid_t)-1: leave */
	long rotate_size; /* 0: off */
	int rotate_keep;
};

/* key identifies the target ("file:/x", "sys:stdout", "syslog_host:h"): chaperone shares one
 * output between sections naming the same target, the first section deciding its format. */
struct sink *sink_new_console(struct logger *logger, enum sink_kind kind,
			      const struct log_format *format);
struct sink *sink_new_file(struct logger *logger, const struct sink_file_options *options,
			   const struct log_format *format);
/* target: "host[:port]", "udp://host:port", "tcp://host:port", "[v6]:port". NULL on a bad
 * target (errno EINVAL) or a name that does not resolve. */
struct sink *sink_new_remote(struct logger *logger, const char *target,
			     const struct log_format *format);
void sink_free(struct sink *sink);

const char *sink_key(const struct sink *sink);

/* Appends one record. Returns true when the sink is congested afterwards (the source should
 * wait) — never for failing or remote sinks, which drop instead. */
bool sink_append(struct sink *sink, const struct log_record *record, enum sink_source source);
/* Appends a run of records (see struct log_line): the same as sink_append for each, but a
 * text output formats the run's shared prefix once. */
bool sink_append_run(struct sink *sink, const struct log_record *run, const struct log_line *lines,
		     size_t n, enum sink_source source);
/* Writes what it can without blocking. */
void sink_write_pending(struct sink *sink);
bool sink_congested(const struct sink *sink);
/* sink_congested(), and if so remember that a source waits for this sink to drain. */
bool sink_holds_sources(struct sink *sink);
/* Something to report (a failure, a recovery, dropped records)? */
bool sink_report_pending(const struct sink *sink);
size_t sink_pending(const struct sink *sink);
/* Make the next write check whether a file was renamed or deleted (shutdown: the last lines
 * must not go to a file logrotate already moved away). */
void sink_check_soon(struct sink *sink);
/* Shutdown: wait (poll) until everything is written or deadline_ms (loop_now_ms time). */
void sink_drain(struct sink *sink, uint64_t deadline_ms);

#endif
