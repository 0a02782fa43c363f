/*
 * test_expand.c — the expansion language, one table row per case: every operator, nesting,
 * quotes, escapes, undefined vs empty, globs, regex groups, backticks (through a fake
 * runner), custom syntax. Expected values were checked against chaperone's own code; rows
 * marked "tend:" are where tend deliberately differs (docs/compat.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/backtick.h"
#include "conf/env.h"
#include "conf/expand.h"

/* Fake runner: "echo ARGS" prints ARGS without double quotes, "fail" fails, anything else
 * gives "<cmd>". Counts its calls. */
static int fake_calls;
static int fake_run(void *arg, const struct backtick_request *request, char **output, char **error)
{
	(void)arg;
	fake_calls++;
	if (strcmp(request->command, "fail") == 0) {
		*error = strdup("exit status 1");
		return -1;
	}
	if (strncmp(request->command, "echo ", 5) == 0) {
		const char *p = request->command + 5;
		char *out = malloc(strlen(p) + 2);
		size_t n = 0;
		for (; *p; p++)
			if (*p != '"')
				out[n++] = *p;
		out[n++] = '\n';
		out[n] = '\0';
		*output = out;
		return 0;
	}
	if (asprintf(output, "  <%s>\n\n", request->command) < 0)
		return -1;
	return 0;
}

struct expand_case {
	const char *text;
	const char *expected; /* NULL: an error containing `error` */
	const char *error;
};

static const struct expand_case plain_cases[] = {
    {"plain text", "plain text", NULL},
    {"", "", NULL},
    /* references */
    {"$(HOME)", "/usr/garyw", NULL},
    {"${HOME}", "/usr/garyw", NULL},
    {"a$(HOME)b${ONE}c", "a/usr/garywbnumber-1c", NULL},
    {"$(UNDEF)", "$(UNDEF)", NULL},
    {"${UNDEF}", "${UNDEF}", NULL},
    {"$(EMPTY)", "", NULL},
    /* :- */
    {"$(UNDEF:-dflt)", "dflt", NULL},
    {"$(EMPTY:-dflt)", "dflt", NULL},
    {"$(ONE:-dflt)", "number-1", NULL},
    {"$(UNDEF:-)", "", NULL},
    {"$(ONE:-)", "number-1", NULL},
    /* :+ and :_ */
    {"$(ONE:+yes)", "yes", NULL},
    {"$(EMPTY:+yes)", "", NULL},
    {"$(UNDEF:+yes)", "", NULL},
    {"$(ONE:_no)", "", NULL},
    {"$(EMPTY:_no)", "no", NULL},
    {"$(UNDEF:_no)", "no", NULL},
    /* :? */
    {"$(ONE:?must)", "number-1", NULL},
    {"$(EMPTY:?ONE is $(ONE))", NULL, "ONE is number-1"},
    {"$(UNDEF:?missing)", NULL, "missing"},
    {"before $(UNDEF:?stop here) after", NULL, "stop here"},
    /* :| */
    {"$(ONE:|set)", "set", NULL},
    {"$(EMPTY:|set)", "", NULL},
    {"$(ONE:|yes|no)", "yes", NULL},
    {"$(UNDEF:|yes|no)", "no", NULL},
    {"$(EMPTY:|yes|no)", "no", NULL},
    {"$(ONE:|number-*|match|nomatch)", "match", NULL},
    {"$(ONE:|NUMBER-?|match|nomatch)", "match", NULL},
    {"$(ONE:|two*|m|n)", "n", NULL},
    {"$(ONE:|[mn]umber-1|m|n)", "m", NULL},
    {"$(MIX:|hello*|greeting|other)", "greeting", NULL},
    {"$(ONE:|a|b|c|d)", "c", NULL}, /* a fourth part is ignored */
    {"$(UNDEF:|*|any|none)", "any", NULL},
    {"$(ONE:|x|it\\|s)", "x", NULL},
    {"$(EMPTY:|x|it\\|s)", "it|s", NULL},  /* tend: \| unescaped in every form */
    {"$(BAR:|a\\|b|yes|no)", "yes", NULL}, /* tend: \| is a bar in the glob too */
    {"$(BAR:|*\\|*|has a bar|no bar)", "has a bar", NULL},
    {"$(ONE:|*|$(TWO)|$(UNDEF:?not taken))", "number-2", NULL}, /* only the branch taken */
    /* :/regex/replacement/flags */
    {"$(ONE:/umb/oob/)", "noober-1", NULL},
    {"$(ONE:/umB/oob/i)", "noober-1", NULL},
    {"$(ONE:/umB/oob/)", "number-1", NULL},
    {"$(ONE:/(n)(u)/\\2\\1/)", "unmber-1", NULL},
    {"$(ONE:/-/\\//)", "number/1", NULL},
    {"$(PATHV:/\\//:/)", ":a:b:c", NULL},
    {"$(ONE:/[0-9]+$/N/)", "number-N", NULL},
    {"$(ONE:/^/>/)", ">number-1", NULL},
    {"$(ONE:/^n|1$/#/)", "#umber-#", NULL},
    {"$(MIX:/\\bW/w/)", "Hello world", NULL},
    {"$(ONE:/x*/-/)", "-n-u-m-b-e-r---1-", NULL},
    {"$(ONE:/e/$(TWO)/)", "numbnumber-2r-1", NULL}, /* the result is expanded again */
    {"$(ONE:/(zz)?-/[\\1]/)", "number[]1", NULL},   /* an unmatched group is empty */
    {"$(MIX:/o/0/)", "Hell0 W0rld", NULL},
    {"$(MIX:/([a-z]+) ([A-Z])/\\2 \\1/i)", "W Helloorld", NULL},
    {"$(ONE:/numb/[\\0]/)", "[numb]er-1", NULL}, /* tend: \0 is the whole match */
    {"$(ONE:/numb/[\\g<0>]/)", "[numb]er-1", NULL},
    {"$(ONE:/u/\\n/)", "n\nmber-1", NULL},
    {"$(ONE:/1/\\\\x/)", "number-\\x", NULL},
    {"$(PATHV:/a/b/c/)", "/c/c", NULL}, /* regex "a/b" replaced by "c" */
    {"$(UNDEF:/a/b/)", "", NULL},
    {"$(ONE:/abc)", NULL, "invalid regex replacement syntax in 'ONE:/abc'"},
    {"$(ONE:/a{2,1}/b/)", NULL, "invalid regular expression"},
    {"$(ONE:/u+++++++++++++++++++++++++++++++/b/)", NULL, "too complex"},
    {"$(ONE:/((u{99}){99}){99}/b/)", NULL, "too complex"},
    {"$(ONE:/u{1,1000}/b/)", NULL, "above 255"},
    {"$(ONE:/[0-9]{1,3}(-[0-9]{1,3}){3}/b/)", "number-1", NULL},
    {"$(ONE:/(u)\\1/b/)", NULL, "back-references are not supported"},
    {"$(ONE:/a(/b/)", "$(ONE:/a(/b/)", NULL}, /* the "(" never closes: left as written */
    /* nesting and quotes */
    {"$(UNDEF:-$(HOME))", "/usr/garyw", NULL},
    {"$(ONE:+[$(TWO)])", "[number-2]", NULL},
    {"$(UNDEF:-a(b)c)", "a(b)c", NULL},
    {"$(UNDEF:-\"quoted ) paren\")", "\"quoted ) paren\"", NULL},
    {"$(UNDEF:-`tick ) paren`)", "`tick ) paren`", NULL},
    {"$(UNDEF:-{x})", "{x}", NULL},
    {"${UNDEF:-(x}", "${UNDEF:-(x}", NULL},
    {"${UNDEF:-$(ONE)}", "number-1", NULL},
    {"$(UNDEF:+$(UNDEF2:-deep $(HOME:+[$(ONE)])))", "", NULL},
    {"$(UNDEF:-$(UNDEF2:-deep $(HOME:+[$(ONE)])))", "deep [number-1]", NULL},
    {"$(HOME:+$(ONE:+$(TWO:+$(MIX))))", "Hello World", NULL},
    {"$(ONE:+line1\nline2)", "line1\nline2", NULL},
    /* unterminated and stray brackets */
    {"a $(HOME b", "a $(HOME b", NULL},
    {"$(HOME) and $(ONE", "/usr/garyw and $(ONE", NULL},
    {"$(ONE $(HOME)", "$(ONE $(HOME)", NULL},
    {"$(HOME)))", "/usr/garyw))", NULL},
    /* escapes */
    {"\\$(HOME)", "$(HOME)", NULL},
    {"\\${HOME}", "${HOME}", NULL},
    {"\\$(X $(HOME))", "$(X /usr/garyw)", NULL},
    {"\\\\$(HOME)", "\\$(HOME)", NULL},
    {"back\\slash", "back\\slash", NULL},
    /* not expressions */
    {"$HOME", "$HOME", NULL},
    {"$", "$", NULL},
    {"$$(HOME)", "$/usr/garyw", NULL},
    {"$[ONE]", "$[ONE]", NULL},
    {"$(ONE:x)", "$(ONE:x)", NULL},
    {"$(:-x)", "$(:-x)", NULL},
    {"$()", "$()", NULL},
    /* backticks are not run without a runner */
    {"$(`echo hi`)", "`echo hi`", NULL},
    {"`echo hi`", "`echo hi`", NULL},
    {"$(`a` x)", "$(`a` x)", NULL},
};

static const struct expand_case backtick_cases[] = {
    {"$(`echo hi`)", "hi", NULL},
    {"$(`echo $(ONE)`)", "number-1", NULL}, /* variables first, then the command */
    {"$(`date`)", "<date>", NULL},	    /* stripped */
    {"`echo hi`", "`echo hi`", NULL},	    /* bare backticks: not in directives */
    {"$(ONE:+`echo hi`)", "hi", NULL},	    /* ...but in a branch text */
    {"$(`echo HO`ME)", "$(`echo HO`ME)", NULL},
    {"$(`fail`)", "", NULL},
    {"$(ONE:+``)", "``", NULL},
    {"$(ONE:+a`b``c`d)", "a<b><c>d", NULL},
    {"$(ONE:+``x`)", "$(ONE:+``x`)", NULL}, /* odd ticks: never closes */
    {"$(ONE:+\"``x`\")", "\"`<x>\"", NULL},
};

static struct env *values;

static int setup(void **state)
{
	(void)state;
	char *environ_[] = {"HOME=/usr/garyw", "ONE=number-1", "TWO=number-2",	  "EMPTY=",
			    "PATHV=/a/b/c",    "BAR=a|b",      "MIX=Hello World", NULL};
	values = env_from_environ(environ_);
	return values ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	env_free(values);
	return 0;
}

static void run_cases(const struct expand_case *cases, size_t count,
		      const struct expand_options *options)
{
	int failures = 0;
	for (size_t i = 0; i < count; i++) {
		char *error = NULL;
		char *got = expand_text(values, cases[i].text, options, &error);
		if (cases[i].expected) {
			if (!got || strcmp(got, cases[i].expected) != 0) {
				print_error("case %zu: %s\n   want: [%s]\n    got: [%s] %s\n", i,
					    cases[i].text, cases[i].expected, got ? got : "(null)",
					    error ? error : "");
				failures++;
			}
		} else if (got || !error || !strstr(error, cases[i].error)) {
			print_error(
			    "case %zu: %s\n   want error containing: %s\n    got: [%s] %s\n", i,
			    cases[i].text, cases[i].error, got ? got : "(null)",
			    error ? error : "(no error)");
			failures++;
		}
		free(got);
		free(error);
	}
	assert_int_equal(failures, 0);
}

static void test_plain_table(void **state)
{
	(void)state;
	run_cases(plain_cases, sizeof(plain_cases) / sizeof(plain_cases[0]), NULL);
}

static void test_backtick_table(void **state)
{
	(void)state;
	struct backtick *backtick = backtick_new(fake_run, NULL);
	struct expand_options options = {NULL, backtick};
	run_cases(backtick_cases, sizeof(backtick_cases) / sizeof(backtick_cases[0]), &options);
	backtick_free(backtick);
}

static void test_backtick_cache(void **state)
{
	(void)state;
	struct backtick *backtick = backtick_new(fake_run, NULL);
	struct expand_options options = {NULL, backtick};
	fake_calls = 0;
	char *error = NULL;
	char *a = expand_text(values, "$(`date`) $(`date`)", &options, &error);
	assert_string_equal(a, "<date> <date>");
	assert_int_equal(fake_calls, 1);
	backtick_set_cache(backtick, false);
	char *b = expand_text(values, "$(`date`) $(`date`)", &options, &error);
	assert_int_equal(fake_calls, 3);
	free(a);
	free(b);
	backtick_free(backtick);
}

static void test_custom_syntax(void **state)
{
	(void)state;
	struct expand_syntax percent = {"%%", "("};
	struct expand_syntax brackets = {"$", "({["};
	struct expand_options options = {&percent, NULL};
	char *error = NULL;
	char *got = expand_text(values, "%%(ONE) $(ONE) ${PWD:-/home} \\%%(ONE) %%(X:-$(ONE))",
				&options, &error);
	assert_string_equal(got, "number-1 $(ONE) ${PWD:-/home} %%(ONE) $(ONE)");
	free(got);
	options.syntax = &brackets;
	got = expand_text(values, "$[ONE] $(TWO) ${HOME} $[UNDEF:-[x]]", &options, &error);
	assert_string_equal(got, "number-1 number-2 /usr/garyw [x]");
	free(got);
}

static void test_limits(void **state)
{
	(void)state;
	/* Deep nesting is an error, not a crash. */
	size_t depth = EXPAND_MAX_DEPTH + 10;
	char *text = malloc(depth * 10 + 16);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++)
		n += (size_t)sprintf(text + n, "$(U:-");
	n += (size_t)sprintf(text + n, "x");
	for (size_t i = 0; i < depth; i++)
		text[n++] = ')';
	text[n] = '\0';
	char *error = NULL;
	char *got = expand_text(values, text, NULL, &error);
	assert_null(got);
	assert_non_null(strstr(error, "nested deeper"));
	free(error);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_table),	   cmocka_unit_test(test_backtick_table),
	    cmocka_unit_test(test_backtick_cache), cmocka_unit_test(test_custom_syntax),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
