/*
 * test_format.c — every output format on fixed records (time zone forced to UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "log/format.h"

/* 2026-11-27 12:28:05.042 UTC */
#define WHEN 1795782485

static struct log_record service_line(void)
{
	struct log_record record = {
	    .time = {.tv_sec = WHEN, .tv_nsec = 42000000},
	    .facility = 3,
	    .severity = 6,
	    .tag = "web",
	    .pid = 123,
	    .service = "web.service",
	    .origin = LOG_ORIGIN_STDOUT,
	    .text = "hello \"world\"\t\x01",
	    .text_len = 15,
	};
	return record;
}

static char *format(enum log_format_kind kind, bool extended, const char *hostname,
		    const struct log_record *record)
{
	struct log_format fmt = {
	    .kind = kind, .extended = extended, .hostname = hostname, .default_hostname = "box"};
	size_t bound = log_format_bound(&fmt, record);
	char *out = malloc(bound + 1);
	assert_non_null(out);
	size_t len = log_format_write(&fmt, record, out);
	assert_true(len <= bound);
	out[len] = '\0';
	return out;
}

static void check(enum log_format_kind kind, bool extended, const char *hostname,
		  const struct log_record *record, const char *expected)
{
	char *got = format(kind, extended, hostname, record);
	assert_string_equal(got, expected);
	free(got);
}

static void test_text(void **state)
{
	(void)state;
	struct log_record r = service_line();
	r.text = "hello";
	r.text_len = 5;
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov 27 12:28:05 box web[123]: hello");
	check(LOG_FORMAT_TEXT, true, "logs", &r,
	      "daemon.info Nov 27 12:28:05 logs web[123]: hello");
	r.pid = 0;
	r.hostname = "sender";
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov 27 12:28:05 sender web: hello");
	r.tag = NULL;
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov 27 12:28:05 sender hello");
	r.tag = "web";
	r.flags = LOG_RECORD_CONTINUED;
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov 27 12:28:05 sender web: hello\\");
	r.flags = LOG_RECORD_TRUNCATED;
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov 27 12:28:05 sender web: hello [truncated]");
	r.time.tv_sec = WHEN - 20 * 86400; /* Nov 7: the day is space-padded as in RFC 3164 */
	r.flags = 0;
	check(LOG_FORMAT_TEXT, false, NULL, &r, "Nov  7 12:28:05 sender web: hello");
}

static void test_json(void **state)
{
	(void)state;
	struct log_record r = service_line();
	check(
	    LOG_FORMAT_JSON, false, NULL, &r,
	    "{\"time\":\"2026-11-27T12:28:05.042+00:00\",\"host\":\"box\",\"facility\":\"daemon\","
	    "\"severity\":\"info\",\"tag\":\"web\",\"pid\":123,\"service\":\"web.service\","
	    "\"stream\":\"stdout\",\"message\":\"hello \\\"world\\\"\\t\\u0001\"}");
	struct log_record s = {
	    .time = {.tv_sec = WHEN, .tv_nsec = 999999999},
	    .facility = 20,
	    .severity = 5,
	    .hostname = "h",
	    .origin = LOG_ORIGIN_SYSLOG,
	    .msgid = "ID47",
	    .structured_data = "[a b=\"c\"]",
	    .structured_data_len = 9,
	    .text = "bad \xff utf8 \xc3\xa9 \\",
	    .text_len = 15,
	    .flags = LOG_RECORD_CONTINUED,
	};
	check(LOG_FORMAT_JSON, false, NULL, &s,
	      "{\"time\":\"2026-11-27T12:28:05.999+00:00\",\"host\":\"h\",\"facility\":\"local4\","
	      "\"severity\":\"notice\",\"stream\":\"syslog\",\"msgid\":\"ID47\","
	      "\"structured_data\":\"[a b=\\\"c\\\"]\",\"message\":\"bad \xef\xbf\xbd utf8 "
	      "\xc3\xa9 \\\\\",\"partial\":true}");
}

static void test_pidzero(void **state)
{
	(void)state;
	struct log_record r = service_line();
	r.text = "Request timeout";
	r.text_len = 15;
	check(LOG_FORMAT_PIDZERO_JSON, false, NULL, &r,
	      "{\"timestamp\":\"2026-11-27 12:28:05\",\"source\":\"web\",\"loglevel\":\"INFO \","
	      "\"logtext\":\"Request timeout\",\"stream\":\"stdout\",\"pid\":123}");
	check(LOG_FORMAT_PIDZERO_MAP, false, NULL, &r,
	      "{ loglevel => INFO , logtext => Request timeout, timestamp => 2026-11-27 12:28:05, "
	      "source => web }");
	r.severity = 4;
	r.origin = LOG_ORIGIN_STDERR;
	check(LOG_FORMAT_PIDZERO_MAP, false, NULL, &r,
	      "{ loglevel => WARN , logtext => Request timeout, timestamp => 2026-11-27 12:28:05, "
	      "source => web }");
	r.severity = 2;
	r.pid = 0;
	check(LOG_FORMAT_PIDZERO_JSON, false, NULL, &r,
	      "{\"timestamp\":\"2026-11-27 12:28:05\",\"source\":\"web\",\"loglevel\":\"ERROR\","
	      "\"logtext\":\"Request timeout\",\"stream\":\"stderr\"}");
	r.severity = 7;
	check(LOG_FORMAT_PIDZERO_MAP, false, NULL, &r,
	      "{ loglevel => DEBUG, logtext => Request timeout, timestamp => 2026-11-27 12:28:05, "
	      "source => web }");
}

static void test_rfc3164(void **state)
{
	(void)state;
	struct log_record r = service_line();
	r.text = "x";
	r.text_len = 1;
	check(LOG_FORMAT_RFC3164, true, NULL, &r, "<30>Nov 27 12:28:05 box web[123]: x");
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(log_format_kind_from_name(NULL), LOG_FORMAT_TEXT);
	assert_int_equal(log_format_kind_from_name("json"), LOG_FORMAT_JSON);
	assert_int_equal(log_format_kind_from_name("pidzero-json"), LOG_FORMAT_PIDZERO_JSON);
	assert_int_equal(log_format_kind_from_name("pidzero-map"), LOG_FORMAT_PIDZERO_MAP);
	assert_int_equal(log_format_kind_from_name("xml"), -1);
}

static void test_bound_holds_for_worst_case(void **state)
{
	(void)state;
	char text[1000];
	memset(text, 1, sizeof(text)); /* every byte becomes \u0001 */
	struct log_record r = service_line();
	r.text = text;
	r.text_len = sizeof(text);
	char *out = format(LOG_FORMAT_JSON, false, NULL, &r);
	assert_true(strlen(out) > 6000);
	free(out);
}

/* A run's shared prefix, then the text, then the flags' tail: the same line as formatting the
 * record whole, for every shape of the text format; other formats have no prefix. */
static void test_text_prefix_and_tail(void **state)
{
	(void)state;
	struct log_record base = service_line();
	base.text = "hello";
	base.text_len = 5;
	struct {
		bool extended;
		const char *hostname, *record_host, *tag;
		pid_t pid;
		unsigned flags;
	} cases[] = {
	    {false, NULL, NULL, "web", 123, 0},
	    {true, "logs", NULL, "web", 123, LOG_RECORD_CONTINUED},
	    {false, NULL, "sender", "web", 0, LOG_RECORD_TRUNCATED},
	    {false, NULL, "sender", NULL, 9, LOG_RECORD_CONTINUED | LOG_RECORD_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct log_record r = base;
		r.hostname = cases[i].record_host;
		r.tag = cases[i].tag;
		r.pid = cases[i].pid;
		r.flags = cases[i].flags;
		char *whole = format(LOG_FORMAT_TEXT, cases[i].extended, cases[i].hostname, &r);
		struct log_format fmt = {.kind = LOG_FORMAT_TEXT,
					 .extended = cases[i].extended,
					 .hostname = cases[i].hostname,
					 .default_hostname = "box"};
		char line[512];
		size_t n = log_format_text_prefix(&fmt, &r, line, sizeof(line));
		assert_true(n > 0);
		memcpy(line + n, r.text, r.text_len);
		char *end = log_format_text_tail(line + n + r.text_len, r.flags);
		assert_true(end - (line + n + r.text_len) <= LOG_FORMAT_TAIL_MAX);
		*end = '\0';
		assert_string_equal(line, whole);
		free(whole);
	}
	struct log_format json = {.kind = LOG_FORMAT_JSON, .default_hostname = "box"};
	char line[512];
	assert_int_equal(log_format_text_prefix(&json, &base, line, sizeof(line)), 0);
	struct log_format text = {.kind = LOG_FORMAT_TEXT, .default_hostname = "box"};
	assert_int_equal(log_format_text_prefix(&text, &base, line, 32), 0); /* no room */
}

static int utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_pidzero),
	    cmocka_unit_test(test_rfc3164),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_bound_holds_for_worst_case),
	    cmocka_unit_test(test_text_prefix_and_tail),
	};
	return cmocka_run_group_tests(tests, utc, NULL);
}
