/*
 * syslogd.c — tend's built-in syslog server: the /dev/log datagram socket (path from
 * settings.syslog_socket / --syslog-socket), and an optional stream socket
 * (settings.syslog_stream_socket) for clients that frame messages with newlines or RFC 6587
 * octet counts. Both are created afresh (an old file is removed) with mode 0666 so that any
 * local process can log.
 *
 * Datagrams are read SYSLOG_BATCH at a time with recvmmsg, at most SYSLOG_ROUNDS batches per
 * wake-up, so a flood cannot starve the rest of the loop. A datagram arriving while one of
 * its outputs is congested cannot wait (the sender is gone), so that output drops it and
 * counts it; the count is reported later in one record. Stream connections can wait: like
 * service pipes, they are held back until outputs drain.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log/logger_internal.h"
#include "log/syslog_parse.h"

#define SYSLOG_MAX_MESSAGE    16384
#define SYSLOG_BATCH	      16
#define SYSLOG_ROUNDS	      4
#define SYSLOG_MAX_STREAMS    64
#define SYSLOG_RECEIVE_BUFFER (4 * 1024 * 1024)

struct syslog_conn {
	struct log_source source; /* first */
	struct syslogd *server;
	struct syslog_conn *prev, *next;
	int fd;
	bool on_loop;
	bool eof;
	size_t skip; /* bytes still to discard of an over-long octet-counted frame */
	size_t len;
	char buf[SYSLOG_MAX_MESSAGE + 32];
};

struct syslogd {
	struct logger *logger;
	int dgram_fd;
	char *dgram_path;
	int stream_fd;
	char *stream_path;
	struct syslog_conn *conns;
	size_t nconns;
	struct mmsghdr msgs[SYSLOG_BATCH];
	struct iovec iov[SYSLOG_BATCH];
	char bufs[SYSLOG_BATCH][SYSLOG_MAX_MESSAGE];
};

static void emit_message(struct syslogd *d, const char *buf, size_t len, unsigned flags,
			 const struct timespec *now, enum sink_source source, bool *congested)
{
	struct syslog_parsed scratch;
	struct log_record record = {0}; /* fields the parser does not set stay zero */
	syslog_parse(buf, len, &scratch, &record);
	record.time = *now;
	record.origin = LOG_ORIGIN_SYSLOG;
	record.service = NULL;
	record.flags = flags;
	*congested |= logger_route(d->logger, &record, source);
}

/* One datagram: trailing newlines and NULs go; NUL-separated messages are split (as
 * chaperone does); empty pieces are skipped. */
static void handle_datagram(struct syslogd *d, const char *buf, size_t len, bool truncated,
			    const struct timespec *now)
{
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0' || buf[len - 1] == '\r'))
		len--;
	bool congested = false;
	const char *end = buf + len;
	while (buf < end) {
		const char *nul = memchr(buf, '\0', (size_t)(end - buf));
		const char *stop = nul ? nul : end;
		unsigned flags = truncated && !nul ? LOG_RECORD_TRUNCATED : 0;
		if (stop > buf)
			emit_message(d, buf, (size_t)(stop - buf), flags, now, SINK_SOURCE_DATAGRAM,
				     &congested);
		buf = stop + (nul ? 1 : 0);
	}
}

static void dgram_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct syslogd *d = arg;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	logger_batch_begin(d->logger);
	for (int round = 0; round < SYSLOG_ROUNDS; round++) {
		for (int i = 0; i < SYSLOG_BATCH; i++)
			d->msgs[i].msg_hdr.msg_flags = 0;
		int n = recvmmsg(fd, d->msgs, SYSLOG_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			handle_datagram(d, d->bufs[i], d->msgs[i].msg_len,
					d->msgs[i].msg_hdr.msg_flags & MSG_TRUNC, &now);
		if (n < SYSLOG_BATCH)
			break;
	}
	logger_batch_end(d->logger);
}

void syslogd_drain(struct syslogd *d)
{
	if (!d || d->dgram_fd < 0)
		return;
	/* each call reads at most SYSLOG_ROUNDS batches; 16 calls = 1024 datagrams */
	for (int i = 0; i < 16; i++)
		dgram_readable(d->logger->loop, d->dgram_fd, EPOLLIN, d);
}

/* ---- stream connections ---- */

static void conn_readable(struct loop *loop, int fd, uint32_t events, void *arg);
static void conn_resume(struct log_source *source);

static void conn_watch(struct syslog_conn *c, bool on)
{
	struct loop *loop = c->server->logger->loop;
	if (on && !c->on_loop) {
		if (loop_add_fd(loop, c->fd, EPOLLIN, conn_readable, c) == 0)
			c->on_loop = true;
	} else if (!on && c->on_loop) {
		loop_del_fd(loop, c->fd);
		c->on_loop = false;
	}
}

static void conn_free(struct syslog_conn *c)
{
	struct syslogd *d = c->server;
	conn_watch(c, false);
	close(c->fd);
	logger_unpause_source(d->logger, &c->source);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->nconns--;
	free(c);
}

/* Length of the octet count at p ("123 "), or 0 when p does not start with one. */
static size_t octet_count(const char *p, size_t n, size_t *digits)
{
	size_t value = 0, i = 0;
	while (i < n && i < 9 && p[i] >= '0' && p[i] <= '9')
		value = value * 10 + (size_t)(p[i++] - '0');
	if (i == 0 || p[0] == '0' || i >= n || p[i] != ' ')
		return 0;
	*digits = i + 1;
	return value;
}

/* Emits every complete message in the buffer. Returns false when paused. */
static bool conn_process(struct syslog_conn *c, bool final)
{
	struct syslogd *d = c->server;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	size_t start = 0;
	bool congested = false;
	logger_batch_begin(d->logger);
	while (start < c->len && !congested) {
		const char *p = c->buf + start;
		size_t avail = c->len - start;
		if (c->skip) {
			size_t n = avail < c->skip ? avail : c->skip;
			c->skip -= n;
			start += n;
			continue;
		}
		size_t digits = 0;
		size_t count = octet_count(p, avail, &digits);
		if (count) {
			size_t take = count > SYSLOG_MAX_MESSAGE ? SYSLOG_MAX_MESSAGE : count;
			if (avail < digits + take)
				break;
			emit_message(d, p + digits, take, count > take ? LOG_RECORD_TRUNCATED : 0,
				     &now, SINK_SOURCE_PAUSABLE, &congested);
			c->skip = count - take;
			start += digits + take;
			continue;
		}
		const char *newline = memchr(p, '\n', avail);
		const char *nul = memchr(p, '\0', avail);
		const char *stop = newline && (!nul || newline < nul) ? newline : nul;
		if (stop) {
			if (stop > p)
				emit_message(d, p, (size_t)(stop - p), 0, &now,
					     SINK_SOURCE_PAUSABLE, &congested);
			start += (size_t)(stop - p) + 1;
		} else if (avail >= SYSLOG_MAX_MESSAGE || final) {
			size_t take = avail > SYSLOG_MAX_MESSAGE ? SYSLOG_MAX_MESSAGE : avail;
			emit_message(d, p, take, final ? 0 : LOG_RECORD_CONTINUED, &now,
				     SINK_SOURCE_PAUSABLE, &congested);
			start += take;
		} else {
			break;
		}
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (congested) {
		logger_batch_end(d->logger);
		logger_batch_begin(d->logger);
		bool still = false;
		for (size_t i = 0; i < d->logger->nsinks && !still; i++)
			still = sink_holds_sources(d->logger->sinks[i]);
		if (still) {
			conn_watch(c, false);
			logger_pause_source(d->logger, &c->source);
		}
		logger_batch_end(d->logger);
		return !still;
	}
	logger_batch_end(d->logger);
	return true;
}

static void conn_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct syslog_conn *c = arg;
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->len += (size_t)n;
	else
		c->eof = true;
	if (conn_process(c, c->eof) && c->eof)
		conn_free(c);
}

static void conn_resume(struct log_source *source)
{
	struct syslog_conn *c = (struct syslog_conn *)source;
	if (!conn_process(c, c->eof))
		return;
	if (c->eof)
		conn_free(c);
	else
		conn_watch(c, true);
}

static void stream_acceptable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct syslogd *d = arg;
	for (int i = 0; i < 16; i++) {
		int conn_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (conn_fd < 0)
			return;
		struct syslog_conn *c =
		    d->nconns < SYSLOG_MAX_STREAMS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(conn_fd);
			tend_log(d->logger, LOG_SEVERITY_WARNING,
				 "syslog stream %s: connection refused (%d connections already)",
				 d->stream_path, SYSLOG_MAX_STREAMS);
			continue;
		}
		c->server = d;
		c->fd = conn_fd;
		c->source.resume = conn_resume;
		c->next = d->conns;
		if (c->next)
			c->next->prev = c;
		d->conns = c;
		d->nconns++;
		conn_watch(c, true);
	}
}

/* ---- sockets ---- */

static int bind_socket(struct logger *logger, const char *path, int type)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0666) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (type == SOCK_DGRAM) {
		int size = SYSLOG_RECEIVE_BUFFER;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	return fd;
}

struct syslogd *syslogd_open(struct logger *logger, const char *dgram_path, const char *stream_path)
{
	struct syslogd *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->logger = logger;
	d->dgram_fd = d->stream_fd = -1;
	for (int i = 0; i < SYSLOG_BATCH; i++) {
		d->iov[i] = (struct iovec){.iov_base = d->bufs[i], .iov_len = SYSLOG_MAX_MESSAGE};
		d->msgs[i].msg_hdr.msg_iov = &d->iov[i];
		d->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (dgram_path && *dgram_path) {
		d->dgram_fd = bind_socket(logger, dgram_path, SOCK_DGRAM);
		if (d->dgram_fd < 0 ||
		    loop_add_fd(logger->loop, d->dgram_fd, EPOLLIN, dgram_readable, d) < 0)
			tend_log(logger, LOG_SEVERITY_WARNING,
				 "syslog service cannot be started: %s: %s", dgram_path,
				 strerror(errno));
		else
			d->dgram_path = strdup(dgram_path);
	}
	if (stream_path && *stream_path) {
		d->stream_fd = bind_socket(logger, stream_path, SOCK_STREAM);
		if (d->stream_fd < 0 ||
		    loop_add_fd(logger->loop, d->stream_fd, EPOLLIN, stream_acceptable, d) < 0)
			tend_log(logger, LOG_SEVERITY_WARNING,
				 "syslog stream socket cannot be started: "
				 "%s: %s",
				 stream_path, strerror(errno));
		else
			d->stream_path = strdup(stream_path);
	}
	return d;
}

static bool same_path(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool syslogd_same_paths(const struct syslogd *d, const char *dgram_path, const char *stream_path)
{
	/* the requested paths, as syslogd_open would have kept them */
	const char *want_dgram = dgram_path && *dgram_path ? dgram_path : NULL;
	const char *want_stream = stream_path && *stream_path ? stream_path : NULL;
	return same_path(d->dgram_path, want_dgram) && same_path(d->stream_path, want_stream);
}

void syslogd_close(struct syslogd *d)
{
	if (!d)
		return;
	while (d->conns)
		conn_free(d->conns);
	if (d->dgram_fd >= 0) {
		loop_del_fd(d->logger->loop, d->dgram_fd);
		close(d->dgram_fd);
		if (d->dgram_path)
			unlink(d->dgram_path);
	}
	if (d->stream_fd >= 0) {
		loop_del_fd(d->logger->loop, d->stream_fd);
		close(d->stream_fd);
		if (d->stream_path)
			unlink(d->stream_path);
	}
	free(d->dgram_path);
	free(d->stream_path);
	free(d);
}
