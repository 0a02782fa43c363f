/*
 * test_logring.c — the `tendctl logs` ring (src/ctl/logring.c): order, overwriting the oldest,
 * long texts cut, newlines flattened, and the service/tag filter.
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
	char lines[LOGRING_SLOTS + 10][LOGRING_TEXT];
	size_t n;
	uint64_t first_seq;
};

static void collect(const struct logring_entry *e, void *arg)
{
	struct collected *c = arg;
	if (c->n == 0)
		c->first_seq = e->seq;
	snprintf(c->lines[c->n++], LOGRING_TEXT, "%s", e->line);
}

static void test_order_and_overwrite(void **state)
{
	static struct collected c;
	struct logring *ring = logring_new(on_entry, NULL);
	assert_non_null(ring);
	followed = 0;
	char text[32];
	for (int i = 0; i < LOGRING_SLOTS + 5; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		add(ring, "web.service", "web", text);
	}
	assert_int_equal(followed, LOGRING_SLOTS + 5);
	assert_int_equal(logring_count(ring), LOGRING_SLOTS + 5);
	c.n = 0;
	logring_visit(ring, collect, &c);
	assert_int_equal(c.n, LOGRING_SLOTS);
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
	struct logring_entry e = {.seq = 1};
	strcpy(e.service, "web.service");
	strcpy(e.tag, "web");
	char *names[] = {"db", "web"};
	assert_true(logring_entry_matches(&e, NULL, 0));
	assert_true(logring_entry_matches(&e, names, 2));
	assert_false(logring_entry_matches(&e, names, 1));
	char *full[] = {"web.service"};
	assert_true(logring_entry_matches(&e, full, 1));
	strcpy(e.service, "");
	strcpy(e.tag, "cron");
	char *cron[] = {"cron"};
	assert_true(logring_entry_matches(&e, cron, 1));
	char *we[] = {"we"};
	assert_false(logring_entry_matches(&e, we, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_overwrite),
	    cmocka_unit_test(test_long_and_multiline),
	    cmocka_unit_test(test_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
