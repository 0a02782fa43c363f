/*
 * test_options.c — options_parse(): chaperone's command line as docopt reads it (exact names,
 * unique prefixes, options before the command) and the _CHAP_OPTIONS merge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char err[256];

static int parse(struct options *o, int argc, char **argv, const char *chap)
{
	err[0] = '\0';
	return options_parse(o, argc, argv, chap, err, sizeof(err));
}

static void test_exact_names(void **state)
{
	(void)state;
	char *argv[] = {"--config", "/etc/x.d",	       "--user=app", "--exitkills",   "--log-level",
			"warn",	    "--syslog-socket", "/tmp/s",     "--check-config"};
	struct options o;
	assert_int_equal(parse(&o, ARGC(argv), argv, NULL), 0);
	assert_string_equal(o.config, "/etc/x.d");
	assert_string_equal(o.user, "app");
	assert_true(o.exitkills);
	assert_false(o.no_exitkills);
	assert_string_equal(o.log_level, "warn");
	assert_string_equal(o.syslog_socket, "/tmp/s");
	assert_true(o.check_config);
	assert_null(o.command);
	assert_int_equal(o.ncommand, 0);
	options_free(&o);
}

static void test_unique_prefixes(void **state)
{
	(void)state;
	char *argv[] = {"--create", "bob:/home/bob", "--vers",	   "--deb",
			"--ign",    "--no-e",	     "--log=info", "--disable"};
	struct options o;
	assert_int_equal(parse(&o, ARGC(argv), argv, NULL), 0);
	assert_string_equal(o.create_user, "bob:/home/bob");
	assert_true(o.version);
	assert_true(o.debug);
	assert_true(o.ignore_failures);
	assert_true(o.no_exitkills);
	assert_false(o.exitkills);
	assert_string_equal(o.log_level, "info");
	assert_true(o.disable_services);
	options_free(&o);
}

static void test_ambiguous_prefix(void **state)
{
	(void)state;
	static const char *ambiguous[] = {"--no", "--c", "--de", "--s"};
	for (size_t i = 0; i < sizeof(ambiguous) / sizeof(ambiguous[0]); i++) {
		char *argv[] = {(char *)ambiguous[i]};
		struct options o;
		assert_int_equal(parse(&o, 1, argv, NULL), -1);
		assert_non_null(strstr(err, "ambiguous"));
		assert_non_null(strstr(err, ambiguous[i]));
		options_free(&o);
	}
	/* With a value attached, the name part is what must be unique. */
	char *argv[] = {"--co=x"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, NULL), -1);
	assert_non_null(strstr(err, "--co is ambiguous"));
	options_free(&o);
}

static void test_value_forms(void **state)
{
	(void)state;
	char *argv[] = {"--config=a=b", "--user", "--weird", "--default-home=", "--pidzero", "-"};
	struct options o;
	assert_int_equal(parse(&o, ARGC(argv), argv, NULL), 0);
	assert_string_equal(o.config, "a=b");	/* only the first '=' separates */
	assert_string_equal(o.user, "--weird"); /* the next word is the value, whatever it is */
	assert_string_equal(o.default_home, "");
	assert_string_equal(o.pidzero, "-");
	assert_null(o.command);
	options_free(&o);
}

static void test_value_missing(void **state)
{
	(void)state;
	char *argv[] = {"--log-level"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, NULL), -1);
	assert_string_equal(err, "--log-level requires a value");
	options_free(&o);

	char *argv2[] = {"--conf"};
	assert_int_equal(parse(&o, 1, argv2, NULL), -1);
	assert_string_equal(err, "--config requires a value");
	options_free(&o);
}

static void test_flag_refuses_value(void **state)
{
	(void)state;
	char *argv[] = {"--debug=yes"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, NULL), -1);
	assert_string_equal(err, "--debug takes no value");
	options_free(&o);

	char *argv2[] = {"--forc=1"};
	assert_int_equal(parse(&o, 1, argv2, NULL), -1);
	assert_string_equal(err, "--force takes no value");
	options_free(&o);
}

static void test_options_first(void **state)
{
	(void)state;
	char *argv[] = {"--debug", "bash", "--force", "-c", "--", "x"};
	struct options o;
	assert_int_equal(parse(&o, ARGC(argv), argv, NULL), 0);
	assert_true(o.debug);
	assert_false(o.force); /* after the command: the command's, not ours */
	assert_int_equal(o.ncommand, 5);
	assert_string_equal(o.command[0], "bash");
	assert_string_equal(o.command[1], "--force");
	assert_string_equal(o.command[4], "x");
	options_free(&o);

	char *argv2[] = {"--task", "--", "--debug", "-h"};
	assert_int_equal(parse(&o, ARGC(argv2), argv2, NULL), 0);
	assert_true(o.task);
	assert_false(o.debug);
	assert_false(o.help);
	assert_int_equal(o.ncommand, 2);
	assert_string_equal(o.command[0], "--debug");
	assert_string_equal(o.command[1], "-h");
	options_free(&o);

	/* A lone "--" at the end: no command. */
	char *argv3[] = {"--force", "--"};
	assert_int_equal(parse(&o, ARGC(argv3), argv3, NULL), 0);
	assert_true(o.force);
	assert_null(o.command);
	assert_int_equal(o.ncommand, 0);
	options_free(&o);
}

static void test_help(void **state)
{
	(void)state;
	char *argv[] = {"-h"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, NULL), 0);
	assert_true(o.help);
	options_free(&o);

	char *argv2[] = {"--he"};
	assert_int_equal(parse(&o, 1, argv2, NULL), 0);
	assert_true(o.help);
	options_free(&o);
}

static void test_unknown_options(void **state)
{
	(void)state;
	char *argv[] = {"--bogus"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, NULL), -1);
	assert_string_equal(err, "unknown option --bogus");
	options_free(&o);

	char *argv2[] = {"--bogus=3"};
	assert_int_equal(parse(&o, 1, argv2, NULL), -1);
	assert_string_equal(err, "unknown option --bogus");
	options_free(&o);

	char *argv3[] = {"--debug", "-x"};
	assert_int_equal(parse(&o, 2, argv3, NULL), -1);
	assert_string_equal(err, "unknown option -x");
	options_free(&o);

	/* An unknown option after the command is the command's business. */
	char *argv4[] = {"cmd", "--bogus"};
	assert_int_equal(parse(&o, 2, argv4, NULL), 0);
	assert_int_equal(o.ncommand, 2);
	options_free(&o);
}

static void test_chap_options_fill_unset(void **state)
{
	(void)state;
	char *argv[] = {"--config", "/mine", "--debug"};
	struct options o;
	assert_int_equal(
	    parse(&o, ARGC(argv), argv,
		  "--config /theirs --user 'app user' --force --debug sh -c 'echo hi'"),
	    0);
	assert_string_equal(o.config, "/mine");	 /* set on the command line: kept */
	assert_string_equal(o.user, "app user"); /* unset: taken from the variable */
	assert_true(o.force);
	assert_true(o.debug);
	assert_false(o.task);
	assert_int_equal(o.ncommand, 3); /* no command given: the variable's */
	assert_string_equal(o.command[0], "sh");
	assert_string_equal(o.command[1], "-c");
	assert_string_equal(o.command[2], "echo hi");
	assert_null(o.command[3]);
	options_free(&o);
}

static void test_chap_options_command_kept(void **state)
{
	(void)state;
	char *argv[] = {"mine", "arg"};
	struct options o;
	assert_int_equal(parse(&o, ARGC(argv), argv, "--task theirs x y"), 0);
	assert_true(o.task);
	assert_int_equal(o.ncommand, 2);
	assert_string_equal(o.command[0], "mine");
	assert_string_equal(o.command[1], "arg");
	options_free(&o);

	/* Empty variable: nothing merged, nothing owned. */
	assert_int_equal(parse(&o, 0, NULL, ""), 0);
	assert_null(o.command);
	assert_null(o.owned);
	options_free(&o);
}

static void test_no_defaults_ignores_variable(void **state)
{
	(void)state;
	char *argv[] = {"--no-def"};
	struct options o;
	assert_int_equal(parse(&o, 1, argv, "--force --user app cmd"), 0);
	assert_true(o.no_defaults);
	assert_false(o.force);
	assert_null(o.user);
	assert_null(o.command);
	options_free(&o);

	/* Ignored so completely that a broken variable is no error either. */
	assert_int_equal(parse(&o, 1, argv, "--bogus 'unterminated"), 0);
	options_free(&o);
}

static void test_bad_chap_options(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, 0, NULL, "--bogus"), -1);
	assert_string_equal(err, "_CHAP_OPTIONS: unknown option --bogus");
	options_free(&o);

	assert_int_equal(parse(&o, 0, NULL, "--no"), -1);
	assert_non_null(strstr(err, "_CHAP_OPTIONS: --no is ambiguous"));
	options_free(&o);

	assert_int_equal(parse(&o, 0, NULL, "--debug=1"), -1);
	assert_string_equal(err, "_CHAP_OPTIONS: --debug takes no value");
	options_free(&o);

	assert_int_equal(parse(&o, 0, NULL, "--user 'no end"), -1);
	assert_non_null(strstr(err, "_CHAP_OPTIONS"));
	assert_non_null(strstr(err, "quotation"));
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_names),
	    cmocka_unit_test(test_unique_prefixes),
	    cmocka_unit_test(test_ambiguous_prefix),
	    cmocka_unit_test(test_value_forms),
	    cmocka_unit_test(test_value_missing),
	    cmocka_unit_test(test_flag_refuses_value),
	    cmocka_unit_test(test_options_first),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_unknown_options),
	    cmocka_unit_test(test_chap_options_fill_unset),
	    cmocka_unit_test(test_chap_options_command_kept),
	    cmocka_unit_test(test_no_defaults_ignores_variable),
	    cmocka_unit_test(test_bad_chap_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
