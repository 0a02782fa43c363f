/*
 * log_fallback.c — a minimal logger (weak symbols) so that the core links and runs while
 * src/log/ is incomplete: tend's messages go to stderr, captured service output is copied
 * line by line to stderr. The real logger in src/log/ overrides every function here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "log/log.h"

#define WEAK __attribute__((weak))

struct logger {
	struct loop *loop;
	int forced_level;
	bool debug;
};

struct log_capture {
	struct logger *logger;
	int fd;
	char tag[64];
	pid_t pid;
	char buf[4096];
	size_t len;
};

WEAK struct logger *logger_new(struct loop *loop, const struct logger_options *options)
{
	struct logger *logger = calloc(1, sizeof(*logger));
	if (logger) {
		logger->loop = loop;
		logger->forced_level = options->forced_level;
		logger->debug = options->debug;
	}
	return logger;
}

WEAK int logger_configure(struct logger *logger, const struct config *config)
{
	return 0;
}

WEAK void logger_emit(struct logger *logger, const struct log_record *r)
{
	fprintf(stderr, "%s[%d]: %.*s\n", r->tag ? r->tag : "?", (int)r->pid, (int)r->text_len, r->text);
}

WEAK void logger_flush(struct logger *logger, int timeout_ms)
{
	fflush(stderr);
}

WEAK void logger_free(struct logger *logger)
{
	free(logger);
}

static void vlog(struct logger *logger, int severity, const char *fmt, va_list ap)
{
	int threshold = logger && logger->debug ? LOG_SEVERITY_DEBUG : LOG_SEVERITY_INFO;
	if (severity > threshold)
		return;
	char text[1024];
	vsnprintf(text, sizeof(text), fmt, ap);
	fprintf(stderr, "tend[%d]: %s\n", (int)getpid(), text);
}

WEAK void tend_log(struct logger *logger, int severity, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(logger, severity, fmt, ap);
	va_end(ap);
}

WEAK void tend_log_facility(struct logger *logger, int facility, int severity, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(logger, severity, fmt, ap);
	va_end(ap);
}

static void capture_line(struct log_capture *c, const char *line, size_t len)
{
	if (len)
		fprintf(stderr, "%s[%d]: %.*s\n", c->tag, (int)c->pid, (int)len, line);
}

static void capture_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct log_capture *c = arg;
	for (;;) {
		ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			char *start = c->buf, *nl;
			while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf)))) {
				capture_line(c, start, (size_t)(nl - start));
				start = nl + 1;
			}
			c->len -= (size_t)(start - c->buf);
			memmove(c->buf, start, c->len);
			if (c->len == sizeof(c->buf)) {
				capture_line(c, c->buf, c->len);
				c->len = 0;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		capture_line(c, c->buf, c->len);
		c->len = 0;
		loop_del_fd(loop, fd);
		close(fd);
		c->fd = -1;
		return;
	}
}

WEAK struct log_capture *log_capture_new(struct logger *logger, int fd, const char *service,
					 const char *tag, pid_t pid, enum log_origin origin,
					 log_capture_eof_fn *on_eof, void *arg)
{
	struct log_capture *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->logger = logger;
	c->fd = fd;
	c->pid = pid;
	snprintf(c->tag, sizeof(c->tag), "%s", tag ? tag : "?");
	loop_add_fd(logger->loop, fd, EPOLLIN, capture_readable, c);
	return c;
}

WEAK void log_capture_set_pid(struct log_capture *capture, pid_t pid)
{
	capture->pid = pid;
}

WEAK void log_capture_free(struct log_capture *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		loop_del_fd(c->logger->loop, c->fd);
		close(c->fd);
	}
	free(c);
}

WEAK void logger_force_level(struct logger *logger, int severity)
{
	logger->forced_level = severity;
}

WEAK int logger_forced_level(const struct logger *logger)
{
	return logger->forced_level;
}

WEAK void logger_get_stats(const struct logger *logger, struct logger_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
}
