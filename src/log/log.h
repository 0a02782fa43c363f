/*
 * log.h — the logging system as the rest of tend sees it: one place to hand records to
 * (logger_emit), tend's own messages (tend_log, facility local5), captured service output
 * (log_capture_*) and the built-in syslog server. Routing to sinks through selectors, formats,
 * bounded buffers and drop accounting all live behind this header.
 */
#ifndef TEND_LOG_LOG_H
#define TEND_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log/record.h"

struct loop;
struct config;
struct logger;
struct log_capture;

struct logger_options {
	int forced_level;    /* --log-level: -1 when not set */
	bool no_console_log; /* --no-console-log */
	bool debug;	     /* --debug */
	bool enable_syslog;  /* open /dev/log (settings.enable_syslog and not --no-syslog) */
	const char *program; /* tag for tend's own messages, e.g. "tend" */
};

/* Before logger_configure() is called, every record goes to stderr as a plain line. */
struct logger *logger_new(struct loop *loop, const struct logger_options *options);
/* Apply the *.logging sections (and open /dev/log). Returns 0, or -1 after logging why. */
int logger_configure(struct logger *logger, const struct config *config);
void logger_emit(struct logger *logger, const struct log_record *record);
/* Write out everything buffered, waiting at most timeout_ms for slow outputs. */
void logger_flush(struct logger *logger, int timeout_ms);
void logger_free(struct logger *logger);

/* How chaperone's $(...) fields of *.logging sections (selector, file, enabled,
 * logrec_hostname, syslog_host) are expanded: by default against the settings environment
 * (conf/env.h, backticks not run). An expander returns a malloc'd string. */
typedef char *logger_expand_fn(const char *text, void *arg);
void logger_set_expander(struct logger *logger, logger_expand_fn *fn, void *arg);

/* tend's own messages: facility local5 (or the given facility), tag = program name. */
void tend_log(struct logger *logger, int severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tend_log_facility(struct logger *logger, int facility, int severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read lines from a service's pipe (the read end, non-blocking) and emit them as
 * daemon.info (stdout) or daemon.warning (stderr). The capture owns fd and closes it at EOF,
 * after flushing a last partial line; on_eof (may be NULL) is then called. */
typedef void log_capture_eof_fn(struct log_capture *capture, void *arg);
struct log_capture *log_capture_new(struct logger *logger, int fd, const char *service,
				    const char *tag, pid_t pid, enum log_origin origin,
				    log_capture_eof_fn *on_eof, void *arg);
void log_capture_set_pid(struct log_capture *capture, pid_t pid);
/* Read what the pipe holds right now (bounded, never waits) and log its complete lines:
 * call it when the service's process exited, before logging that it did, so its last lines
 * come before the exit message. Does nothing while outputs hold the capture back. */
void log_capture_read_available(struct log_capture *capture);
void log_capture_free(struct log_capture *capture);

/* --log-level / tendctl loglevel: -1 clears. */
void logger_force_level(struct logger *logger, int severity);
int logger_forced_level(const struct logger *logger);

struct logger_stats {
	uint64_t records; /* records emitted */
	uint64_t written; /* records written to at least one sink */
	uint64_t dropped; /* records dropped (all sinks, all causes) */
};
void logger_get_stats(const struct logger *logger, struct logger_stats *stats);

/* A tap sees every record the logger routes, whatever its selectors say (tendctl logs keeps
 * a ring of them). One tap per logger; fn NULL removes it. Called synchronously from the
 * routing path: copy what you keep, never block, never log from inside it. It gets runs of
 * records (struct log_line): record i is `run` with lines[i]'s text, length and flags; a
 * single record comes as a run of one. (src/ctl/ references it weakly, so that the control
 * face links without the logger.) */
typedef void logger_tap_fn(const struct log_record *run, const struct log_line *lines, size_t n,
			   void *arg);
void logger_set_tap(struct logger *logger, logger_tap_fn *fn, void *arg);

#endif
