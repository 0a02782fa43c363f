/*
 * test_notify_parse.c — unit tests for svc/notify_parse.c: the messages real clients send
 * (systemd-notify, sd_notify, python3-systemd), every key tend acts on, values it refuses,
 * and datagrams it rejects whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svc/notify_parse.h"

static int parse(const char *text, struct notify_message *msg)
{
	return notify_parse(text, strlen(text), msg);
}

static void test_ready_and_status(void **state)
{
	struct notify_message msg;
	/* what `systemd-notify --ready --status=hi` sends */
	assert_int_equal(parse("READY=1\nSTATUS=hi", &msg), 0);
	assert_true(msg.ready);
	assert_int_equal(msg.status_len, 2);
	assert_memory_equal(msg.status, "hi", 2);
	assert_int_equal(msg.known, 2);
	assert_int_equal(msg.invalid, 0);
	assert_false(msg.reloading);
	assert_int_equal(msg.mainpid, 0);
}

static void test_trailing_newline_and_empty_lines(void **state)
{
	struct notify_message msg;
	assert_int_equal(parse("\nREADY=1\n\n", &msg), 0);
	assert_true(msg.ready);
	assert_int_equal(msg.invalid, 0);
}

static void test_status_keeps_everything_after_the_first_equals(void **state)
{
	struct notify_message msg;
	assert_int_equal(parse("STATUS=a=b c", &msg), 0);
	assert_int_equal(msg.status_len, 5);
	assert_memory_equal(msg.status, "a=b c", 5);
	assert_int_equal(parse("STATUS=", &msg), 0);
	assert_non_null(msg.status);
	assert_int_equal(msg.status_len, 0);
}

static void test_numbers(void **state)
{
	struct notify_message msg;
	assert_int_equal(parse("MAINPID=4242\nERRNO=2\nWATCHDOG_USEC=2000000\n"
			       "EXTEND_TIMEOUT_USEC=500",
			       &msg),
			 0);
	assert_int_equal(msg.mainpid, 4242);
	assert_true(msg.has_errno);
	assert_int_equal(msg.errno_value, 2);
	assert_true(msg.has_watchdog_usec);
	assert_int_equal(msg.watchdog_usec, 2000000);
	assert_true(msg.has_extend_usec);
	assert_int_equal(msg.extend_usec, 500);
	assert_int_equal(msg.invalid, 0);
}

static void test_bad_numbers(void **state)
{
	struct notify_message msg;
	const char *bad[] = {"MAINPID=0",   "MAINPID=-1", "MAINPID=12x",
			     "MAINPID= 12", "MAINPID=",	  "MAINPID=2147483648",
			     "ERRNO=-5",    "ERRNO=0x10", "WATCHDOG_USEC=18446744073709551616",
			     "READY=2",	    "READY=yes",  "STOPPING=0",
			     "WATCHDOG=2",  "BUSERROR="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &msg), 0);
		assert_int_equal(msg.invalid, 1);
		assert_int_equal(msg.known, 0);
		assert_false(msg.ready);
		assert_int_equal(msg.mainpid, 0);
		assert_false(msg.has_errno);
		assert_false(msg.has_watchdog_usec);
		assert_non_null(strstr(msg.error, "bad value"));
	}
	assert_int_equal(parse("WATCHDOG_USEC=18446744073709551615", &msg), 0);
	assert_int_equal(msg.watchdog_usec, UINT64_MAX);
}

static void test_flags(void **state)
{
	struct notify_message msg;
	assert_int_equal(parse("RELOADING=1\nSTOPPING=1\nWATCHDOG=1", &msg), 0);
	assert_true(msg.reloading);
	assert_true(msg.stopping);
	assert_true(msg.watchdog);
	assert_false(msg.watchdog_trigger);
	assert_int_equal(parse("WATCHDOG=trigger", &msg), 0);
	assert_true(msg.watchdog_trigger);
	assert_false(msg.watchdog);
	assert_int_equal(parse("BUSERROR=org.example.Failed", &msg), 0);
	assert_int_equal(msg.buserror_len, strlen("org.example.Failed"));
}

static void test_unknown_and_malformed_lines(void **state)
{
	struct notify_message msg;
	/* systemd-notify's barrier and other keys tend does not act on */
	assert_int_equal(parse("BARRIER=1\nFDSTORE=1\nREADY=1", &msg), 0);
	assert_int_equal(msg.unknown, 2);
	assert_int_equal(msg.known, 1);
	assert_true(msg.ready);
	assert_int_equal(parse("hello\n=1\nREADY=1", &msg), 0);
	assert_int_equal(msg.invalid, 2);
	assert_true(msg.ready);
	assert_non_null(strstr(msg.error, "not KEY=VALUE"));
	assert_non_null(strstr(msg.error, "hello"));
	/* lower-case keys are other keys, as in systemd */
	assert_int_equal(parse("ready=1", &msg), 0);
	assert_false(msg.ready);
	assert_int_equal(msg.unknown, 1);
}

static void test_later_assignment_wins(void **state)
{
	struct notify_message msg;
	assert_int_equal(parse("STATUS=one\nMAINPID=5\nSTATUS=two\nMAINPID=6", &msg), 0);
	assert_int_equal(msg.status_len, 3);
	assert_memory_equal(msg.status, "two", 3);
	assert_int_equal(msg.mainpid, 6);
}

static void test_rejected_datagrams(void **state)
{
	struct notify_message msg;
	assert_int_equal(notify_parse("", 0, &msg), -1);
	assert_non_null(strstr(msg.error, "empty"));
	assert_int_equal(notify_parse("READY=1\0STATUS=x", 16, &msg), -1);
	assert_non_null(strstr(msg.error, "NUL"));
	assert_false(msg.ready);
}

static void test_error_text_is_bounded(void **state)
{
	struct notify_message msg;
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &msg), 0);
	assert_int_equal(msg.invalid, 1);
	assert_true(strlen(msg.error) < sizeof(msg.error));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ready_and_status),
	    cmocka_unit_test(test_trailing_newline_and_empty_lines),
	    cmocka_unit_test(test_status_keeps_everything_after_the_first_equals),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_bad_numbers),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_unknown_and_malformed_lines),
	    cmocka_unit_test(test_later_assignment_wins),
	    cmocka_unit_test(test_rejected_datagrams),
	    cmocka_unit_test(test_error_text_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
