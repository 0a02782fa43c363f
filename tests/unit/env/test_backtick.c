/*
 * test_backtick.c — the default backtick runner with a real /bin/sh: output tidied, stderr
 * merged, exit status, the timeout (the command is killed, the caller is not stuck), the
 * output bound, the environment given, and the error callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf/backtick.h"

static char *run_shell(const struct backtick_shell *shell, const char *command, char **error)
{
	struct backtick_request request = {command, false, 0, 0};
	char *output = NULL;
	*error = NULL;
	if (backtick_shell_run((void *)shell, &request, &output, error) < 0)
		return NULL;
	return output;
}

static void test_output_and_stderr(void **state)
{
	(void)state;
	char *error = NULL;
	char *out = run_shell(NULL, "echo hello; echo world >&2", &error);
	assert_non_null(out);
	assert_string_equal(out, "hello\nworld\n");
	free(out);
}

static void test_exit_status(void **state)
{
	(void)state;
	char *error = NULL;
	char *out = run_shell(NULL, "echo partial; exit 3", &error);
	assert_null(out);
	assert_non_null(strstr(error, "3"));
	free(error);
}

static void test_timeout_kills(void **state)
{
	(void)state;
	struct backtick_shell shell = {300, 0, NULL, NULL};
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char *error = NULL;
	/* The background child keeps the pipe open too: the whole group must go. */
	char *out = run_shell(&shell, "sleep 30 & sleep 30", &error);
	clock_gettime(CLOCK_MONOTONIC, &end);
	assert_null(out);
	assert_non_null(strstr(error, "timed out"));
	free(error);
	/* Generous: the point is that it did not wait for the 30 s sleeps. */
	assert_true(end.tv_sec - start.tv_sec < 20);
}

static void test_closed_stdout_still_bounded(void **state)
{
	(void)state;
	struct backtick_shell shell = {300, 0, NULL, NULL};
	char *error = NULL;
	char *out = run_shell(&shell, "exec >&- 2>&-; sleep 30", &error);
	assert_null(out);
	assert_non_null(strstr(error, "timed out"));
	free(error);
}

static void test_output_bound(void **state)
{
	(void)state;
	struct backtick_shell shell = {0, 10, NULL, NULL};
	char *error = NULL;
	char *out = run_shell(
	    &shell, "i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done", &error);
	assert_non_null(out);
	assert_string_equal(out, "0123456789");
	free(out);
}

static void test_environment(void **state)
{
	(void)state;
	char *envp[] = {"GREETING=from the initial environment", "PATH=/usr/bin:/bin", NULL};
	struct backtick_shell shell = {0, 0, envp, NULL};
	char *error = NULL;
	char *out = run_shell(&shell, "echo \"$GREETING\"", &error);
	assert_string_equal(out, "from the initial environment\n");
	free(out);
}

static void test_missing_shell(void **state)
{
	(void)state;
	struct backtick_shell shell = {0, 0, NULL, "/nonexistent/sh"};
	char *error = NULL;
	char *out = run_shell(&shell, "true", &error);
	assert_null(out);
	assert_non_null(strstr(error, "cannot run"));
	free(error);
}

static char *last_failed;
static void remember_failure(void *arg, const char *command, const char *message)
{
	(void)arg;
	free(last_failed);
	if (asprintf(&last_failed, "%s: %s", command, message) < 0)
		last_failed = NULL;
}

static void test_cache_tidy_and_errors(void **state)
{
	(void)state;
	struct backtick *backtick = backtick_new(backtick_shell_run, NULL);
	backtick_on_error(backtick, remember_failure, NULL);
	struct backtick_request request = {"printf '  a\\nb\\n\\n'", false, 0, 0};
	char *out = backtick_output(backtick, &request);
	assert_string_equal(out, "a b");
	free(out);
	request.command = "exit 4";
	out = backtick_output(backtick, &request);
	assert_string_equal(out, "");
	assert_non_null(last_failed);
	assert_non_null(strstr(last_failed, "exit 4: "));
	free(out);
	free(last_failed);
	last_failed = NULL;
	backtick_free(backtick);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_output_and_stderr),
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_timeout_kills),
	    cmocka_unit_test(test_closed_stdout_still_bounded),
	    cmocka_unit_test(test_output_bound),
	    cmocka_unit_test(test_environment),
	    cmocka_unit_test(test_missing_shell),
	    cmocka_unit_test(test_cache_tidy_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
