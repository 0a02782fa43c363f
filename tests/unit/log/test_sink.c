/*
 * test_sink.c — the logger with real outputs on a real loop: size rotation cuts between lines
 * and keeps N files; a stalled pipe holds the buffer within its bound, drops datagrams (and
 * only datagrams) and reports the count once the pipe drains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "core/loop.h"
#include "log/log.h"
#include "log/logger_internal.h"

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static int remove_dir(void **state)
{
	(void)state;
	return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int make_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tend-test-sink-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static void add_logging(struct config *config, const char *selector, const char *file,
			bool to_stdout, long rotate_size, int rotate_keep)
{
	config->loggings = calloc(1, sizeof(struct logging_conf));
	assert_non_null(config->loggings);
	config->nloggings = 1;
	struct logging_conf *lc = &config->loggings[0];
	logging_conf_init_defaults(lc);
	lc->name = strdup("test.logging");
	free(lc->selector);
	lc->selector = strdup(selector);
	lc->file = file ? strdup(file) : NULL;
	lc->to_stdout = to_stdout;
	lc->rotate_size = rotate_size;
	lc->rotate_keep = rotate_keep;
}

/* (Re)configure the logger with one logging section. */
static void configure(struct logger *logger, const char *selector, const char *file, bool to_stdout,
		      long rotate_size, int rotate_keep)
{
	struct config config;
	config_init_defaults(&config);
	add_logging(&config, selector, file, to_stdout, rotate_size, rotate_keep);
	assert_int_equal(logger_configure(logger, &config), 0);
	config_free(&config);
}

/* A logger on a loop of its own; program tags its own messages. */
static struct logger *new_logger(struct loop **loop, const char *program)
{
	*loop = loop_new();
	assert_non_null(*loop);
	struct logger_options options = {.forced_level = -1, .program = program};
	struct logger *logger = logger_new(*loop, &options);
	assert_non_null(logger);
	return logger;
}

static void free_logger(struct logger *logger, struct loop *loop)
{
	logger_free(logger);
	loop_free(loop);
}

static struct log_record line(const char *text, enum log_origin origin)
{
	struct log_record record = {.facility = 3,
				    .severity = 6,
				    .tag = "svc",
				    .pid = 7,
				    .origin = origin,
				    .text = text,
				    .text_len = strlen(text)};
	clock_gettime(CLOCK_REALTIME, &record.time);
	return record;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_size_rotation(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/rot.log", dir);
	struct loop *loop;
	struct logger *logger = new_logger(&loop, "test");
	configure(logger, "daemon.*", path, false, 1000, 2);
	char text[64];
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "record number %03d", i);
		struct log_record record = line(text, LOG_ORIGIN_STDOUT);
		logger_emit(logger, &record);
	}
	logger_flush(logger, 1000);
	char name[160];
	for (int i = 0; i <= 3; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), "%s", path);
		else
			snprintf(name, sizeof(name), "%s.%d", path, i);
		long size = file_size(name);
		if (i == 3) {
			assert_int_equal(size, -1); /* only rotate_keep old files */
			continue;
		}
		assert_true(size > 0 && size <= 1000);
		FILE *f = fopen(name, "r");
		char buf[1200];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_true(n > 0 && buf[n - 1] == '\n'); /* cut between lines */
	}
	FILE *f = fopen(path, "r");
	char last[256] = "", cur[256];
	while (fgets(cur, sizeof(cur), f))
		strcpy(last, cur);
	fclose(f);
	assert_non_null(strstr(last, "svc[7]: record number 199"));
	free_logger(logger, loop);
}

/* A run of lines (a service pipe's read) goes out as the same lines the records would give one
 * by one, in order, to each output, with the flags' tails. */
static void test_run_matches_records(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/run.log", dir);
	struct loop *loop;
	struct logger *logger = new_logger(&loop, "test");
	configure(logger, "daemon.*", path, false, 0, 0);
	static char texts[500][32];
	struct log_line lines[500];
	for (int i = 0; i < 500; i++) {
		snprintf(texts[i], sizeof(texts[i]), "run line %d", i);
		lines[i] = (struct log_line){texts[i], (uint32_t)strlen(texts[i]),
					     i == 7 ? LOG_RECORD_CONTINUED : 0};
	}
	struct log_record run = line("", LOG_ORIGIN_STDOUT);
	struct route_cache cache = {0};
	logger_batch_begin(logger);
	assert_false(logger_route_run(logger, &run, lines, 500, SINK_SOURCE_PAUSABLE, &cache));
	logger_batch_end(logger);
	struct log_record single = line("single record", LOG_ORIGIN_STDOUT);
	logger_emit(logger, &single);
	logger_flush(logger, 1000);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char got[256], want[64];
	for (int i = 0; i < 500; i++) {
		assert_non_null(fgets(got, sizeof(got), f));
		snprintf(want, sizeof(want), " svc[7]: run line %d%s\n", i, i == 7 ? "\\" : "");
		size_t at = strlen(got) - strlen(want);
		assert_string_equal(got + at, want);
		assert_int_equal(at, strlen("Nov 27 12:28:05 ") + strlen(logger->hostname));
	}
	assert_non_null(fgets(got, sizeof(got), f));
	assert_non_null(strstr(got, " svc[7]: single record\n"));
	assert_null(fgets(got, sizeof(got), f));
	fclose(f);
	struct logger_stats stats;
	logger_get_stats(logger, &stats);
	assert_int_equal(stats.records, 501);
	assert_int_equal(stats.written, 501);
	free_logger(logger, loop);
}

struct reader {
	int fd;
	uint64_t deadline_ms;
	struct loop_timer timer;
	size_t len;
	char out[4 << 20];
};

static void reader_tick(struct loop *loop, void *arg)
{
	struct reader *r = arg;
	ssize_t n;
	while (r->len < sizeof(r->out) - 1 &&
	       (n = read(r->fd, r->out + r->len, sizeof(r->out) - 1 - r->len)) > 0)
		r->len += (size_t)n;
	r->out[r->len] = '\0';
	if (strstr(r->out, "dropped 1000 records") || loop_now_ms() > r->deadline_ms)
		loop_stop(loop);
	else
		loop_timer_start(loop, &r->timer, 20);
}

static void test_stalled_pipe_drops_datagrams_and_reports(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	int saved_stdout = dup(STDOUT_FILENO);
	assert_true(dup2(fds[1], STDOUT_FILENO) >= 0);
	close(fds[1]);

	struct loop *loop;
	struct logger *logger = new_logger(&loop, "test");
	configure(logger, "*.*", NULL, true, 0, 0);
	static struct reader reader;

	/* Nobody reads: pausable records fill the buffer up to the soft limit... */
	bool congested = false;
	int sent = 0;
	while (!congested && sent < 100000) {
		struct log_record record =
		    line("a line from a service that waits", LOG_ORIGIN_STDOUT);
		congested = logger_route(logger, &record, SINK_SOURCE_PAUSABLE);
		sent++;
	}
	assert_true(congested);
	struct logger_stats stats;
	logger_get_stats(logger, &stats);
	assert_int_equal(stats.dropped, 0); /* held back, not dropped */

	/* ...then datagrams are dropped and counted. */
	for (int i = 0; i < 1000; i++) {
		struct log_record record = line("a datagram", LOG_ORIGIN_SYSLOG);
		logger_route(logger, &record, SINK_SOURCE_DATAGRAM);
	}
	logger_get_stats(logger, &stats);
	assert_int_equal(stats.dropped, 1000);

	/* The reader catches up: the loop writes the rest and reports the drops. A timer plays
	 * the reader (loop_run runs once: loop_stop is final). */
	reader.fd = fds[0];
	reader.deadline_ms = loop_now_ms() + 10000;
	loop_timer_init(&reader.timer, reader_tick, &reader);
	loop_timer_start(loop, &reader.timer, 10);
	loop_run(loop);
	const char *out = reader.out;
	if (!strstr(out, "dropped 1000 records (1000 from syslog, 0 from service stdout"))
		fail_msg("no drop report; output ends with: %s",
			 reader.len > 300 ? out + reader.len - 300 : out);
	/* every held-back line came through */
	size_t lines = 0;
	for (const char *p = out; (p = strstr(p, "a line from a service")); p++)
		lines++;
	assert_int_equal(lines, (size_t)sent);

	free_logger(logger, loop);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	close(fds[0]);
}

/* A second logger_configure() (reload): the old output gets what was sent before, the new
 * one what comes after, and the old configuration may be freed at once. */
static void test_reconfigure(void **state)
{
	(void)state;
	char first[128], second[128];
	snprintf(first, sizeof(first), "%s/first.log", dir);
	snprintf(second, sizeof(second), "%s/second.log", dir);
	struct loop *loop;
	struct logger *logger = new_logger(&loop, "test");
	configure(logger, "daemon.*", first, false, 0, 0);
	struct log_record record = line("before", LOG_ORIGIN_STDOUT);
	logger_emit(logger, &record);
	configure(logger, "daemon.*", second, false, 0, 0);
	record = line("after", LOG_ORIGIN_STDOUT);
	logger_emit(logger, &record);
	logger_flush(logger, 1000);
	char buf[512];
	FILE *f = fopen(first, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "svc[7]: before"));
	assert_null(strstr(buf, "after"));
	f = fopen(second, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "svc[7]: after"));
	free_logger(logger, loop);
}

/* tend's own messages: short ones on the stack, long ones whole, very long ones marked. */
static void test_own_long_messages(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/own.log", dir);
	struct loop *loop;
	struct logger *logger = new_logger(&loop, "tend");
	configure(logger, "local5.*", path, false, 0, 0);
	static char long_text[20000];
	memset(long_text, 'a', 1000);
	tend_log(logger, LOG_SEVERITY_WARNING, "one:%s", long_text);
	memset(long_text, 'b', sizeof(long_text) - 1);
	tend_log(logger, LOG_SEVERITY_WARNING, "two:%s", long_text);
	logger_flush(logger, 1000);
	static char buf[64 << 10];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	char *one = strstr(buf, "one:");
	assert_non_null(one);
	assert_int_equal(strspn(one + 4, "a"), 1000);
	char *two = strstr(buf, "two:");
	assert_non_null(two);
	size_t bs = strspn(two + 4, "b");
	assert_int_equal(bs, 8191 - 4);
	assert_int_equal(strncmp(two + 4 + bs, " [truncated]", 12), 0);
	free_logger(logger, loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_rotation),
	    cmocka_unit_test(test_run_matches_records),
	    cmocka_unit_test(test_reconfigure),
	    cmocka_unit_test(test_own_long_messages),
	    cmocka_unit_test(test_stalled_pipe_drops_datagrams_and_reports),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
