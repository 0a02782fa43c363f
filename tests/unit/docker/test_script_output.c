/*
 * test_script_output.c — how a registration script's output splits into header and body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "discovery.h"

static int split(const char *out, struct script *s, struct header_error *err)
{
	memset(s, 0, sizeof(*s));
	return discovery_parse_output(out, strlen(out), s, err);
}

static void test_split(void **state)
{
	struct script s;
	struct header_error err;
	assert_int_equal(split("%me:die\necho one\necho two\n\n\n", &s, &err), 0);
	assert_string_equal(s.body, "echo one\necho two");
	assert_true(header_group_has_event(&s.header.groups[0], "die"));
	script_free(&s);
	/* a header alone: an empty body */
	assert_int_equal(split("%all\n", &s, &err), 0);
	assert_string_equal(s.body, "");
	script_free(&s);
	/* blank first line: %me */
	assert_int_equal(split("\ntouch /x\n", &s, &err), 0);
	assert_int_equal(s.header.groups[0].terms[0].target, HEADER_ME);
	assert_string_equal(s.body, "touch /x");
	script_free(&s);
}

static void test_empty_and_invalid(void **state)
{
	struct script s;
	struct header_error err;
	assert_int_equal(split("", &s, &err), 1);
	assert_int_equal(split("\n\n", &s, &err), 1);
	assert_int_equal(split("%me:\nbody\n", &s, &err), -1);
	assert_int_equal(err.column, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_empty_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
