/*
 * test_parse.c — the tini and dumb-init argument parsers accept exactly what the originals
 * accept (each case below was checked against /usr/bin/tini and /usr/bin/dumb-init).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "modes/parse.h"

static void test_exit_code(void **state)
{
	(void)state;
	assert_int_equal(modes_parse_exit_code("0"), 0);
	assert_int_equal(modes_parse_exit_code("3"), 3);
	assert_int_equal(modes_parse_exit_code("255"), 255);
	assert_int_equal(modes_parse_exit_code(" 3"), 3);
	assert_int_equal(modes_parse_exit_code("+3"), 3);
	assert_int_equal(modes_parse_exit_code("03"), 3);
	assert_int_equal(modes_parse_exit_code(""), 0); /* tini takes it as 0 */
	assert_int_equal(modes_parse_exit_code("256"), -1);
	assert_int_equal(modes_parse_exit_code("-1"), -1);
	assert_int_equal(modes_parse_exit_code("abc"), -1);
	assert_int_equal(modes_parse_exit_code("0x3"), -1);
	assert_int_equal(modes_parse_exit_code("3 "), -1);
	assert_int_equal(modes_parse_exit_code("99999999999999999999"), -1);
}

static void test_tini_signal(void **state)
{
	(void)state;
	assert_int_equal(modes_parse_tini_signal("SIGKILL"), SIGKILL);
	assert_int_equal(modes_parse_tini_signal("SIGTERM"), SIGTERM);
	assert_int_equal(modes_parse_tini_signal("SIGUSR1"), SIGUSR1);
	assert_int_equal(modes_parse_tini_signal("SIGSYS"), SIGSYS);
	assert_int_equal(modes_parse_tini_signal("SIGWINCH"), SIGWINCH);
	assert_int_equal(modes_parse_tini_signal("KILL"), -1);
	assert_int_equal(modes_parse_tini_signal("9"), -1);
	assert_int_equal(modes_parse_tini_signal("sigkill"), -1);
	assert_int_equal(modes_parse_tini_signal("SIGPWR"), -1);
	assert_int_equal(modes_parse_tini_signal("SIGSTKFLT"), -1);
	assert_int_equal(modes_parse_tini_signal("SIGIO"), -1);
	assert_int_equal(modes_parse_tini_signal(""), -1);
}

static void test_rewrite(void **state)
{
	(void)state;
	int from = -1, to = -1;
	assert_int_equal(modes_parse_rewrite("1:2", &from, &to), 0);
	assert_int_equal(from, 1);
	assert_int_equal(to, 2);
	assert_int_equal(modes_parse_rewrite("15:0", &from, &to), 0);
	assert_int_equal(to, 0);
	assert_int_equal(modes_parse_rewrite("31:31", &from, &to), 0);
	assert_int_equal(modes_parse_rewrite(" 1: 2", &from, &to), 0);
	assert_int_equal(modes_parse_rewrite("+1:-0", &from, &to), 0);
	assert_int_equal(modes_parse_rewrite("1:2x", &from, &to), 0);
	assert_int_equal(modes_parse_rewrite("01:02", &from, &to), 0);
	assert_int_equal(from, 1);
	assert_int_equal(to, 2);
	from = to = -7;
	assert_int_equal(modes_parse_rewrite("1", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("0:1", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("32:1", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("1:32", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("1:-1", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("a:b", &from, &to), -1);
	assert_int_equal(modes_parse_rewrite("", &from, &to), -1);
	assert_int_equal(from, -7); /* untouched on failure */
	assert_int_equal(to, -7);
}

static void test_basename(void **state)
{
	(void)state;
	assert_string_equal(modes_basename("/usr/bin/tini"), "tini");
	assert_string_equal(modes_basename("docker-init"), "docker-init");
	assert_string_equal(modes_basename("./x/dumb-init"), "dumb-init");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_code),
	    cmocka_unit_test(test_tini_signal),
	    cmocka_unit_test(test_rewrite),
	    cmocka_unit_test(test_basename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
