/*
 * test_core.c — the pure parts of the ground floor: shlex-style splitting, signal names,
 * exit-status codes, the options table, and the timer heap's ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/argv.h"
#include "core/child.h"
#include "core/loop.h"

static const struct {
	const char *text;
	const char *words[6]; /* NULL-terminated; words[0] == "!" means an error */
} split_cases[] = {
	{"", {NULL}},
	{"   ", {NULL}},
	{"echo hello", {"echo", "hello", NULL}},
	{"  a   b\tc\n", {"a", "b", "c", NULL}},
	{"'single quoted' x", {"single quoted", "x", NULL}},
	{"\"double \\\"q\\\" \\\\ \\n\"", {"double \"q\" \\ \\n", NULL}},
	{"a\\ b c", {"a b", "c", NULL}},
	{"pre'mid'\"post\"", {"premidpost", NULL}},
	{"''", {"", NULL}},
	{"sh -c 'echo $HOME; exit 3'", {"sh", "-c", "echo $HOME; exit 3", NULL}},
	{"'unterminated", {"!", NULL}},
	{"\"unterminated", {"!", NULL}},
	{"trailing\\", {"!", NULL}},
};

static void test_argv_split(void **state)
{
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		char err[128] = "";
		size_t argc = 99;
		char **argv = argv_split(split_cases[i].text, &argc, err, sizeof(err));
		if (split_cases[i].words[0] && strcmp(split_cases[i].words[0], "!") == 0) {
			assert_null(argv);
			assert_true(err[0] != '\0');
			continue;
		}
		assert_non_null(argv);
		size_t n = 0;
		while (split_cases[i].words[n]) {
			assert_non_null(argv[n]);
			assert_string_equal(argv[n], split_cases[i].words[n]);
			n++;
		}
		assert_null(argv[n]);
		assert_int_equal(argc, n);
		argv_free(argv);
	}
}

static void test_signal_names(void **state)
{
	assert_int_equal(signal_from_name("SIGTERM"), SIGTERM);
	assert_int_equal(signal_from_name("term"), SIGTERM);
	assert_int_equal(signal_from_name("9"), SIGKILL);
	assert_int_equal(signal_from_name("SIGNOPE"), -1);
	assert_int_equal(signal_from_name(""), -1);
	assert_int_equal(signal_from_name("0"), -1);
	assert_string_equal(signal_name(SIGHUP), "SIGHUP");
	assert_null(signal_name(0));
}

static void test_status_codes(void **state)
{
	char buf[64];
	assert_int_equal(child_status_code(W_EXITCODE(7, 0)), 7);
	assert_int_equal(child_status_code(W_EXITCODE(0, SIGKILL)), 137);
	assert_int_equal(child_status_code(W_EXITCODE(0, SIGTERM)), 143);
	assert_string_equal(child_status_describe(W_EXITCODE(3, 0), buf, sizeof(buf)), "exit status 3");
	assert_string_equal(child_status_describe(W_EXITCODE(0, SIGKILL), buf, sizeof(buf)),
			    "killed by SIGKILL");
}

static int order[8];
static int fired;

static void note_fire(struct loop *loop, void *arg)
{
	order[fired++] = (int)(intptr_t)arg;
	if (fired == 4)
		loop_stop(loop);
}

static void test_timer_order(void **state)
{
	struct loop *loop = loop_new();
	assert_non_null(loop);
	struct loop_timer t[5];
	uint64_t delays[5] = {40, 10, 30, 20, 50};
	for (int i = 0; i < 5; i++) {
		loop_timer_init(&t[i], note_fire, (void *)(intptr_t)i);
		loop_timer_start(loop, &t[i], delays[i]);
	}
	loop_timer_stop(loop, &t[4]);       /* stopped timers never fire */
	loop_timer_start(loop, &t[2], 5);   /* re-arming moves a timer */
	assert_false(loop_timer_armed(&t[4]));
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(fired, 4);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 0);
	/* A zeroed (never initialised) timer is harmless to stop. */
	struct loop_timer zero;
	memset(&zero, 0, sizeof(zero));
	loop_timer_stop(loop, &zero);
	loop_free(loop);
	sigprocmask(SIG_SETMASK, loop_original_sigmask(), NULL);
}

static void spawned(pid_t pid, int status, void *arg)
{
	*(int *)arg = status;
}

static void test_spawn_and_reap(void **state)
{
	char *argv[] = {"sh", "-c", "exit 5", NULL};
	struct child_spec spec = {.path = "sh", .argv = argv};
	pid_t pid = child_spawn(&spec);
	assert_true(pid > 0);
	struct child_table *table = child_table_new();
	int status = -1;
	child_watch(table, pid, spawned, &status);
	unsigned long orphans = 0;
	bool none = false;
	for (int i = 0; i < 500 && status < 0; i++) {
		child_reap_all(table, &orphans, &none);
		usleep(10000);
	}
	assert_int_equal(child_status_code(status), 5);
	assert_int_equal(child_table_count(table), 0);

	const char *step = NULL;
	char *missing[] = {"/no/such/program", NULL};
	struct child_spec bad = {.path = missing[0], .argv = missing, .failed_step = &step};
	assert_int_equal(child_spawn(&bad), -1);
	assert_string_equal(step, "exec");
	child_table_free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_spawn_and_reap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
