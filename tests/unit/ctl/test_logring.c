/*
 * test_logring.c — the `tendctl logs` ring (src/ctl/logring.c): order, overwriting the oldest,
 * the last LOGRING_RECORDS visible whatever the records' sizes, long texts cut, newlines
 * flattened, the service/tag filter, and runs of lines that share their source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/logring.h"

static int followed;

static void on_entry(const struct logring_entry *e, void *arg)
{
	followed++;
}

static void add(struct logring *ring, const char *service, const char *tag, const char *text)
{
	struct log_record r = {
	    .service = service, .tag = tag, .pid = 42, .text = text, .text_len = strlen(text)};
	logring_add(ring, &r);
}

struct collected {
	char lines[LOGRING_RECORDS + 10][LOGRING_TEXT];
	size_t n;
	uint64_t first_seq;
};

static void collect(const struct logring_entry *e, void *arg)
{
	struct collected *c = arg;
	if (c->n == 0)
		c->first_seq = e->seq;
	assert_true(c->n < LOGRING_RECORDS + 10);
	logring_format(e, c->lines[c->n++], LOGRING_TEXT);
}

static void test_order_and_overwrite(void **state)
{
	static struct collected c;
	struct logring *ring = logring_new(on_entry, NULL);
	assert_non_null(ring);
	followed = 0;
	char text[32];
	for (int i = 0; i < LOGRING_RECORDS + 5; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		add(ring, "web.service", "web", text);
	}
	assert_int_equal(followed, LOGRING_RECORDS + 5);
	assert_int_equal(logring_count(ring), LOGRING_RECORDS + 5);
	c.n = 0;
	logring_visit(ring, collect, &c);
	assert_int_equal(c.n, LOGRING_RECORDS);
	assert_int_equal(c.first_seq, 6);
	assert_non_null(strstr(c.lines[0], "web[42]: line 5"));
	assert_non_null(strstr(c.lines[c.n - 1], "line 1028"));
	logring_free(ring);
}

static void test_long_and_multiline(void **state)
{
	static struct collected c;
	struct logring *ring = logring_new(NULL, NULL);
	char big[LOGRING_TEXT * 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	add(ring, NULL, "tend", big);
	add(ring, NULL, NULL, "two\nlines");
	c.n = 0;
	logring_visit(ring, collect, &c);
	assert_int_equal(c.n, 2);
	assert_true(strlen(c.lines[0]) == LOGRING_TEXT - 1);
	assert_string_equal(c.lines[0] + LOGRING_TEXT - 4, "...");
	assert_non_null(strstr(c.lines[1], "-[42]: two lines"));
	logring_free(ring);
}

static void test_matches(void **state)
{
	struct logring_entry e = {
	    .seq = 1, .service = "web.service", .service_len = 11, .tag = "web", .tag_len = 3};
	char *names[] = {"db", "web"};
	assert_true(logring_entry_matches(&e, NULL, 0));
	assert_true(logring_entry_matches(&e, names, 2));
	assert_false(logring_entry_matches(&e, names, 1));
	char *full[] = {"web.service"};
	assert_true(logring_entry_matches(&e, full, 1));
	e.service = "";
	e.service_len = 0;
	e.tag = "cron";
	e.tag_len = 4;
	char *cron[] = {"cron"};
	assert_true(logring_entry_matches(&e, cron, 1));
	char *we[] = {"we"};
	assert_false(logring_entry_matches(&e, we, 1));
	/* the strings are not NUL-terminated: only their lengths count */
	e.tag = "cronjob";
	assert_true(logring_entry_matches(&e, cron, 1));
}

/* Records of the largest size (long service, tag and text) and tiny ones mixed: the last
 * LOGRING_RECORDS stay visible, in order, whatever the chunks hold. */
static void test_bound_with_large_records(void **state)
{
	static struct collected c;
	struct logring *ring = logring_new(NULL, NULL);
	char service[100], tag[100], big[LOGRING_TEXT * 3];
	memset(service, 's', sizeof(service) - 1);
	service[sizeof(service) - 1] = '\0';
	memset(tag, 't', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const int total = 10 * LOGRING_RECORDS + 3; /* the last one small, the one before large */
	for (int i = 0; i < total; i++) {
		if (i % 3 == 0) {
			char text[32];
			snprintf(text, sizeof(text), "small %d", i);
			add(ring, NULL, "t", text);
		} else {
			snprintf(big, sizeof(big), "%08d", i);
			big[8] = 'x';
			add(ring, service, tag, big);
		}
	}
	assert_int_equal(logring_count(ring), total);
	c.n = 0;
	logring_visit(ring, collect, &c);
	assert_int_equal(c.n, LOGRING_RECORDS);
	assert_int_equal(c.first_seq, total - LOGRING_RECORDS + 1);
	char want[32];
	snprintf(want, sizeof(want), "small %d", total - 1);
	assert_non_null(strstr(c.lines[c.n - 1], want));
	/* a long tag is cut to LOGRING_TAG_MAX bytes */
	char cut_tag[LOGRING_TAG_MAX + 2];
	memset(cut_tag, 't', LOGRING_TAG_MAX);
	strcpy(cut_tag + LOGRING_TAG_MAX, "[");
	assert_non_null(strstr(c.lines[c.n - 2], cut_tag));
	logring_free(ring);
}

struct seen {
	uint64_t next_seq;
	size_t n;
	char last[LOGRING_TEXT];
};

/* Every entry in order, with the source its run was added with ("a" runs: service a.service,
 * tag a, pid 1; "b" runs: b.service, b, pid 2; the text starts with the letter). */
static void check_entry(const struct logring_entry *e, void *arg)
{
	struct seen *s = arg;
	if (s->n > 0)
		assert_int_equal(e->seq, s->next_seq);
	s->next_seq = e->seq + 1;
	s->n++;
	assert_true(e->text_len > 0);
	char letter = e->text[0];
	assert_true(letter == 'a' || letter == 'b');
	assert_int_equal(e->pid, letter == 'a' ? 1 : 2);
	assert_int_equal(e->tag_len, 1);
	assert_int_equal(e->tag[0], letter);
	assert_int_equal(e->service_len, 9);
	assert_memory_equal(e->service, letter == 'a' ? "a.service" : "b.service", 9);
	assert_int_equal(e->sec, letter == 'a' ? 100 : 200);
	logring_format(e, s->last, sizeof(s->last));
}

/* Runs of lines from two sources, interleaved, long enough to cross many chunks: each line
 * keeps its run's source, a follower sees each once, the last LOGRING_RECORDS stay visible. */
static void test_runs(void **state)
{
	static struct seen followed_runs, visited;
	memset(&followed_runs, 0, sizeof(followed_runs));
	memset(&visited, 0, sizeof(visited));
	struct logring *ring = logring_new(check_entry, &followed_runs);
	static char texts[300][600];
	struct log_line lines[300];
	size_t total = 0;
	for (int round = 0; round < 40; round++) {
		char letter = round % 2 ? 'b' : 'a';
		struct log_record run = {.time = {.tv_sec = letter == 'a' ? 100 : 200},
					 .service = letter == 'a' ? "a.service" : "b.service",
					 .tag = letter == 'a' ? "a" : "b",
					 .pid = letter == 'a' ? 1 : 2};
		size_t n = (size_t)(round * 7 % 300) + 1;
		for (size_t i = 0; i < n; i++) {
			/* every 50th line is longer than the ring keeps */
			size_t len = i % 50 == 49 ? sizeof(texts[i]) - 1 : 12;
			memset(texts[i], letter, len);
			snprintf(texts[i], sizeof(texts[i]), "%c%zu", letter, total + i);
			texts[i][strlen(texts[i])] = i % 50 == 49 ? letter : '\0';
			texts[i][len] = '\0';
			lines[i] = (struct log_line){texts[i], (uint32_t)strlen(texts[i]), 0};
		}
		logring_add_run(ring, &run, lines, n);
		total += n;
	}
	assert_int_equal(followed_runs.n, total);
	assert_int_equal(logring_count(ring), total);
	logring_visit(ring, check_entry, &visited);
	assert_int_equal(visited.n, LOGRING_RECORDS);
	assert_int_equal(visited.next_seq, total + 1);
	assert_string_equal(visited.last, followed_runs.last);
	/* a single record after the runs, with a source of its own */
	logring_set_listener(ring, NULL, NULL);
	add(ring, "web.service", "web", "single");
	/* tend's own messages have no service: the same source twice, with a NULL service */
	add(ring, NULL, "tend", "own 1");
	add(ring, NULL, "tend", "own 2");
	add(ring, NULL, NULL, "no tag 1");
	add(ring, NULL, NULL, "no tag 2");
	static struct collected c;
	c.n = 0;
	logring_visit(ring, collect, &c);
	assert_non_null(strstr(c.lines[c.n - 5], "web[42]: single"));
	assert_non_null(strstr(c.lines[c.n - 3], "tend[42]: own 2"));
	assert_non_null(strstr(c.lines[c.n - 1], "-[42]: no tag 2"));
	logring_free(ring);
}

/* The line format: "-" for a missing tag, no pid part when unknown. */
static void test_format(void **state)
{
	struct logring_entry e = {
	    .seq = 1, .sec = 0, .service = "", .tag = "", .text = "hello", .text_len = 5};
	char line[LOGRING_TEXT];
	size_t n = logring_format(&e, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_non_null(strstr(line, " -: hello"));
	e.tag = "x";
	e.tag_len = 1;
	e.pid = 7;
	logring_format(&e, line, sizeof(line));
	assert_non_null(strstr(line, " x[7]: hello"));
	char small[12];
	n = logring_format(&e, small, sizeof(small));
	assert_int_equal(n, sizeof(small) - 1);
	assert_string_equal(small + n - 3, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_overwrite),
	    cmocka_unit_test(test_long_and_multiline),
	    cmocka_unit_test(test_matches),
	    cmocka_unit_test(test_bound_with_large_records),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
