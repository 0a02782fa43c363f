/*
 * capture.c — a service's stdout or stderr pipe -> lines -> records (daemon.info for stdout,
 * daemon.warning for stderr, tag = the short service name, the service's pid), as chaperone.
 *
 * Bounds, all documented in docs/logging.md:
 *  - a line longer than CAPTURE_LINE_MAX bytes is split there (at a UTF-8 character
 *    boundary); every piece but the last is marked LOG_RECORD_CONTINUED, nothing is cut;
 *  - a partial line (no newline yet) is emitted after CAPTURE_PARTIAL_MS without more data,
 *    and at end of file;
 *  - blank lines are skipped (chaperone does the same).
 *
 * When an output is congested the capture stops reading (its fd leaves the loop), so the
 * service blocks on a full pipe instead of tend dropping its lines; it reads again when the
 * output drains. log_capture_free() before end of file only lets go: the capture keeps
 * reading until the last writer closes the pipe, so a dead service's last words are kept.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/logger_internal.h"

#define CAPTURE_LINE_MAX   8192
#define CAPTURE_BUFFER	   (64 * 1024) /* the most a capture holds and reads at once */
#define CAPTURE_BUFFER_MIN (4 * 1024)  /* its first buffer, allocated at its first read */
#define CAPTURE_PARTIAL_MS 1000
#define CAPTURE_PIPE_SIZE  (1024 * 1024)

struct log_capture {
	struct log_source source; /* first: the logger's paused list points here */
	struct logger *logger;
	struct log_capture *prev, *next;
	int fd;
	bool on_loop;
	bool eof;
	bool released;
	bool drained; /* log_capture_drain_all went through it */
	char *service;
	char *tag;
	size_t service_len, tag_len;
	struct route_cache routes;
	pid_t pid;
	enum log_origin origin;
	log_capture_eof_fn *on_eof;
	void *arg;
	struct loop_timer partial_timer;
	uint64_t consumed;
	uint64_t partial_mark;
	size_t start, len;
	/* CAPTURE_BUFFER_MIN at the first read, CAPTURE_BUFFER once full or once a read filled
	 * it: a quiet service costs no buffer, a chatty one gets large reads. */
	char *buf;
	size_t cap;
	bool filled; /* the last read took all the room: more is probably waiting */
};

static void readable(struct loop *loop, int fd, uint32_t events, void *arg);
static void capture_resume(struct log_source *source);
static void partial_timer_fired(struct loop *loop, void *arg);

static void watch(struct log_capture *c, bool on)
{
	struct loop *loop = c->logger->loop;
	if (on && !c->on_loop && c->fd >= 0 && loop) {
		if (loop_add_fd(loop, c->fd, EPOLLIN, readable, c) == 0)
			c->on_loop = true;
	} else if (!on && c->on_loop) {
		loop_del_fd(loop, c->fd);
		c->on_loop = false;
	}
}

struct log_capture *log_capture_new(struct logger *logger, int fd, const char *service,
				    const char *tag, pid_t pid, enum log_origin origin,
				    log_capture_eof_fn *on_eof, void *arg)
{
	struct log_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->logger = logger;
	c->fd = fd;
	c->service = service ? strdup(service) : NULL;
	c->tag = tag ? strdup(tag) : NULL;
	c->service_len = c->service ? strlen(c->service) : 0;
	c->tag_len = c->tag ? strlen(c->tag) : 0;
	c->pid = pid;
	c->origin = origin;
	c->on_eof = on_eof;
	c->arg = arg;
	c->source.resume = capture_resume;
	loop_timer_init(&c->partial_timer, partial_timer_fired, c);
	if ((service && !c->service) || (tag && !c->tag)) {
		free(c->service);
		free(c->tag);
		free(c);
		return NULL;
	}
	/* The read end is ours alone: make sure a read can never block the loop. */
	if (fd_set_nonblock_cloexec(fd) < 0)
		tend_log(logger, LOG_SEVERITY_ERR, "%s: output pipe: %s", service ? service : "?",
			 strerror(errno));
	/* A bigger pipe means fewer wake-ups per line under load; failing is harmless. */
	fcntl(fd, F_SETPIPE_SZ, CAPTURE_PIPE_SIZE);
	c->next = logger->captures;
	if (c->next)
		c->next->prev = c;
	logger->captures = c;
	watch(c, true);
	if (!c->on_loop && logger->loop)
		tend_log(logger, LOG_SEVERITY_ERR, "%s: cannot watch its output pipe: %s",
			 service ? service : "?", strerror(errno));
	return c;
}

void log_capture_set_pid(struct log_capture *capture, pid_t pid)
{
	capture->pid = pid;
}

static void destroy(struct log_capture *c)
{
	struct logger *logger = c->logger;
	watch(c, false);
	if (c->fd >= 0)
		close(c->fd);
	if (logger->loop)
		loop_timer_stop(logger->loop, &c->partial_timer);
	logger_unpause_source(logger, &c->source);
	if (c->prev)
		c->prev->next = c->next;
	else
		logger->captures = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->service);
	free(c->tag);
	free(c->buf);
	free(c);
}

void log_capture_free(struct log_capture *capture)
{
	if (!capture)
		return;
	if (capture->fd < 0) {
		destroy(capture);
		return;
	}
	capture->released = true;
	capture->on_eof = NULL;
}

/* ---- lines -> records ---- */

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\f' && p[i] != '\v')
			return false;
	return true;
}

/* Where to split an over-long line: at most max bytes, not inside a UTF-8 sequence. */
static size_t split_point(const char *p, size_t max)
{
	size_t cut = max;
	for (size_t back = 0; back < 3 && cut > 1; back++) {
		unsigned char c = (unsigned char)p[cut];
		if ((c & 0xC0) != 0x80)
			break; /* p[cut] starts a character: cutting before it is clean */
		cut--;
	}
	return ((unsigned char)p[cut] & 0xC0) == 0x80 ? max : cut;
}

/* The fields every line of one read shares. */
static void record_template(const struct log_capture *c, const struct timespec *now,
			    struct log_record *record)
{
	*record = (struct log_record){
	    .time = *now,
	    .facility = LOG_FACILITY_DAEMON,
	    .severity = c->origin == LOG_ORIGIN_STDERR ? LOG_SEVERITY_WARNING : LOG_SEVERITY_INFO,
	    .tag = c->tag,
	    .pid = c->pid,
	    .service = c->service,
	    .tag_len = c->tag_len,
	    .service_len = c->service_len,
	    .origin = c->origin,
	};
}

/* Lines go to the logger in runs of at most RUN_LINES lines and about RUN_BYTES bytes: the
 * outputs format a run's shared prefix once. A run is appended whole, so a congested output
 * can be over its soft limit by one run (far below its hard limit: nothing is dropped). */
#define RUN_LINES 128
#define RUN_BYTES (32 * 1024)

struct run {
	struct log_record record; /* what the lines share */
	struct log_line lines[RUN_LINES];
	size_t n, bytes;
};

/* Hands the run to the logger. Returns true when the capture must pause: an output it went
 * to is congested even after writing what is buffered (only a slow output holds the service). */
static bool flush_run(struct log_capture *c, struct run *run)
{
	struct logger *logger = c->logger;
	bool congested = logger_route_run(logger, &run->record, run->lines, run->n,
					  SINK_SOURCE_PAUSABLE, &c->routes);
	run->n = run->bytes = 0;
	if (!congested || logger->flushing)
		return false;
	logger_batch_end(logger);
	logger_batch_begin(logger);
	for (size_t i = 0; i < logger->nsinks; i++)
		if (sink_holds_sources(logger->sinks[i]))
			return true;
	return false;
}

/* Turns buffered bytes into records. final: the partial line goes too. Returns false when an
 * output became congested and the capture paused. */
static bool process(struct log_capture *c, bool final)
{
	struct logger *logger = c->logger;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct run run;
	record_template(c, &now, &run.record);
	run.n = run.bytes = 0;
	bool paused = false;
	logger_batch_begin(logger);
	while (c->start < c->len && !paused) {
		const char *p = c->buf + c->start;
		size_t avail = c->len - c->start;
		size_t search = avail > CAPTURE_LINE_MAX ? CAPTURE_LINE_MAX + 1 : avail;
		const char *newline = memchr(p, '\n', search);
		size_t line, consume;
		unsigned flags = 0;
		if (newline) {
			line = (size_t)(newline - p);
			consume = line + 1;
		} else if (avail > CAPTURE_LINE_MAX) {
			line = split_point(p, CAPTURE_LINE_MAX);
			consume = line;
			flags = LOG_RECORD_CONTINUED;
		} else if (final) {
			line = consume = avail;
		} else {
			break;
		}
		if (!flags && line > 0 && p[line - 1] == '\r')
			line--;
		if (flags || !blank(p, line)) {
			run.lines[run.n++] = (struct log_line){p, (uint32_t)line, flags};
			run.bytes += line;
		}
		c->start += consume;
		c->consumed += consume;
		if (run.n == RUN_LINES || run.bytes >= RUN_BYTES)
			paused = flush_run(c, &run);
	}
	if (run.n > 0 && !paused)
		paused = flush_run(c, &run);
	if (c->start == c->len)
		c->start = c->len = 0;
	if (paused) {
		watch(c, false);
		logger_pause_source(logger, &c->source);
	}
	logger_batch_end(logger);
	return !paused;
}

static void finish(struct log_capture *c)
{
	watch(c, false);
	close(c->fd);
	c->fd = -1;
	if (c->logger->loop)
		loop_timer_stop(c->logger->loop, &c->partial_timer);
	if (c->released) {
		destroy(c);
		return;
	}
	if (c->on_eof)
		c->on_eof(c, c->arg); /* may free c: nothing after this */
}

static void after_processing(struct log_capture *c)
{
	if (c->eof && c->start == c->len) {
		finish(c);
		return;
	}
	struct loop *loop = c->logger->loop;
	if (c->start < c->len && !c->eof && loop && !loop_timer_armed(&c->partial_timer)) {
		c->partial_mark = c->consumed;
		loop_timer_start(loop, &c->partial_timer, CAPTURE_PARTIAL_MS);
	}
}

/* Room to read into, at the end of the buffer: what is processed is moved out, and the buffer
 * grows when it is full or the last read filled it. 0 only when it could not grow. A byte
 * is kept for a NUL after the data: a regex selector's regexec (REG_STARTEND) does not need
 * it, but sanitizers' interceptors read the text as a C string. */
static size_t read_room(struct log_capture *c)
{
	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
		c->buf[c->len] = '\0';
	}
	if ((c->len + 1 >= c->cap || c->filled) && c->cap < CAPTURE_BUFFER) {
		/* straight to the full size: the intermediate sizes would only leave freed
		 * (but resident) blocks behind in PID 1's heap */
		size_t cap = c->cap ? CAPTURE_BUFFER : CAPTURE_BUFFER_MIN;
		char *buf = realloc(c->buf, cap);
		if (buf) {
			c->buf = buf;
			c->cap = cap;
		}
	}
	c->filled = false;
	return c->cap > c->len ? c->cap - c->len - 1 : 0;
}

static ssize_t read_some(struct log_capture *c, size_t room)
{
	ssize_t n = read(c->fd, c->buf + c->len, room);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		c->filled = (size_t)n == room;
	}
	return n;
}

static void readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct log_capture *c = arg;
	size_t room = read_room(c);
	if (room == 0) {
		/* Full and out of memory to grow (a full CAPTURE_BUFFER cannot happen: process()
		 * leaves less than a line's worth). What is held goes out as it is: a read of 0
		 * bytes would look like end of file. */
		if (process(c, true))
			after_processing(c);
		return;
	}
	ssize_t n = read_some(c, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		c->eof = true; /* end of file, or an error that will not go away */
	if (process(c, c->eof))
		after_processing(c);
}

static void capture_resume(struct log_source *source)
{
	struct log_capture *c = (struct log_capture *)source;
	if (!process(c, c->eof))
		return;
	if (!c->eof)
		watch(c, true);
	after_processing(c);
}

void log_capture_read_available(struct log_capture *c)
{
	/* At most a few pipe-fulls: a writer that is still alive cannot keep us here. */
	for (int round = 0; round < 16 && c && c->fd >= 0 && !c->eof && !c->source.paused;
	     round++) {
		size_t room = read_room(c);
		if (room == 0)
			return; /* no memory: the loop's handler deals with it */
		ssize_t n = read_some(c, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN, or end of file: the loop's handler finishes it */
		if (!process(c, false))
			return;
	}
}

static void partial_timer_fired(struct loop *loop, void *arg)
{
	struct log_capture *c = arg;
	if (c->start >= c->len || c->source.paused)
		return;
	if (c->consumed != c->partial_mark) {
		/* Lines went by since: the partial one is new, give it its full time. */
		c->partial_mark = c->consumed;
		loop_timer_start(loop, &c->partial_timer, CAPTURE_PARTIAL_MS);
		return;
	}
	if (process(c, true))
		after_processing(c);
}

/* ---- shutdown ---- */

void log_capture_drain_all(struct logger *logger)
{
	for (;;) {
		/* Search again each time: finish() may call back an owner that frees captures. */
		struct log_capture *c = logger->captures;
		while (c && (c->fd < 0 || c->drained))
			c = c->next;
		if (!c)
			return;
		c->drained = true;
		logger_unpause_source(logger, &c->source);
		while (!c->eof && loop_now_ms() < logger->flush_deadline_ms) {
			size_t room = read_room(c);
			if (room == 0) {
				process(c, true); /* no memory to grow: out as it is */
				continue;
			}
			ssize_t n = read_some(c, room);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0)
				c->eof = true;
			process(c, false);
		}
		process(c, true); /* the last partial line, whether or not the pipe ended */
		if (c->eof)
			finish(c);
	}
}

void log_capture_free_all(struct logger *logger)
{
	while (logger->captures)
		destroy(logger->captures);
}
