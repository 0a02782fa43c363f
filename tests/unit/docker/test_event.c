/*
 * test_event.c — Engine events: parsing Docker's and Podman's objects, action normalization,
 * and the de-duplication window used when a reconnect replays from `since`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"

static int parse(const char *line, struct event *ev)
{
	return event_parse(line, strlen(line), ev);
}

static void test_docker_event(void **state)
{
	struct event ev;
	assert_int_equal(
	    parse("{\"status\":\"die\",\"id\":\"abc\",\"Type\":\"container\",\"Action\":\"die\","
		  "\"Actor\":{\"ID\":\"abc123\",\"Attributes\":{\"name\":\"web\",\"exitCode\":"
		  "\"137\"}},"
		  "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000123456789}",
		  &ev),
	    0);
	assert_string_equal(ev.id, "abc123");
	assert_string_equal(ev.name, "web");
	assert_string_equal(ev.action, "die");
	assert_int_equal(ev.time_nano, 1700000000123456789LL);
	assert_false(ev.is_exec);
	assert_int_equal(parse("{\"Type\":\"container\",\"Action\":\"exec_start: sh -c true\","
			       "\"Actor\":{\"ID\":\"x\"},\"time\":5}",
			       &ev),
			 0);
	assert_string_equal(ev.action, "exec_start");
	assert_true(ev.is_exec);
	assert_int_equal(ev.time_nano, 5000000000LL);
}

static void test_ignored_and_malformed(void **state)
{
	struct event ev;
	assert_int_equal(
	    parse("{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"x\"}}", &ev), 1);
	assert_int_equal(parse("{\"Type\":\"container\",\"Action\":\"start\"}", &ev), 1);
	assert_int_equal(parse("{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{}}", &ev),
			 1);
	assert_int_equal(parse("[1,2]", &ev), -1);
	assert_int_equal(parse("{\"Type\":", &ev), -1);
	assert_int_equal(parse("", &ev), -1);
}

static void test_normalize(void **state)
{
	const char *cases[][2] = {
	    {"health_status: healthy", "health_status"},
	    {"exec_create: sh -c x", "exec_create"},
	    {"remove", "destroy"},
	    {"died", "die"},
	    {"exec_died", "exec_die"},
	    {"exec", "exec_start"},
	    {"start", "start"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char action[EVENT_ACTION_MAX + 1];
		snprintf(action, sizeof(action), "%s", cases[i][0]);
		event_normalize_action(action);
		assert_string_equal(action, cases[i][1]);
	}
}

static void test_seen_window(void **state)
{
	static struct event_seen seen;
	memset(&seen, 0, sizeof(seen));
	struct event a = {.id = "a", .action = "start", .time_nano = 100};
	struct event b = {.id = "a", .action = "die", .time_nano = 100};
	assert_false(event_seen_check(&seen, &a));
	assert_true(event_seen_check(&seen, &a));
	assert_false(event_seen_check(&seen, &b)); /* same time, other action */
	assert_int_equal(seen.last_time_nano, 100);
	/* fill the window: the oldest falls out, but anything older than the window is
	 * treated as already handled */
	for (int i = 0; i < EVENT_SEEN_MAX; i++) {
		struct event e = {.id = "z", .action = "top", .time_nano = 200 + i};
		assert_false(event_seen_check(&seen, &e));
	}
	assert_true(event_seen_check(&seen, &a));
	assert_int_equal(seen.last_time_nano, 200 + EVENT_SEEN_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker_event),
	    cmocka_unit_test(test_ignored_and_malformed),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_seen_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
