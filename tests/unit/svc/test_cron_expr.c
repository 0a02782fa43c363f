/*
 * test_cron_expr.c — unit tests for svc/cron_expr.c: a table of (zone, expression, now,
 * expected next fire) covering fields, names, steps, dom/dow, month ends, leap days, the
 * seconds field, aliases and DST changes in New York and Berlin; then parse errors.
 * Times are written as local time with their UTC offset, so each row is unambiguous.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "svc/cron_expr.h"

static void use_zone(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* "2024-03-10 01:59:00 -0500" -> instant */
static time_t instant(const char *text)
{
	struct tm tm = {0};
	int sign_hours = 0, minutes = 0;
	char sign = '+';
	int n = sscanf(text, "%d-%d-%d %d:%d:%d %c%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &sign_hours, &minutes);
	if (n != 9)
		fail_msg("bad time in test table: %s", text);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	long offset = (sign == '-' ? -1 : 1) * (sign_hours * 3600L + minutes * 60L);
	return timegm(&tm) - offset;
}

static void local_text(time_t t, char *buf, size_t size)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm);
}

struct row {
	const char *zone;
	const char *expr;
	const char *now;
	const char *expected; /* NULL: never (ERANGE) */
};

static const struct row rows[] = {
    /* basics, strictly after */
    {"UTC", "* * * * *", "2024-05-01 12:00:00 +0000", "2024-05-01 12:01:00 +0000"},
    {"UTC", "* * * * *", "2024-05-01 12:00:30 +0000", "2024-05-01 12:01:00 +0000"},
    {"UTC", "30 12 * * *", "2024-05-01 12:30:00 +0000", "2024-05-02 12:30:00 +0000"},
    {"UTC", "30 12 * * *", "2024-05-01 12:29:59 +0000", "2024-05-01 12:30:00 +0000"},
    {"UTC", "5-20/5 * * * *", "2024-05-01 12:05:00 +0000", "2024-05-01 12:10:00 +0000"},
    {"UTC", "5-20/5 * * * *", "2024-05-01 12:20:00 +0000", "2024-05-01 13:05:00 +0000"},
    {"UTC", "10/20 * * * *", "2024-05-01 12:30:00 +0000", "2024-05-01 12:50:00 +0000"},
    {"UTC", "*/15 9-17 * * *", "2024-05-01 17:45:00 +0000", "2024-05-02 09:00:00 +0000"},
    {"UTC", "0 0,12 * * *", "2024-05-01 00:00:00 +0000", "2024-05-01 12:00:00 +0000"},
    {"UTC", "0 0 1 1 *", "2024-12-31 23:59:59 +0000", "2025-01-01 00:00:00 +0000"},
    /* names, weekdays, 7 = Sunday */
    {"UTC", "0 0 1 jan,JUL *", "2024-01-01 00:00:00 +0000", "2024-07-01 00:00:00 +0000"},
    {"UTC", "0 0 1 Feb-apr/2 *", "2024-02-01 00:00:00 +0000", "2024-04-01 00:00:00 +0000"},
    {"UTC", "0 9 * * mon-fri", "2024-09-06 09:00:00 +0000", "2024-09-09 09:00:00 +0000"},
    {"UTC", "0 0 * * 7", "2024-09-01 00:00:00 +0000", "2024-09-08 00:00:00 +0000"},
    {"UTC", "0 0 * * sun", "2024-09-01 00:00:00 +0000", "2024-09-08 00:00:00 +0000"},
    {"UTC", "0 0 * * 5-7", "2024-09-01 00:00:00 +0000", "2024-09-06 00:00:00 +0000"},
    /* day-of-month and day-of-week both restricted: either one */
    {"UTC", "0 0 13 * fri", "2024-09-01 00:00:00 +0000", "2024-09-06 00:00:00 +0000"},
    {"UTC", "0 0 13 * fri", "2024-09-06 00:00:00 +0000", "2024-09-13 00:00:00 +0000"},
    {"UTC", "0 0 13 * fri", "2024-09-13 00:00:00 +0000", "2024-09-20 00:00:00 +0000"},
    {"UTC", "0 0 1 * mon", "2024-09-24 00:00:00 +0000", "2024-09-30 00:00:00 +0000"},
    {"UTC", "0 0 1-31 * mon", "2024-09-24 00:00:00 +0000", "2024-09-30 00:00:00 +0000"},
    /* month ends and leap days */
    {"UTC", "0 0 31 * *", "2024-01-31 00:00:00 +0000", "2024-03-31 00:00:00 +0000"},
    {"UTC", "0 0 31 * *", "2024-03-31 00:00:00 +0000", "2024-05-31 00:00:00 +0000"},
    {"UTC", "0 0 30 * *", "2024-01-30 00:00:00 +0000", "2024-03-30 00:00:00 +0000"},
    {"UTC", "0 0 29 2 *", "2024-03-01 00:00:00 +0000", "2028-02-29 00:00:00 +0000"},
    {"UTC", "0 0 29 2 *", "2096-03-01 00:00:00 +0000", "2104-02-29 00:00:00 +0000"},
    {"UTC", "0 0 29 2 *", "2000-01-01 00:00:00 +0000", "2000-02-29 00:00:00 +0000"},
    {"UTC", "0 0 30 2 *", "2024-01-01 00:00:00 +0000", NULL},
    {"UTC", "0 0 31 4,6,9,11 *", "2024-01-01 00:00:00 +0000", NULL},
    {"UTC", "59 23 28-31 2 *", "2023-02-28 23:59:00 +0000", "2024-02-28 23:59:00 +0000"},
    {"UTC", "59 23 28-31 2 *", "2024-02-28 23:59:00 +0000", "2024-02-29 23:59:00 +0000"},
    /* the sixth field is seconds, at the end */
    {"UTC", "* * * * * */10", "2024-05-01 12:00:03 +0000", "2024-05-01 12:00:10 +0000"},
    {"UTC", "* * * * * */10", "2024-05-01 12:00:50 +0000", "2024-05-01 12:01:00 +0000"},
    {"UTC", "0 12 * * * 30", "2024-05-01 12:00:30 +0000", "2024-05-02 12:00:30 +0000"},
    {"UTC", "* * * * * 5,45", "2024-05-01 23:59:45 +0000", "2024-05-02 00:00:05 +0000"},
    /* aliases, with and without @ */
    {"UTC", "@hourly", "2024-05-01 12:00:00 +0000", "2024-05-01 13:00:00 +0000"},
    {"UTC", "hourly", "2024-05-01 12:59:59 +0000", "2024-05-01 13:00:00 +0000"},
    {"UTC", "@daily", "2024-05-01 12:00:00 +0000", "2024-05-02 00:00:00 +0000"},
    {"UTC", "midnight", "2024-05-01 12:00:00 +0000", "2024-05-02 00:00:00 +0000"},
    {"UTC", "@weekly", "2024-05-01 12:00:00 +0000", "2024-05-05 00:00:00 +0000"},
    {"UTC", "@monthly", "2024-05-01 00:00:00 +0000", "2024-06-01 00:00:00 +0000"},
    {"UTC", "@yearly", "2024-05-01 00:00:00 +0000", "2025-01-01 00:00:00 +0000"},
    {"UTC", " @ANNUALLY ", "2024-05-01 00:00:00 +0000", "2025-01-01 00:00:00 +0000"},
    {"UTC", "@reboot", "2024-05-01 00:00:00 +0000", NULL},

    /* New York, spring forward 2024-03-10 02:00 EST -> 03:00 EDT */
    {"America/New_York", "30 2 * * *", "2024-03-10 01:59:00 -0500", "2024-03-10 03:00:00 -0400"},
    {"America/New_York", "30 2 * * *", "2024-03-10 03:00:00 -0400", "2024-03-11 02:30:00 -0400"},
    {"America/New_York", "0,15,30,45 2 * * *", "2024-03-10 01:00:00 -0500",
     "2024-03-10 03:00:00 -0400"},
    {"America/New_York", "0,15,30,45 2 * * *", "2024-03-10 03:00:00 -0400",
     "2024-03-11 02:00:00 -0400"},
    {"America/New_York", "0 3 * * *", "2024-03-10 01:00:00 -0500", "2024-03-10 03:00:00 -0400"},
    {"America/New_York", "0 3 * * *", "2024-03-10 03:00:00 -0400", "2024-03-11 03:00:00 -0400"},
    {"America/New_York", "0 * * * *", "2024-03-10 01:00:00 -0500", "2024-03-10 03:00:00 -0400"},
    {"America/New_York", "*/15 * * * *", "2024-03-10 01:45:00 -0500", "2024-03-10 03:00:00 -0400"},
    {"America/New_York", "30 * * * *", "2024-03-10 01:30:00 -0500", "2024-03-10 03:30:00 -0400"},
    {"America/New_York", "* * * * * */20", "2024-03-10 01:59:40 -0500",
     "2024-03-10 03:00:00 -0400"},
    /* New York, fall back 2024-11-03 02:00 EDT -> 01:00 EST */
    {"America/New_York", "30 1 * * *", "2024-11-03 00:00:00 -0400", "2024-11-03 01:30:00 -0400"},
    {"America/New_York", "30 1 * * *", "2024-11-03 01:30:00 -0400", "2024-11-04 01:30:00 -0500"},
    {"America/New_York", "45 1 * * *", "2024-11-03 01:10:00 -0500", "2024-11-04 01:45:00 -0500"},
    {"America/New_York", "0 1 * * *", "2024-11-03 01:00:00 -0400", "2024-11-04 01:00:00 -0500"},
    {"America/New_York", "0 2 * * *", "2024-11-03 01:30:00 -0400", "2024-11-03 02:00:00 -0500"},
    {"America/New_York", "*/30 * * * *", "2024-11-03 01:30:00 -0400", "2024-11-03 01:00:00 -0500"},
    {"America/New_York", "*/30 * * * *", "2024-11-03 01:00:00 -0500", "2024-11-03 01:30:00 -0500"},
    {"America/New_York", "0 * * * *", "2024-11-03 01:00:00 -0400", "2024-11-03 01:00:00 -0500"},
    {"America/New_York", "@daily", "2024-11-02 00:00:00 -0400", "2024-11-03 00:00:00 -0400"},
    {"America/New_York", "@daily", "2024-11-03 00:00:00 -0400", "2024-11-04 00:00:00 -0500"},

    /* Berlin, spring forward 2024-03-31 02:00 CET -> 03:00 CEST */
    {"Europe/Berlin", "0 2 * * *", "2024-03-31 01:00:00 +0100", "2024-03-31 03:00:00 +0200"},
    {"Europe/Berlin", "0 2 * * *", "2024-03-31 03:00:00 +0200", "2024-04-01 02:00:00 +0200"},
    {"Europe/Berlin", "59 2 * * *", "2024-03-31 01:59:00 +0100", "2024-03-31 03:00:00 +0200"},
    {"Europe/Berlin", "15 * * * *", "2024-03-31 01:15:00 +0100", "2024-03-31 03:15:00 +0200"},
    /* Berlin, fall back 2024-10-27 03:00 CEST -> 02:00 CET */
    {"Europe/Berlin", "30 2 * * *", "2024-10-27 00:00:00 +0200", "2024-10-27 02:30:00 +0200"},
    {"Europe/Berlin", "30 2 * * *", "2024-10-27 02:30:00 +0200", "2024-10-28 02:30:00 +0100"},
    {"Europe/Berlin", "0,30 2 * * *", "2024-10-27 02:00:00 +0200", "2024-10-27 02:30:00 +0200"},
    {"Europe/Berlin", "0,30 2 * * *", "2024-10-27 02:30:00 +0200", "2024-10-28 02:00:00 +0100"},
    {"Europe/Berlin", "0 3 * * *", "2024-10-27 02:30:00 +0100", "2024-10-27 03:00:00 +0100"},
    {"Europe/Berlin", "*/20 * * * *", "2024-10-27 02:40:00 +0200", "2024-10-27 02:00:00 +0100"},
    {"Europe/Berlin", "0 0 31 * *", "2024-08-31 00:00:00 +0200", "2024-10-31 00:00:00 +0100"},

    /* Lord Howe moves by 30 minutes: 2024-10-06 02:00 -> 02:30, 2024-04-07 02:00 -> 01:30 */
    {"Australia/Lord_Howe", "15 2 * * *", "2024-10-06 01:00:00 +1030", "2024-10-06 02:30:00 +1100"},
    {"Australia/Lord_Howe", "*/10 * * * *", "2024-10-06 01:50:00 +1030",
     "2024-10-06 02:30:00 +1100"},
    {"Australia/Lord_Howe", "*/20 * * * *", "2024-04-07 01:40:00 +1100",
     "2024-04-07 01:40:00 +1030"},
    {"Australia/Lord_Howe", "45 1 * * *", "2024-04-07 01:45:00 +1100", "2024-04-08 01:45:00 +1030"},
    /* Santiago skips midnight: 2024-09-08 00:00 -> 01:00 */
    {"America/Santiago", "@daily", "2024-09-07 00:00:00 -0400", "2024-09-08 01:00:00 -0300"},
    {"America/Santiago", "@daily", "2024-09-08 01:00:00 -0300", "2024-09-09 00:00:00 -0300"},
};

static void test_table(void **state)
{
	int failures = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		use_zone(row->zone);
		struct cron_expr e;
		char err[256];
		if (cron_expr_parse(row->expr, &e, err, sizeof(err)) < 0) {
			print_error("row %zu '%s': parse failed: %s\n", i, row->expr, err);
			failures++;
			continue;
		}
		time_t next = 0;
		errno = 0;
		int status = cron_expr_next(&e, instant(row->now), &next);
		char got[64] = "never";
		if (status == 0)
			local_text(next, got, sizeof(got));
		else if (errno != ERANGE)
			snprintf(got, sizeof(got), "error %d", errno);
		const char *expected = row->expected ? row->expected : "never";
		if (strcmp(got, expected) != 0) {
			print_error("row %zu %s '%s' after %s: expected %s, got %s\n", i, row->zone,
				    row->expr, row->now, expected, got);
			failures++;
		}
	}
	use_zone("UTC");
	assert_int_equal(failures, 0);
}

/* Chained: a fire time fed back in gives the following one, and never the same. */
static void test_sequence_across_fall_back(void **state)
{
	use_zone("America/New_York");
	struct cron_expr e;
	assert_int_equal(cron_expr_parse("*/30 * * * *", &e, NULL, 0), 0);
	const char *expected[] = {
	    "2024-11-03 00:30:00 -0400", "2024-11-03 01:00:00 -0400", "2024-11-03 01:30:00 -0400",
	    "2024-11-03 01:00:00 -0500", "2024-11-03 01:30:00 -0500", "2024-11-03 02:00:00 -0500",
	};
	time_t t = instant("2024-11-03 00:00:00 -0400");
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		char got[64];
		assert_int_equal(cron_expr_next(&e, t, &t), 0);
		local_text(t, got, sizeof(got));
		assert_string_equal(got, expected[i]);
	}

	/* a time of day in the repeated hour fires once */
	assert_int_equal(cron_expr_parse("*/30 1 * * *", &e, NULL, 0), 0);
	const char *once[] = {"2024-11-03 01:00:00 -0400", "2024-11-03 01:30:00 -0400",
			      "2024-11-04 01:00:00 -0500"};
	t = instant("2024-11-03 00:00:00 -0400");
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		char got[64];
		assert_int_equal(cron_expr_next(&e, t, &t), 0);
		local_text(t, got, sizeof(got));
		assert_string_equal(got, once[i]);
	}
	use_zone("UTC");
}

/* Every second across a whole year in Berlin: strictly increasing, no crash, fast enough. */
static void test_monotonic_year(void **state)
{
	use_zone("Europe/Berlin");
	struct cron_expr e;
	assert_int_equal(cron_expr_parse("17 */3 * * *", &e, NULL, 0), 0);
	time_t t = instant("2024-01-01 00:00:00 +0100");
	time_t end = instant("2025-01-01 00:00:00 +0100");
	int count = 0;
	while (t < end) {
		time_t next;
		assert_int_equal(cron_expr_next(&e, t, &next), 0);
		assert_true(next > t);
		t = next;
		count++;
	}
	assert_int_equal(count, 366 * 8 + 1); /* 2024 is a leap year; one fire in 2025 */
	use_zone("UTC");
}

struct bad {
	const char *expr;
	const char *message_part;
};

static const struct bad bad_rows[] = {
    {"", "empty"},
    {"   ", "empty"},
    {"* * * *", "found 4 fields"},
    {"* * * * * * *", "more than 6 fields"},
    {"60 * * * *", "minute: found '60', allowed: 0-59"},
    {"* 24 * * *", "hour: found '24', allowed: 0-23"},
    {"* * 0 * *", "day-of-month: found '0', allowed: 1-31"},
    {"* * 32 * *", "day-of-month: found '32'"},
    {"* * * 13 *", "month: found '13', allowed: 1-12 or jan-dec"},
    {"* * * * 8", "day-of-week: found '8', allowed: 0-7 or sun-sat"},
    {"* * * * * 60", "second: found '60'"},
    {"*/0 * * * *", "minute: found step '/0'"},
    {"5-1 * * * *", "minute: found '5-1', allowed: ranges from low to high"},
    {"abc * * * *", "minute: found 'abc'"},
    {"jan * * * *", "minute: found 'jan'"},
    {"* * * janx *", "month: found 'janx'"},
    {"1,,2 * * * *", "minute: found an empty list item"},
    {"1, * * * *", "minute: found an empty list item"},
    {"* * * * mon-", "day-of-week: found 'mon-'"},
    {"*/ * * * *", "minute: found '*/'"},
    {"1-2-3 * * * *", "minute: found '1-2-3'"},
    {"99999999999 * * * *", "minute: found '99999999999'"},
    {"? * * * *", "minute: found '?'"},
    {"@fortnightly", "found '@fortnightly', allowed: @yearly"},
    {"@", "found '@'"},
};

static void test_parse_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct cron_expr e;
		char err[256];
		errno = 0;
		if (cron_expr_parse(bad_rows[i].expr, &e, err, sizeof(err)) == 0)
			fail_msg("'%s' was accepted", bad_rows[i].expr);
		assert_int_equal(errno, EINVAL);
		if (!strstr(err, bad_rows[i].message_part))
			fail_msg("'%s': message '%s' lacks '%s'", bad_rows[i].expr, err,
				 bad_rows[i].message_part);
	}
	/* a tiny or missing buffer is fine */
	struct cron_expr e;
	char tiny[4];
	assert_int_equal(cron_expr_parse("61 * * * *", &e, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), 3);
	assert_int_equal(cron_expr_parse("61 * * * *", &e, NULL, 0), -1);
}

static void test_parse_fields(void **state)
{
	struct cron_expr e;
	assert_int_equal(cron_expr_parse("\t0  12\t1 * sun,7 ", &e, NULL, 0), 0);
	assert_int_equal(e.minutes, 1);
	assert_int_equal(e.hours, 1u << 12);
	assert_int_equal(e.days, 1u << 1);
	assert_int_equal(e.months, 0x1FFE);
	assert_int_equal(e.weekdays, 1);
	assert_int_equal(e.seconds, 1);
	assert_false(e.reboot);

	assert_int_equal(cron_expr_parse("reboot", &e, NULL, 0), 0);
	assert_true(e.reboot);
	assert_int_equal(cron_expr_parse("@Reboot", &e, NULL, 0), 0);
	assert_true(e.reboot);
	time_t next;
	errno = 0;
	assert_int_equal(cron_expr_next(&e, 0, &next), -1);
	assert_int_equal(errno, ERANGE);

	assert_string_equal(cron_expr_alias("daily"), "0 0 * * *");
	assert_string_equal(cron_expr_alias("@weekly"), "0 0 * * 0");
	assert_string_equal(cron_expr_alias("@reboot"), "@reboot");
	assert_null(cron_expr_alias("0 0 * * *"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	   cmocka_unit_test(test_sequence_across_fall_back),
	    cmocka_unit_test(test_monotonic_year), cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
