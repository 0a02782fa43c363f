/*
 * sink.c — the part every output shares: its bounded buffer, non-blocking writes driven by
 * EPOLLOUT, congestion (hold sources back) versus dropping (count and report), failures and
 * retries, and the synchronous drain used at shutdown. See sink.h for the policy.
 *
 * Console outputs need care: tend's stdout is often a pipe shared with services whose
 * `stdout: inherit` gave them the same open file description, so setting O_NONBLOCK on it
 * would hand those services EAGAIN. tend therefore opens /proc/self/fd/N again (a pipe or
 * tty opened this way is a new description with its own flags), uses send(MSG_DONTWAIT) on
 * sockets, and only as a last resort writes at most PIPE_BUF bytes after poll() says there
 * is room.
 */
#include "log/sink_impl.h"

#include <errno.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/logger_internal.h"

#define BUFFER_INITIAL	    (64u * 1024u)
#define UNPOLLABLE_RETRY_MS 20

static void retry_timer_fired(struct loop *loop, void *arg);
static int console_open(struct sink *sink, int source_fd);

static int sink_init(struct sink *sink, struct logger *logger, enum sink_kind kind, const char *key,
		     const struct log_format *format)
{
	sink->kind = kind;
	sink->logger = logger;
	sink->fd = -1;
	sink->format = *format;
	sink->format.time_cache.valid = false;
	sink->key = strdup(key);
	sink->default_hostname = format->default_hostname ? strdup(format->default_hostname) : NULL;
	sink->hostname = format->hostname ? strdup(format->hostname) : NULL;
	sink->format.default_hostname = sink->default_hostname;
	sink->format.hostname = sink->hostname;
	sink->format.default_hostname_len =
	    sink->default_hostname ? strlen(sink->default_hostname) : 0;
	sink->format.hostname_len = sink->hostname ? strlen(sink->hostname) : 0;
	loop_timer_init(&sink->retry_timer, retry_timer_fired, sink);
	if (!sink->key || (format->default_hostname && !sink->default_hostname) ||
	    (format->hostname && !sink->hostname))
		return -1;
	return 0;
}

const char *sink_key(const struct sink *sink)
{
	return sink->key;
}

/* Static twins of the public helpers below: sink_append runs them for every line, and the
 * public symbols (in a position-independent library) are not inlined. */
static inline size_t pending_bytes(const struct sink *sink)
{
	return sink->end - sink->start;
}

static inline bool is_congested(const struct sink *sink)
{
	return !sink->failing && sink->kind != SINK_REMOTE &&
	       pending_bytes(sink) >= SINK_SOFT_LIMIT;
}

static inline bool holding_sources(struct sink *sink)
{
	if (is_congested(sink))
		sink->holding = true;
	return sink->holding && is_congested(sink);
}

size_t sink_pending(const struct sink *sink)
{
	return pending_bytes(sink);
}

bool sink_congested(const struct sink *sink)
{
	return is_congested(sink);
}

bool sink_holds_sources(struct sink *sink)
{
	return holding_sources(sink);
}

bool sink_report_pending(const struct sink *sink)
{
	return sink->report_failure || sink->report_recovery || sink->dropped_total > 0;
}

/* ---- console ---- */

static int console_open(struct sink *sink, int source_fd)
{
	struct stat st;
	if (fstat(source_fd, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !S_ISCHR(st.st_mode)) {
		/* Not an output (tend was started with the fd closed and reused it, e.g. for
		 * epoll): writing would never succeed and would hold services back forever. */
		errno = EBADF;
		return -1;
	}
	if (S_ISSOCK(st.st_mode)) {
		sink->fd = fcntl(source_fd, F_DUPFD_CLOEXEC, 3);
		sink->use_send = true;
		sink->pollable = true;
		return sink->fd < 0 ? -1 : 0;
	}
	if (S_ISREG(st.st_mode)) {
		/* Regular files never make a writer wait (and cannot go on epoll). */
		sink->fd = fcntl(source_fd, F_DUPFD_CLOEXEC, 3);
		return sink->fd < 0 ? -1 : 0;
	}
	/* A pipe may be shared with services whose stdout is `inherit`: see write_some. */
	sink->whole_lines = S_ISFIFO(st.st_mode);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", source_fd);
	sink->fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	sink->pollable = true;
	if (sink->fd >= 0) {
		if (sink->whole_lines)
			sink->pipe_size =
			    fcntl(sink->fd, F_GETPIPE_SZ) > 0 ? fcntl(sink->fd, F_GETPIPE_SZ) : 0;
		return 0;
	}
	sink->fd = fcntl(source_fd, F_DUPFD_CLOEXEC, 3);
	if (sink->fd < 0)
		return -1;
	int flags = fcntl(sink->fd, F_GETFL);
	sink->check_writable = flags < 0 || !(flags & O_NONBLOCK);
	return 0;
}

struct sink *sink_new_console(struct logger *logger, enum sink_kind kind,
			      const struct log_format *format)
{
	struct sink *sink = calloc(1, sizeof(*sink));
	if (!sink)
		return NULL;
	const char *key = kind == SINK_STDOUT ? "sys:stdout" : "sys:stderr";
	if (sink_init(sink, logger, kind, key, format) < 0) {
		sink_free(sink);
		return NULL;
	}
	if (console_open(sink, kind == SINK_STDOUT ? STDOUT_FILENO : STDERR_FILENO) < 0)
		sink_fail(sink, errno);
	return sink;
}

struct sink *sink_new_file(struct logger *logger, const struct sink_file_options *options,
			   const struct log_format *format)
{
	struct sink *sink = calloc(1, sizeof(*sink));
	if (!sink)
		return NULL;
	char key[PATH_MAX + 8];
	snprintf(key, sizeof(key), "file:%s", options->path);
	if (sink_init(sink, logger, SINK_FILE, key, format) < 0 ||
	    !(sink->file_template = strdup(options->path))) {
		sink_free(sink);
		return NULL;
	}
	sink->file = *options;
	sink->file.path = sink->file_template;
	if (sink_file_open(sink) < 0)
		sink_fail(sink, errno);
	return sink;
}

struct sink *sink_new_remote(struct logger *logger, const char *target,
			     const struct log_format *format)
{
	struct sink *sink = calloc(1, sizeof(*sink));
	if (!sink)
		return NULL;
	char key[512];
	snprintf(key, sizeof(key), "syslog_host:%s", target);
	struct log_format remote = *format;
	if (remote.kind == LOG_FORMAT_TEXT)
		remote.kind = LOG_FORMAT_RFC3164;
	if (sink_init(sink, logger, SINK_REMOTE, key, &remote) < 0 ||
	    sink_remote_parse(sink, target) < 0) {
		sink_free(sink);
		return NULL;
	}
	if (sink_remote_connect(sink) < 0)
		sink_fail(sink, errno);
	return sink;
}

void sink_free(struct sink *sink)
{
	if (!sink)
		return;
	sink_unwatch(sink);
	if (sink->logger && sink->logger->loop)
		loop_timer_stop(sink->logger->loop, &sink->retry_timer);
	if (sink->fd >= 0)
		close(sink->fd);
	free(sink->data);
	free(sink->key);
	free(sink->default_hostname);
	free(sink->hostname);
	free(sink->file_template);
	free(sink->path);
	free(sink);
}

/* ---- watching the fd ---- */

static void writable(struct loop *loop, int fd, uint32_t events, void *arg);

void sink_watch(struct sink *sink, bool want_write)
{
	struct loop *loop = sink->logger->loop;
	if (!want_write) {
		sink_unwatch(sink);
		return;
	}
	if (sink->on_loop || !loop)
		return;
	if (sink->pollable && loop_add_fd(loop, sink->fd, EPOLLOUT, writable, sink) == 0) {
		sink->on_loop = true;
		return;
	}
	/* Not pollable (or epoll refused it): try again shortly. */
	sink->pollable = false;
	if (!loop_timer_armed(&sink->retry_timer))
		loop_timer_start(loop, &sink->retry_timer, UNPOLLABLE_RETRY_MS);
}

void sink_unwatch(struct sink *sink)
{
	if (!sink->on_loop)
		return;
	if (sink->logger->loop)
		loop_del_fd(sink->logger->loop, sink->fd);
	sink->on_loop = false;
}

/* ---- failures ---- */

void sink_fail(struct sink *sink, int error)
{
	sink_unwatch(sink);
	if (!sink->failing && !sink->report_recovery && !sink->failure_errno)
		sink->report_failure = true; /* the first failure of an episode is reported */
	sink->failing = true;
	sink->failure_errno = error ? error : EIO;
	if (sink->kind == SINK_FILE || (sink->kind == SINK_REMOTE && sink->tcp)) {
		if (sink->fd >= 0)
			close(sink->fd);
		sink->fd = -1;
		sink->connecting = false;
	}
	if (sink->logger->loop)
		loop_timer_start(sink->logger->loop, &sink->retry_timer, SINK_RETRY_MS);
	logger_sink_has_report(sink->logger);
	if (sink->holding) {
		/* A failing output drops instead of holding sources back: let them go. */
		sink->holding = false;
		logger_sink_drained(sink->logger);
	}
}

void sink_recovered(struct sink *sink)
{
	if (!sink->failure_errno)
		return;
	sink->failure_errno = 0;
	sink->report_recovery = true;
	logger_sink_has_report(sink->logger);
}

static void retry_timer_fired(struct loop *loop, void *arg)
{
	struct sink *sink = arg;
	if (sink->failing) {
		sink->failing = false;
		if (sink->kind == SINK_FILE && sink->fd < 0 && sink_file_open(sink) < 0) {
			sink_fail(sink, errno);
			return;
		}
		if (sink->kind == SINK_REMOTE && sink->fd < 0) {
			if (sink_remote_connect(sink) < 0)
				sink_fail(sink, errno);
			return;
		}
		if ((sink->kind == SINK_STDOUT || sink->kind == SINK_STDERR) && sink->fd < 0 &&
		    console_open(sink, sink->kind == SINK_STDOUT ? STDOUT_FILENO : STDERR_FILENO) <
			0) {
			/* tend was started with that fd closed: it stays a failing output (it must
			 * not hold services back), still counted and retried */
			sink_fail(sink, errno);
			return;
		}
	}
	sink_write_pending(sink);
}

/* ---- the buffer ---- */

static __attribute__((noinline)) bool grow(struct sink *sink, size_t need)
{
	if (sink->start > 0) {
		memmove(sink->data, sink->data + sink->start, sink->end - sink->start);
		sink->end -= sink->start;
		sink->start = 0;
		if (sink->cap - sink->end >= need)
			return true;
	}
	/* A record never needs more than a few MiB (inputs are bounded); refuse nonsense rather
	 * than loop on an overflowing size. */
	if (need > 64u * SINK_HARD_LIMIT)
		return false;
	size_t cap = sink->cap ? sink->cap : BUFFER_INITIAL;
	while (cap - sink->end < need)
		cap *= 2;
	char *data = realloc(sink->data, cap);
	if (!data)
		return false;
	sink->data = data;
	sink->cap = cap;
	return true;
}

/* Called for every line: the common case (room at the end) inline, the rest out of line. */
static inline bool make_room(struct sink *sink, size_t need)
{
	return sink->cap - sink->end >= need || grow(sink, need);
}

static void count_drop(struct sink *sink, const struct log_record *record)
{
	unsigned origin = (unsigned)record->origin < 4 ? (unsigned)record->origin : 0;
	sink->dropped[origin]++;
	sink->dropped_total++;
	sink->logger->stats.dropped++;
	logger_sink_has_report(sink->logger);
}

static bool must_drop(const struct sink *sink, enum sink_source source)
{
	size_t pending = pending_bytes(sink);
	if (pending >= SINK_HARD_LIMIT)
		return true;
	if (pending < SINK_SOFT_LIMIT)
		return false;
	/* Full: only sources that can wait, and only for outputs worth waiting for. */
	return source == SINK_SOURCE_DATAGRAM || sink->failing || sink->kind == SINK_REMOTE;
}

/* Kept out of sink_append so that its buffer is on the stack only on this path (PID 1's
 * stack pages, once touched, stay). */
static __attribute__((noinline)) void send_datagram(struct sink *sink,
						    const struct log_record *record)
{
	char stack[4096];
	size_t bound = log_format_bound(&sink->format, record);
	char *line = bound <= sizeof(stack) ? stack : malloc(bound);
	if (!line) {
		count_drop(sink, record);
		return;
	}
	size_t len = log_format_write(&sink->format, record, line);
	sink_remote_send(sink, line, len, record->origin);
	if (line != stack)
		free(line);
}

bool sink_append(struct sink *sink, const struct log_record *record, enum sink_source source)
{
	struct logger *logger = sink->logger;
	if (logger->flushing && pending_bytes(sink) >= SINK_SOFT_LIMIT)
		sink_drain(sink, logger->flush_deadline_ms);
	if (sink->datagram) {
		send_datagram(sink, record);
		return false;
	}
	if (must_drop(sink, source)) {
		count_drop(sink, record);
		return false;
	}
	bool framed = sink->kind == SINK_REMOTE; /* RFC 6587 octet counting */
	size_t prefix = framed ? 24 : 0;
	size_t bound = log_format_bound(&sink->format, record) + prefix + 1;
	if (!make_room(sink, bound)) {
		count_drop(sink, record);
		return false;
	}
	char *at = sink->data + sink->end;
	size_t len = log_format_write(&sink->format, record, at + prefix);
	if (framed) {
		char head[24];
		int n = snprintf(head, sizeof(head), "%zu ", len);
		memmove(at + n, at + prefix, len);
		memcpy(at, head, (size_t)n);
		sink->end += (size_t)n + len;
	} else {
		at[len] = '\n';
		sink->end += len + 1;
	}
	/* In a batch (a pipe-full of lines), write once 3/4 of a first-size buffer is ready
	 * rather than grow the buffer to hold the whole batch (a few hundred kB of formatted
	 * lines): PID 1's heap pages, once touched, stay. */
	if (logger->batch_depth == 0 || pending_bytes(sink) >= BUFFER_INITIAL / 4 * 3)
		sink_write_pending(sink);
	return holding_sources(sink);
}

/* A run's prefix is copied in front of each line: kept on the stack, so it is bounded. */
#define RUN_PREFIX_MAX 512
/* A prefix up to this long is copied as a block of this size (the line then overwrites what
 * is past the prefix): most are 30-60 bytes. */
#define RUN_PREFIX_COPY 64

static bool append_each(struct sink *sink, const struct log_record *run,
			const struct log_line *lines, size_t n, enum sink_source source)
{
	struct log_record record = *run;
	bool congested = false;
	for (size_t i = 0; i < n; i++) {
		log_record_set_line(&record, &lines[i]);
		congested = sink_append(sink, &record, source);
	}
	return congested;
}

bool sink_append_run(struct sink *sink, const struct log_record *run, const struct log_line *lines,
		     size_t n, enum sink_source source)
{
	char prefix[RUN_PREFIX_MAX];
	size_t prefix_len = 0;
	if (!sink->datagram && sink->kind != SINK_REMOTE)
		prefix_len = log_format_text_prefix(&sink->format, run, prefix, sizeof(prefix));
	if (prefix_len == 0)
		return append_each(sink, run, lines, n, source);
	/* What sink_append does for each line, with the format's work reduced to two copies. */
	struct logger *logger = sink->logger;
	for (size_t i = 0; i < n; i++) {
		if (logger->flushing && pending_bytes(sink) >= SINK_SOFT_LIMIT)
			sink_drain(sink, logger->flush_deadline_ms);
		size_t need = RUN_PREFIX_COPY + lines[i].len + LOG_FORMAT_TAIL_MAX + 1;
		if (must_drop(sink, source) || !make_room(sink, need + prefix_len)) {
			count_drop(sink, run);
			continue;
		}
		char *at = sink->data + sink->end;
		if (prefix_len <= RUN_PREFIX_COPY)
			memcpy(at, prefix,
			       RUN_PREFIX_COPY); /* a fixed size: a few moves, no call */
		else
			memcpy(at, prefix, prefix_len);
		memcpy(at + prefix_len, lines[i].text, lines[i].len);
		char *end = at + prefix_len + lines[i].len;
		if (lines[i].flags)
			end = log_format_text_tail(end, lines[i].flags);
		*end++ = '\n';
		sink->end += (size_t)(end - at);
		if (logger->batch_depth == 0 || pending_bytes(sink) >= BUFFER_INITIAL / 4 * 3)
			sink_write_pending(sink);
	}
	return holding_sources(sink);
}

/* ---- writing ---- */

/* At most PIPE_BUF bytes ending with a newline; a longer line goes whole (it cannot be
 * atomic anyway). */
static size_t whole_lines_piece(const char *data, size_t n)
{
	if (n <= PIPE_BUF)
		return n;
	for (size_t i = PIPE_BUF; i > 0; i--)
		if (data[i - 1] == '\n')
			return i;
	const char *newline = memchr(data, '\n', n);
	return newline ? (size_t)(newline - data) + 1 : n;
}

/* Whether n bytes surely fit in the pipe now (one write, nothing left half-written). The
 * kernel counts a pipe in page-sized slots: be conservative by a page or two. */
static bool fits_in_pipe(const struct sink *sink, size_t n)
{
	int queued;
	if (sink->pipe_size <= 0 || ioctl(sink->fd, FIONREAD, &queued) < 0 || queued < 0)
		return false;
	size_t used = ((size_t)queued + 4095) / 4096 * 4096 + 4096;
	return used < (size_t)sink->pipe_size && n <= (size_t)sink->pipe_size - used;
}

/* A pipe shared with other writers (services with `stdout: inherit`): a non-blocking write
 * into a nearly full pipe may take only part of a line, and another writer's output would
 * then land in the middle of it. So when the pipe cannot take everything, tend writes whole
 * lines in pieces of at most PIPE_BUF bytes, which the kernel writes entirely or not at all. */
static ssize_t write_some(struct sink *sink, const char *data, size_t n)
{
	if (sink->whole_lines && n > PIPE_BUF && !fits_in_pipe(sink, n))
		n = whole_lines_piece(data, n);
	if (sink->use_send)
		return send(sink->fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sink->check_writable) {
		struct pollfd pfd = {.fd = sink->fd, .events = POLLOUT};
		if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
			errno = EAGAIN;
			return -1;
		}
		if (n > PIPE_BUF)
			n = PIPE_BUF;
	}
	return write(sink->fd, data, n);
}

static void buffer_emptied(struct sink *sink)
{
	sink->start = sink->end = 0;
	if (sink->cap > BUFFER_INITIAL) {
		/* A flood is over: give the memory back. */
		free(sink->data);
		sink->data = NULL;
		sink->cap = 0;
	}
}

void sink_write_pending(struct sink *sink)
{
	if (sink->datagram || sink->failing || sink->fd < 0 || sink->connecting)
		return;
	if (sink->kind == SINK_FILE) {
		sink_file_check(sink);
		if (sink->fd < 0)
			return;
	}
	bool progress = false;
	while (sink->start < sink->end) {
		size_t n = sink->end - sink->start;
		if (sink->kind == SINK_FILE) {
			n = sink_file_room(sink, sink->data + sink->start, n);
			if (sink->fd < 0 || sink->failing)
				return;
		}
		ssize_t written = write_some(sink, sink->data + sink->start, n);
		if (written > 0) {
			sink->start += (size_t)written;
			if (sink->kind == SINK_FILE)
				sink_file_wrote(sink, (size_t)written);
			progress = true;
			continue;
		}
		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sink_watch(sink, true);
			break;
		}
		sink_fail(sink, written < 0 ? errno : EIO);
		return;
	}
	if (progress)
		sink_recovered(sink);
	if (sink->start == sink->end) {
		buffer_emptied(sink);
		sink_unwatch(sink);
	}
	if (sink->holding && sink_pending(sink) < SINK_SOFT_LIMIT / 2) {
		sink->holding = false;
		logger_sink_drained(sink->logger);
	}
}

static void writable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct sink *sink = arg;
	if (sink->connecting) {
		sink_unwatch(sink);
		if (sink_remote_connected(sink) < 0) {
			sink_fail(sink, errno);
			return;
		}
	}
	sink_write_pending(sink);
}

void sink_check_soon(struct sink *sink)
{
	sink->next_check_ms = 0;
}

void sink_drain(struct sink *sink, uint64_t deadline_ms)
{
	for (;;) {
		if (sink->connecting) {
			struct pollfd pfd = {.fd = sink->fd, .events = POLLOUT};
			uint64_t now = loop_now_ms();
			if (now >= deadline_ms || poll(&pfd, 1, (int)(deadline_ms - now)) <= 0)
				return;
			sink_unwatch(sink);
			if (sink_remote_connected(sink) < 0) {
				sink_fail(sink, errno);
				return;
			}
		}
		sink_write_pending(sink);
		if (sink->start == sink->end || sink->failing || sink->fd < 0)
			return;
		uint64_t now = loop_now_ms();
		if (now >= deadline_ms)
			return;
		struct pollfd pfd = {.fd = sink->fd, .events = POLLOUT};
		int wait = (int)(deadline_ms - now);
		if (!sink->pollable && wait > UNPOLLABLE_RETRY_MS)
			wait = UNPOLLABLE_RETRY_MS;
		if (poll(&pfd, 1, sink->pollable ? wait : 0) < 0 && errno != EINTR)
			return;
		if (!sink->pollable)
			usleep(UNPOLLABLE_RETRY_MS * 1000);
	}
}

/* ---- reports ---- */

bool sink_take_report(struct sink *sink, char *text, size_t size, int *severity)
{
	if (sink->report_failure) {
		sink->report_failure = false;
		*severity = LOG_SEVERITY_ERR;
		snprintf(text, size,
			 "log output %s: %s; records that do not fit its buffer are dropped and "
			 "counted, retrying every %d s",
			 sink->key, strerror(sink->failure_errno), SINK_RETRY_MS / 1000);
		return true;
	}
	if (sink->dropped_total == 0 && !sink->report_recovery)
		return false;
	if (sink->failing || sink_congested(sink))
		return false; /* report once it can take the report */
	bool recovered = sink->report_recovery;
	sink->report_recovery = false;
	*severity = LOG_SEVERITY_WARNING;
	if (sink->dropped_total == 0) {
		snprintf(text, size, "log output %s: writing again, nothing was lost", sink->key);
		*severity = LOG_SEVERITY_NOTICE;
		return true;
	}
	snprintf(text, size,
		 "log output %s: dropped %llu records (%llu from syslog, %llu from service "
		 "stdout, %llu from service stderr, %llu from tend) %s",
		 sink->key, (unsigned long long)sink->dropped_total,
		 (unsigned long long)sink->dropped[LOG_ORIGIN_SYSLOG],
		 (unsigned long long)sink->dropped[LOG_ORIGIN_STDOUT],
		 (unsigned long long)sink->dropped[LOG_ORIGIN_STDERR],
		 (unsigned long long)sink->dropped[LOG_ORIGIN_TEND],
		 recovered ? "while it was failing" : "because it could not keep up");
	memset(sink->dropped, 0, sizeof(sink->dropped));
	sink->dropped_total = 0;
	return true;
}
