/*
 * logger.c — the logger's life (new, configure, flush, free), tend's own messages, batching,
 * holding sources back and waking them, and the deferred reports of drops and failures.
 *
 * Reports and wake-ups run from timers rather than from inside a sink's write path, so a
 * sink never finds itself appending a record while it is in the middle of writing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "log/logger_internal.h"

#define REPORT_DELAY_MS 1000
#define OWN_MESSAGE_MAX 8192

static void report_timer_fired(struct loop *loop, void *arg);
static void resume_timer_fired(struct loop *loop, void *arg);

struct logger *logger_new(struct loop *loop, const struct logger_options *options)
{
	struct logger *logger = calloc(1, sizeof(*logger));
	if (!logger)
		return NULL;
	logger->loop = loop;
	logger->options = *options;
	if (!logger->options.program)
		logger->options.program = "tend";
	logger->forced_level = options->forced_level;
	if (gethostname(logger->hostname, sizeof(logger->hostname) - 1) < 0)
		strcpy(logger->hostname, "localhost");
	tzset();
	loop_timer_init(&logger->report_timer, report_timer_fired, logger);
	loop_timer_init(&logger->resume_timer, resume_timer_fired, logger);
	struct log_format plain = {.kind = LOG_FORMAT_PLAIN, .default_hostname = logger->hostname};
	logger->fallback = sink_new_console(logger, SINK_STDERR, &plain);
	return logger;
}

void logger_set_expander(struct logger *logger, logger_expand_fn *fn, void *arg)
{
	logger->expand = fn;
	logger->expand_arg = arg;
}

int logger_configure(struct logger *logger, const struct config *config)
{
	int rc = router_configure(logger, config);
	logger->configured = true;
	const char *path = NULL, *stream = NULL;
	if (logger->options.enable_syslog) {
		path = config->settings.syslog_socket ? config->settings.syslog_socket : "/dev/log";
		stream = config->settings.syslog_stream_socket;
	}
	/* A reload that keeps the sockets keeps them open: nothing queued in them is lost. */
	if (logger->syslogd && !syslogd_same_paths(logger->syslogd, path, stream)) {
		syslogd_close(logger->syslogd);
		logger->syslogd = NULL;
	}
	if (path && !logger->syslogd)
		logger->syslogd = syslogd_open(logger, path, stream);
	return rc;
}

void logger_emit(struct logger *logger, const struct log_record *record)
{
	logger_route(logger, record, SINK_SOURCE_INTERNAL);
}

/* tend's own messages: what chaperone's Python logger level would let through. */
static int own_threshold(const struct logger *logger)
{
	if (logger->forced_level >= 0)
		return logger->forced_level;
	if (logger->options.debug)
		return LOG_SEVERITY_DEBUG;
	return logger->configured ? LOG_SEVERITY_INFO : LOG_SEVERITY_WARNING;
}

static void own_message(struct logger *logger, int facility, int severity, const char *fmt,
			va_list args)
{
	if (!logger || severity > own_threshold(logger))
		return;
	/* Most messages are short: a small buffer on the stack, the heap for long ones. */
	char small[512];
	char *text = small;
	va_list again;
	va_copy(again, args);
	int len = vsnprintf(small, sizeof(small), fmt, args);
	unsigned flags = 0;
	if (len >= (int)sizeof(small)) {
		size_t size = (size_t)len < OWN_MESSAGE_MAX ? (size_t)len + 1 : OWN_MESSAGE_MAX;
		char *big = malloc(size);
		if (big) {
			vsnprintf(big, size, fmt, again);
			text = big;
			flags = (size_t)len + 1 > size ? LOG_RECORD_TRUNCATED : 0;
			len = (int)strlen(big);
		} else {
			len = (int)sizeof(small) - 1;
			flags = LOG_RECORD_TRUNCATED;
		}
	}
	va_end(again);
	if (len < 0)
		return;
	struct log_record record = {
	    .facility = facility,
	    .severity = severity,
	    .tag = logger->options.program,
	    .pid = getpid(),
	    .origin = LOG_ORIGIN_TEND,
	    .text = text,
	    .text_len = (size_t)len,
	    .flags = flags,
	};
	clock_gettime(CLOCK_REALTIME, &record.time);
	logger_route(logger, &record, SINK_SOURCE_INTERNAL);
	if (text != small)
		free(text);
}

void tend_log(struct logger *logger, int severity, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	own_message(logger, LOG_FACILITY_LOCAL5, severity, fmt, args);
	va_end(args);
}

void tend_log_facility(struct logger *logger, int facility, int severity, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	own_message(logger, facility, severity, fmt, args);
	va_end(args);
}

void logger_force_level(struct logger *logger, int severity)
{
	logger->forced_level = severity < 0 ? -1 : severity;
	logger->route_generation++;
}

int logger_forced_level(const struct logger *logger)
{
	return logger->forced_level;
}

void logger_get_stats(const struct logger *logger, struct logger_stats *stats)
{
	*stats = logger->stats;
}

/* ---- batching ---- */

static void write_all_pending(struct logger *logger)
{
	for (size_t i = 0; i < logger->nsinks; i++)
		if (sink_pending(logger->sinks[i]))
			sink_write_pending(logger->sinks[i]);
	if (logger->fallback && sink_pending(logger->fallback))
		sink_write_pending(logger->fallback);
}

void logger_batch_begin(struct logger *logger)
{
	logger->batch_depth++;
}

void logger_batch_end(struct logger *logger)
{
	if (--logger->batch_depth == 0)
		write_all_pending(logger);
}

/* ---- holding sources back ---- */

void logger_pause_source(struct logger *logger, struct log_source *source)
{
	if (source->paused)
		return;
	source->paused = true;
	source->next_paused = logger->paused;
	logger->paused = source;
}

void logger_unpause_source(struct logger *logger, struct log_source *source)
{
	for (struct log_source **p = &logger->paused; *p; p = &(*p)->next_paused) {
		if (*p == source) {
			*p = source->next_paused;
			break;
		}
	}
	source->paused = false;
	source->next_paused = NULL;
}

static bool any_congested(struct logger *logger)
{
	for (size_t i = 0; i < logger->nsinks; i++)
		if (sink_holds_sources(logger->sinks[i]))
			return true;
	return false;
}

void logger_sink_drained(struct logger *logger)
{
	if (logger->paused && logger->loop && !loop_timer_armed(&logger->resume_timer))
		loop_timer_start(logger->loop, &logger->resume_timer, 0);
}

static void resume_timer_fired(struct loop *loop, void *arg)
{
	struct logger *logger = arg;
	struct log_source *list = logger->paused;
	logger->paused = NULL;
	while (list) {
		struct log_source *source = list;
		list = source->next_paused;
		source->paused = false;
		source->next_paused = NULL;
		source->resume(source);
		if (any_congested(logger)) {
			/* Put the rest back; the next drain wakes them. */
			while (list) {
				struct log_source *rest = list;
				list = rest->next_paused;
				rest->paused = false;
				logger_pause_source(logger, rest);
			}
		}
	}
}

/* ---- reports ---- */

void logger_sink_has_report(struct logger *logger)
{
	if (logger->loop && !loop_timer_armed(&logger->report_timer))
		loop_timer_start(logger->loop, &logger->report_timer, REPORT_DELAY_MS);
}

static bool report_sink(struct logger *logger, struct sink *sink)
{
	char text[512];
	int severity;
	while (sink_take_report(sink, text, sizeof(text), &severity))
		tend_log(logger, severity, "%s", text);
	return sink_report_pending(sink);
}

static void report_timer_fired(struct loop *loop, void *arg)
{
	struct logger *logger = arg;
	bool again = false;
	for (size_t i = 0; i < logger->nsinks; i++)
		again |= report_sink(logger, logger->sinks[i]);
	if (logger->fallback)
		again |= report_sink(logger, logger->fallback);
	if (again)
		logger_sink_has_report(logger);
}

/* ---- shutdown ---- */

void logger_flush(struct logger *logger, int timeout_ms)
{
	if (!logger)
		return;
	uint64_t deadline = loop_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	logger->flushing = true;
	logger->flush_deadline_ms = deadline;
	log_capture_drain_all(logger);
	syslogd_drain(logger->syslogd);
	for (size_t i = 0; i < logger->nsinks; i++) {
		sink_check_soon(logger->sinks[i]);
		sink_drain(logger->sinks[i], deadline);
	}
	/* Drops counted along the way are reported now, not lost with the process. */
	report_timer_fired(logger->loop, logger);
	for (size_t i = 0; i < logger->nsinks; i++)
		sink_drain(logger->sinks[i], deadline);
	if (logger->fallback)
		sink_drain(logger->fallback, deadline);
	logger->flushing = false;
}

void logger_free(struct logger *logger)
{
	if (!logger)
		return;
	if (logger->syslogd)
		syslogd_close(logger->syslogd);
	log_capture_free_all(logger);
	router_clear(logger);
	sink_free(logger->fallback);
	if (logger->loop) {
		loop_timer_stop(logger->loop, &logger->report_timer);
		loop_timer_stop(logger->loop, &logger->resume_timer);
	}
	free(logger);
}

void logger_set_tap(struct logger *logger, logger_tap_fn *fn, void *arg)
{
	logger->tap = fn;
	logger->tap_arg = arg;
}
