/*
 * test_command.c — the control command parser (src/ctl/command.c): shlex-style words, verbs,
 * options (prefixes, "--", per-verb), argument counts, errors, and quoting round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/command.h"

static struct ctl_command cmd;
static char err[256];

static enum ctl_parse_result parse(const char *line)
{
	return ctl_command_parse(line, strlen(line), &cmd, err, sizeof(err));
}

static void test_status(void **state)
{
	assert_int_equal(parse("status"), CTL_PARSE_OK);
	assert_int_equal(cmd.verb, CTL_STATUS);
	assert_int_equal(cmd.options, 0);
	assert_true(ctl_command_read_only(&cmd));
	assert_int_equal(parse("status --json\n"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_JSON);
	assert_int_equal(parse("  status   --check\r\n"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_CHECK);
	assert_int_equal(parse("status extra"), CTL_PARSE_USAGE);
	assert_int_equal(parse("status --force"), CTL_PARSE_USAGE);
}

static void test_service_verbs(void **state)
{
	assert_int_equal(parse("start --force --wait --enable a b.service"), CTL_PARSE_OK);
	assert_int_equal(cmd.verb, CTL_START);
	assert_int_equal(cmd.options, CTL_OPT_FORCE | CTL_OPT_WAIT | CTL_OPT_ENABLE);
	assert_int_equal(cmd.nargs, 2);
	assert_string_equal(cmd.args[0], "a");
	assert_string_equal(cmd.args[1], "b.service");
	assert_false(ctl_command_read_only(&cmd));
	/* options after names, docopt-style */
	assert_int_equal(parse("stop web --disable"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_DISABLE);
	assert_int_equal(cmd.nargs, 1);
	/* option not allowed for this verb */
	assert_int_equal(parse("start --disable web"), CTL_PARSE_USAGE);
	assert_int_equal(parse("reset --enable web"), CTL_PARSE_USAGE);
	assert_int_equal(parse("enable --force web"), CTL_PARSE_USAGE);
	assert_int_equal(parse("restart --wait a"), CTL_PARSE_OK);
	assert_int_equal(cmd.verb, CTL_RESTART);
	assert_int_equal(parse("disable a b c"), CTL_PARSE_OK);
	assert_int_equal(cmd.nargs, 3);
}

static void test_prefixes_and_double_dash(void **state)
{
	assert_int_equal(parse("start --f --w x"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_FORCE | CTL_OPT_WAIT);
	assert_int_equal(parse("status --j"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_JSON);
	/* --e is --enable for start (only one candidate) */
	assert_int_equal(parse("start --e x"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_ENABLE);
	assert_int_equal(parse("stop -- --force"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, 0);
	assert_string_equal(cmd.args[0], "--force");
	assert_int_equal(parse("stop -x"), CTL_PARSE_USAGE);
	assert_non_null(strstr(err, "-x"));
}

static void test_arg_counts(void **state)
{
	assert_int_equal(parse("loglevel"), CTL_PARSE_OK);
	assert_int_equal(cmd.nargs, 0);
	assert_int_equal(parse("loglevel *.info"), CTL_PARSE_OK);
	assert_string_equal(cmd.args[0], "*.info");
	assert_int_equal(parse("loglevel a b"), CTL_PARSE_USAGE);
	assert_int_equal(parse("shutdown 2.5"), CTL_PARSE_OK);
	assert_string_equal(cmd.args[0], "2.5");
	assert_int_equal(parse("shutdown -1"), CTL_PARSE_OK); /* a number, refused later */
	assert_int_equal(parse("dependencies x"), CTL_PARSE_USAGE);
	assert_int_equal(parse("reload"), CTL_PARSE_OK);
	assert_int_equal(parse("reload now"), CTL_PARSE_USAGE);
}

static void test_logs(void **state)
{
	assert_int_equal(parse("logs"), CTL_PARSE_OK);
	assert_int_equal(cmd.lines, -1);
	assert_int_equal(parse("logs -f -n 20 web"), CTL_PARSE_OK);
	assert_int_equal(cmd.options, CTL_OPT_FOLLOW);
	assert_int_equal(cmd.lines, 20);
	assert_int_equal(cmd.nargs, 1);
	assert_int_equal(parse("logs --lines=5 --follow"), CTL_PARSE_OK);
	assert_int_equal(cmd.lines, 5);
	assert_int_equal(parse("logs -n"), CTL_PARSE_USAGE);
	assert_int_equal(parse("logs -n x"), CTL_PARSE_USAGE);
}

static void test_words(void **state)
{
	assert_int_equal(parse("start 'a b' \"c \\\"d\\\"\" e\\ f g'h'\"i\""), CTL_PARSE_OK);
	assert_int_equal(cmd.nargs, 4);
	assert_string_equal(cmd.args[0], "a b");
	assert_string_equal(cmd.args[1], "c \"d\"");
	assert_string_equal(cmd.args[2], "e f");
	assert_string_equal(cmd.args[3], "ghi");
	assert_int_equal(parse("start ''"), CTL_PARSE_OK);
	assert_int_equal(cmd.nargs, 1);
	assert_string_equal(cmd.args[0], "");
	assert_int_equal(parse("start 'open"), CTL_PARSE_SYNTAX);
	assert_string_equal(err, "No closing quotation");
	assert_int_equal(parse("start a\\"), CTL_PARSE_SYNTAX);
	assert_int_equal(parse(""), CTL_PARSE_EMPTY);
	assert_int_equal(parse("   \n"), CTL_PARSE_EMPTY);
	assert_int_equal(parse("frobnicate"), CTL_PARSE_USAGE);
	assert_non_null(strstr(err, "frobnicate"));
	assert_int_equal(ctl_command_parse("status\0x", 8, &cmd, err, sizeof(err)),
			 CTL_PARSE_SYNTAX);
}

static void test_limits(void **state)
{
	static char line[CTL_LINE_MAX + 10];
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse(line), CTL_PARSE_SYNTAX);
	/* as many one-letter words as fit: too many words */
	size_t n = 0;
	n += (size_t)sprintf(line, "start");
	for (int i = 0; i < CTL_ARGS_MAX + 1; i++)
		n += (size_t)sprintf(line + n, " x");
	assert_int_equal(parse(line), CTL_PARSE_SYNTAX);
}

static void round_trip(const char *word)
{
	char quoted[256], line[300];
	ctl_quote_word(word, quoted, sizeof(quoted));
	snprintf(line, sizeof(line), "start %s", quoted);
	assert_int_equal(parse(line), CTL_PARSE_OK);
	assert_int_equal(cmd.nargs, 1);
	assert_string_equal(cmd.args[0], word);
}

static void test_quote(void **state)
{
	char out[64];
	assert_int_equal(ctl_quote_word("web.service", out, sizeof(out)), 11);
	assert_string_equal(out, "web.service");
	ctl_quote_word("a b", out, sizeof(out));
	assert_string_equal(out, "'a b'");
	ctl_quote_word("", out, sizeof(out));
	assert_string_equal(out, "''");
	ctl_quote_word("it's", out, sizeof(out));
	assert_string_equal(out, "'it'\"'\"'s'");
	round_trip("it's \"quoted\" $HOME \\ back");
	round_trip("tab\there");
	/* too small: the needed length is returned, output stays terminated */
	char tiny[4];
	assert_int_equal(ctl_quote_word("abcdef", tiny, sizeof(tiny)), 6);
	assert_string_equal(tiny, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_service_verbs),
	    cmocka_unit_test(test_prefixes_and_double_dash),
	    cmocka_unit_test(test_arg_counts),
	    cmocka_unit_test(test_logs),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
