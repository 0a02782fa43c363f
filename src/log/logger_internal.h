/*
 * logger_internal.h — what the files of src/log share behind log.h: the logger itself, the
 * routes, and the list of sources held back while an output catches up.
 */
#ifndef TEND_LOG_LOGGER_INTERNAL_H
#define TEND_LOG_LOGGER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "log/log.h"
#include "log/sink.h"

struct selector;
struct syslogd;

/* A source that can wait (a service pipe, a syslog stream connection). When a record it
 * emitted left an output congested, it stops reading and registers here; when outputs drain,
 * resume() is called and it reads again (or re-registers). */
struct log_source {
	void (*resume)(struct log_source *source);
	struct log_source *next_paused;
	bool paused;
};

/* A source whose records all share facility, severity, tag and service (a service pipe)
 * keeps the outputs its records go to, valid while the routes stay the same (generation). */
#define ROUTE_CACHE_SINKS 8
struct route_cache {
	uint64_t generation;
	bool valid;
	size_t nsinks;
	struct sink *sinks[ROUTE_CACHE_SINKS];
};

struct route {
	struct selector *selector;
	struct sink **sinks; /* shared with other routes; owned by logger->sinks */
	size_t nsinks;
};

struct logger {
	struct loop *loop;
	struct logger_options options;
	int forced_level;
	char hostname[256];
	bool configured;

	struct route *routes;
	size_t nroutes;
	struct sink **sinks; /* every sink, once */
	size_t nsinks;
	struct sink *fallback;	   /* stderr, bare text: before configure */
	uint64_t route_generation; /* changes whenever routes or the forced level change */
	bool routes_read_text;	   /* some selector has a /regex/: decide line by line */

	struct log_source *paused;    /* singly linked through next_paused */
	struct log_capture *captures; /* every live capture (doubly linked) */
	struct syslogd *syslogd;

	int batch_depth; /* > 0: sinks are written at batch end, not per record */
	bool flushing;	 /* logger_flush: sinks drain synchronously when full */
	uint64_t flush_deadline_ms;
	struct loop_timer report_timer; /* drop and failure reports, at most once a second */
	struct loop_timer resume_timer; /* wakes held-back sources after an output drained */

	logger_tap_fn *tap; /* sees every record (tendctl logs) */
	void *tap_arg;

	logger_expand_fn *expand;
	void *expand_arg;

	struct logger_stats stats;
};

/* Route one record. Returns true when an output it went to is now congested (a pausable
 * source should stop reading until resumed). */
bool logger_route(struct logger *logger, const struct log_record *record, enum sink_source source);
/* The same for a run of records (struct log_line) from a source whose records all share
 * facility, severity, tag and service: its outputs are kept in cache. */
bool logger_route_run(struct logger *logger, const struct log_record *run,
		      const struct log_line *lines, size_t n, enum sink_source source,
		      struct route_cache *cache);
/* Sources batch their records: sinks are written once at the end of a batch. */
void logger_batch_begin(struct logger *logger);
void logger_batch_end(struct logger *logger);
void logger_pause_source(struct logger *logger, struct log_source *source);
/* Forget a source (it is going away). */
void logger_unpause_source(struct logger *logger, struct log_source *source);
/* Called by a sink whose buffer fell below its limit: wakes held-back sources. */
void logger_sink_drained(struct logger *logger);
/* Called by a sink that has something to report (drops, errors): reported from a timer. */
void logger_sink_has_report(struct logger *logger);
/* The sink's report, if any, as text; clears it. Returns false when there is none. */
bool sink_take_report(struct sink *sink, char *text, size_t size, int *severity);

/* router.c: build routes and sinks from the *.logging sections; free them. */
int router_configure(struct logger *logger, const struct config *config);
void router_clear(struct logger *logger);

/* capture.c: read everything still readable (shutdown), free all. */
void log_capture_drain_all(struct logger *logger);
void log_capture_free_all(struct logger *logger);

/* syslogd.c */
struct syslogd *syslogd_open(struct logger *logger, const char *dgram_path,
			     const char *stream_path);
void syslogd_close(struct syslogd *syslogd);
/* Whether the server listens on exactly these paths (NULL: none). */
bool syslogd_same_paths(const struct syslogd *syslogd, const char *dgram_path,
			const char *stream_path);
/* Shutdown: read what the datagram socket still queues (bounded). */
void syslogd_drain(struct syslogd *syslogd);

#endif
