/*
 * test_syslog_parse.c — RFC 3164 (with and without hostname and timestamp, tag[pid]:,
 * absolute-path tags), RFC 5424 (structured data, BOM, NILVALUE) and malformed input, which
 * must come back whole as text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "log/syslog_parse.h"

struct parse_case {
	const char *input;
	enum syslog_format format;
	int facility;
	int severity;
	const char *hostname; /* NULL: none */
	const char *tag;      /* NULL: none */
	int pid;
	const char *text;
	const char *msgid;
	const char *structured_data;
};

static const struct parse_case cases[] = {
    /* glibc syslog(): no hostname */
    {"<30>Nov 27 12:28:12 crond[123]: started", SYSLOG_RFC3164, 3, 6, NULL, "crond", 123, "started",
     NULL, NULL},
    /* logger --rfc3164 to a remote server: with hostname */
    {"<13>Nov  7 02:03:04 myhost alice: hi there", SYSLOG_RFC3164, 1, 5, "myhost", "alice", 0,
     "hi there", NULL, NULL},
    {"<13>Nov  7 02:03:04 myhost alice[42]: hi", SYSLOG_RFC3164, 1, 5, "myhost", "alice", 42, "hi",
     NULL, NULL},
    /* an absolute-path tag becomes its basename */
    {"<14>Jan 01 00:00:00 /usr/sbin/cron[9]: job", SYSLOG_RFC3164, 1, 6, NULL, "cron", 9, "job",
     NULL, NULL},
    {"<14>Jan 01 00:00:00 /: x", SYSLOG_RFC3164, 1, 6, NULL, "/", 0, "x", NULL, NULL},
    /* Python's SysLogHandler: no header at all */
    {"<12>myapp: something failed", SYSLOG_RFC3164, 1, 4, NULL, "myapp", 0, "something failed",
     NULL, NULL},
    {"<11>plain message without tag", SYSLOG_RFC3164, 1, 3, NULL, NULL, 0,
     "plain message without tag", NULL, NULL},
    /* timestamp but no tag: the rest is text */
    {"<11>Feb 10 10:10:10 just some words", SYSLOG_RFC3164, 1, 3, NULL, NULL, 0, "just some words",
     NULL, NULL},
    /* empty message after the tag */
    {"<11>Feb 10 10:10:10 t[1]:", SYSLOG_RFC3164, 1, 3, NULL, "t", 1, "", NULL, NULL},
    {"<191>x", SYSLOG_RFC3164, 23, 7, NULL, NULL, 0, "x", NULL, NULL},
    {"<0>", SYSLOG_RFC3164, 0, 0, NULL, NULL, 0, "", NULL, NULL},
    /* RFC 5424, as util-linux logger --rfc5424 sends it */
    {"<13>1 2026-11-27T12:34:56.123456+00:00 host alice - - [timeQuality tzKnown=\"1\" "
     "isSynced=\"0\"] hello 5424",
     SYSLOG_RFC5424, 1, 5, "host", "alice", 0, "hello 5424", NULL,
     "[timeQuality tzKnown=\"1\" isSynced=\"0\"]"},
    {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
     "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
     "[examplePriority@32473 class=\"high\"] \xEF\xBB\xBF"
     "An application event log entry",
     SYSLOG_RFC5424, 20, 5, "mymachine.example.com", "evntslog", 0,
     "An application event log entry", "ID47",
     "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
     "[examplePriority@32473 class=\"high\"]"},
    /* NILVALUEs everywhere, no message */
    {"<34>1 - - - - - -", SYSLOG_RFC5424, 4, 2, NULL, NULL, 0, "", NULL, NULL},
    {"<34>1 2003-10-11T22:14:15Z h /usr/bin/su 77 - - 'su root' failed", SYSLOG_RFC5424, 4, 2, "h",
     "su", 77, "'su root' failed", NULL, NULL},
    /* escaped quote and bracket inside SD values */
    {"<34>1 - - app - - [a b=\"x\\\"]y\"] msg", SYSLOG_RFC5424, 4, 2, NULL, "app", 0, "msg", NULL,
     "[a b=\"x\\\"]y\"]"},
    /* broken 5424 falls back to BSD reading, keeping everything */
    {"<34>1 2003-10-11T22:14:15Z host app - - [unterminated sd", SYSLOG_RFC3164, 4, 2, NULL, NULL,
     0, "1 2003-10-11T22:14:15Z host app - - [unterminated sd", NULL, NULL},
    {"<34>1 only", SYSLOG_RFC3164, 4, 2, NULL, NULL, 0, "1 only", NULL, NULL},
    /* malformed: no valid PRI — the whole input is text, user.notice */
    {"no pri at all", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "no pri at all", NULL, NULL},
    {"<192>too big", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "<192>too big", NULL, NULL},
    {"<1234>x", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "<1234>x", NULL, NULL},
    {"<>x", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "<>x", NULL, NULL},
    {"<13", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "<13", NULL, NULL},
    {"", SYSLOG_MALFORMED, 1, 5, NULL, NULL, 0, "", NULL, NULL},
    /* a bad timestamp is just text */
    {"<13>Foo 27 12:28:12 x: y", SYSLOG_RFC3164, 1, 5, NULL, NULL, 0, "Foo 27 12:28:12 x: y", NULL,
     NULL},
    /* a tag with a non-numeric pid is not a tag */
    {"<13>prog[abc]: y", SYSLOG_RFC3164, 1, 5, NULL, NULL, 0, "prog[abc]: y", NULL, NULL},
    /* "host tag" is only believed after a timestamp */
    {"<13>host prog: y", SYSLOG_RFC3164, 1, 5, NULL, NULL, 0, "host prog: y", NULL, NULL},
};

static void check_field(size_t i, const char *what, const char *expected, const char *got)
{
	if (!expected && !got)
		return;
	if (!expected || !got || strcmp(expected, got) != 0)
		fail_msg("case %zu %s: expected '%s', got '%s'", i, what,
			 expected ? expected : "(null)", got ? got : "(null)");
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct syslog_parsed scratch;
		struct log_record record;
		memset(&record, 0x5a, sizeof(record));
		size_t len = strlen(c->input);
		enum syslog_format format = syslog_parse(c->input, len, &scratch, &record);
		if (format != c->format)
			fail_msg("case %zu '%s': format %d, expected %d", i, c->input, format,
				 c->format);
		assert_int_equal(record.facility, c->facility);
		assert_int_equal(record.severity, c->severity);
		check_field(i, "hostname", c->hostname, record.hostname);
		check_field(i, "tag", c->tag, record.tag);
		assert_int_equal(record.pid, c->pid);
		assert_int_equal(record.tag_len, 0); /* not known: formats use strlen */
		char text[512];
		assert_true(record.text_len < sizeof(text));
		memcpy(text, record.text, record.text_len);
		text[record.text_len] = '\0';
		check_field(i, "text", c->text, text);
		check_field(i, "msgid", c->msgid, record.msgid);
		if (c->structured_data) {
			assert_non_null(record.structured_data);
			assert_int_equal(record.structured_data_len, strlen(c->structured_data));
			assert_memory_equal(record.structured_data, c->structured_data,
					    record.structured_data_len);
		} else {
			assert_null(record.structured_data);
		}
		assert_ptr_equal(record.raw, c->input);
		assert_int_equal(record.raw_len, len);
	}
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	/* the parser must respect the length: the bytes after it are not part of the message */
	const char buf[] = "<13>Nov 27 12:28:12 a[1]: bcdefXXXX";
	struct syslog_parsed scratch;
	struct log_record record;
	syslog_parse(buf, strlen(buf) - 4, &scratch, &record);
	assert_string_equal(record.tag, "a");
	assert_int_equal(record.text_len, 5);
	assert_memory_equal(record.text, "bcdef", 5);
}

static void test_long_tag_is_text(void **state)
{
	(void)state;
	char buf[400] = "<13>";
	memset(buf + 4, 't', 200);
	strcpy(buf + 204, ": msg");
	struct syslog_parsed scratch;
	struct log_record record;
	syslog_parse(buf, strlen(buf), &scratch, &record);
	assert_null(record.tag);
	assert_int_equal(record.text_len, strlen(buf) - 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_long_tag_is_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
