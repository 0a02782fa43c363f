/*
 * test_selector.c — a table of selector x record cases with chaperone's semantics (the
 * examples of chaperone's own selector documentation and test table, checked case by case
 * against its matching rules), plus the selectors it rejects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "log/selector.h"

enum {
	KERN = 0,
	USER = 1,
	DAEMON = 3,
	AUTH = 4,
	CRON = 9,
	AUTHPRIV = 10,
	ALTCRON = 15,
	LOCAL5 = 21
};
enum { EMERG, ALERT, CRIT, ERR, WARN, NOTICE, INFO, DEBUG };

struct match_case {
	const char *selector;
	int facility;
	int severity;
	const char *tag;
	const char *raw;
	int forced;
	bool expected;
};

static const struct match_case cases[] = {
    {"*.*", USER, DEBUG, NULL, "x", -1, true},
    {"", USER, DEBUG, NULL, "x", -1, true},
    {"*.*", KERN, EMERG, "a", "x", -1, true},
    /* no positive item: nothing matches */
    {"*.!emerg", USER, DEBUG, NULL, "x", -1, false},
    {"*.!emerg", USER, INFO, NULL, "x", -1, false},
    {"*.*;*.!*", USER, INFO, NULL, "x", -1, false},
    {"*.*;*.!emerg", USER, EMERG, NULL, "x", -1, false},
    {"*.*;*.!emerg", USER, ALERT, NULL, "x", -1, true},
    /* levels: "P" is P or more severe, "=P" exactly P */
    {"*.info", USER, INFO, NULL, "x", -1, true},
    {"*.info", USER, EMERG, NULL, "x", -1, true},
    {"*.info", USER, DEBUG, NULL, "x", -1, false},
    {"*.=info", USER, INFO, NULL, "x", -1, true},
    {"*.=info", USER, NOTICE, NULL, "x", -1, false},
    {"*.=emerg;*.=crit", USER, CRIT, NULL, "x", -1, true},
    {"*.=emerg;*.=crit", USER, ALERT, NULL, "x", -1, false},
    {"*.warning", USER, WARN, NULL, "x", -1, true},
    {"*.warn", USER, NOTICE, NULL, "x", -1, false},
    {"*.error", USER, ERR, NULL, "x", -1, true},
    {"*.error", USER, WARN, NULL, "x", -1, false},
    /* *.!=info excludes only info */
    {"*.*;*.!=info", USER, INFO, NULL, "x", -1, false},
    {"*.*;*.!=info", USER, ERR, NULL, "x", -1, true},
    {"*.*;*.!=info", USER, DEBUG, NULL, "x", -1, true},
    {"*.!=info", USER, ERR, NULL, "x", -1, false},
    /* facilities */
    {"kern.crit", KERN, CRIT, NULL, "x", -1, true},
    {"kern.crit", KERN, ALERT, NULL, "x", -1, true},
    {"kern.crit", KERN, ERR, NULL, "x", -1, false},
    {"kern.crit", USER, CRIT, NULL, "x", -1, false},
    {"kern.*", KERN, DEBUG, NULL, "x", -1, true},
    {"daemon,local5.warn", DAEMON, WARN, NULL, "x", -1, true},
    {"daemon,local5.warn", LOCAL5, ERR, NULL, "x", -1, true},
    {"daemon,local5.warn", LOCAL5, INFO, NULL, "x", -1, false},
    {"daemon,local5.warn", USER, ERR, NULL, "x", -1, false},
    {"DAEMON.INFO", DAEMON, INFO, NULL, "x", -1, true},
    {"cron.*", CRON, INFO, NULL, "x", -1, true},
    {"cron.*", ALTCRON, INFO, NULL, "x", -1, false},
    {"altcron.*", ALTCRON, INFO, NULL, "x", -1, true},
    {"authpriv.*", AUTHPRIV, INFO, NULL, "x", -1, true},
    /* F.!P: excludes what is in F at P */
    {"kern.*;kern.!=crit", KERN, CRIT, NULL, "x", -1, false},
    {"kern.*;kern.!=crit", KERN, ERR, NULL, "x", -1, true},
    {"kern.*;kern.!=crit", USER, ERR, NULL, "x", -1, false},
    {"kern.*;kern.!crit", KERN, ALERT, NULL, "x", -1, false},
    {"kern.*;kern.!crit", KERN, ERR, NULL, "x", -1, true},
    /* !F.P: excludes what is in F at P */
    {"kern.*;!auth,authpriv.*", KERN, INFO, NULL, "x", -1, true},
    {"*.*;!auth,authpriv.*", AUTH, INFO, NULL, "x", -1, false},
    {"*.*;!auth,authpriv.*", AUTHPRIV, ERR, NULL, "x", -1, false},
    {"*.*;!auth,authpriv.*", USER, ERR, NULL, "x", -1, true},
    {"*.*;!kern.err", KERN, ERR, NULL, "x", -1, false},
    {"*.*;!kern.err", KERN, WARN, NULL, "x", -1, true},
    /* [prog]: case-insensitive equality with the tag */
    {"[crond].*", USER, INFO, "crond", "x", -1, true},
    {"[crond].*", USER, INFO, "CronD", "x", -1, true},
    {"[CRON].*", USER, INFO, "cron", "x", -1, true},
    {"[crond].*", USER, INFO, "crond2", "x", -1, false},
    {"[crond].*", USER, INFO, NULL, "crond", -1, false},
    {"*.info;![cron].*", USER, INFO, "cron", "x", -1, false},
    {"*.info;![cron].*", USER, INFO, "other", "x", -1, true},
    {"*.info;![cron].*", USER, DEBUG, "other", "x", -1, false},
    {"*.*;![chaperone].*", LOCAL5, INFO, "chaperone", "x", -1, false},
    {"*.*;![chaperone].*", LOCAL5, INFO, "tend", "x", -1, true},
    /* !F.!P: requires "not in F and not at P" */
    {"*.*;![cron].!=info", USER, ERR, "other", "x", -1, true},
    {"*.*;![cron].!=info", USER, INFO, "other", "x", -1, false},
    {"*.*;![cron].!=info", USER, ERR, "cron", "x", -1, false},
    {"kern.*;![cron].!err", KERN, DEBUG, "other", "x", -1, true},
    {"kern.*;![cron].!err", KERN, ERR, "other", "x", -1, false},
    {"kern.*;![cron].!err", KERN, DEBUG, "cron", "x", -1, false},
    {"[cron].*;*.!info", USER, DEBUG, "cron", "x", -1, true},
    {"[cron].*;*.!info", USER, ERR, "cron", "x", -1, false},
    {"[cron].*;*.!info", USER, DEBUG, "other", "x", -1, false},
    /* /regex/: case-insensitive search in the raw message */
    {"/not and\\/or able/.*", USER, INFO, NULL, "<13>it is not and/or able", -1, true},
    {"/panic/.*;/segfault/.*;*.!=debug", KERN, INFO, NULL, "<6>Kernel PANIC now", -1, true},
    {"/panic/.*;/segfault/.*;*.!=debug", KERN, INFO, NULL, "a SEGFAULT", -1, true},
    {"/panic/.*;/segfault/.*;*.!=debug", KERN, DEBUG, NULL, "panic", -1, false},
    {"/panic/.*;/segfault/.*;*.!=debug", KERN, INFO, NULL, "all fine", -1, false},
    {"/^<13>/.*", USER, NOTICE, NULL, "<13>hello", -1, true},
    {"/^<13>/.*", USER, NOTICE, NULL, "<14>hello", -1, false},
    {"/a.b/.*", USER, NOTICE, NULL, "xaxbx", -1, true},
    {"[cron].*;[daemon-tools].crit;/password/.!err", USER, INFO, "cron", "hello", -1, true},
    {"[cron].*;[daemon-tools].crit;/password/.!err", USER, ERR, "cron", "my Password", -1, false},
    {"[cron].*;[daemon-tools].crit;/password/.!err", USER, DEBUG, "cron", "password", -1, true},
    {"[cron].*;[daemon-tools].crit;/password/.!err", USER, CRIT, "daemon-tools", "x", -1, true},
    {"[cron].*;[daemon-tools].crit;/password/.!err", USER, ERR, "daemon-tools", "x", -1, false},
    {"[chaperone].err;[logrotate].err;!kern.*", USER, ERR, "chaperone", "x", -1, true},
    {"[chaperone].err;[logrotate].err;!kern.*", KERN, ERR, "chaperone", "x", -1, false},
    {"[chaperone].err;[logrotate].err;!kern.*", USER, INFO, "logrotate", "x", -1, false},
    /* spaces around ';' */
    {"kern.* ; user.*", USER, INFO, NULL, "x", -1, true},
    /* --log-level lowers the bar of positive items */
    {"*.err", USER, INFO, NULL, "x", -1, false},
    {"*.err", USER, INFO, NULL, "x", INFO, true},
    {"*.err", USER, DEBUG, NULL, "x", INFO, false},
    {"*.debug", USER, DEBUG, NULL, "x", ERR, true},
    {"*.=err", USER, DEBUG, NULL, "x", DEBUG, false},
    {"*.*;*.!err", USER, INFO, NULL, "x", DEBUG, true},
    {"*.*;*.!err", USER, ERR, NULL, "x", DEBUG, false},
};

static void test_match_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		char error[256] = "";
		struct selector *selector = selector_compile(c->selector, error, sizeof(error));
		if (!selector)
			fail_msg("case %zu '%s' did not compile: %s", i, c->selector, error);
		struct log_record record = {
		    .facility = c->facility,
		    .severity = c->severity,
		    .tag = c->tag,
		    .text = "text",
		    .text_len = 4,
		    .raw = c->raw,
		    .raw_len = strlen(c->raw),
		};
		bool got = selector_match(selector, &record, c->forced);
		if (got != c->expected)
			fail_msg("case %zu: selector '%s' facility %d severity %d tag %s raw '%s' "
				 "forced %d: expected %d, got %d",
				 i, c->selector, c->facility, c->severity,
				 c->tag ? c->tag : "(none)", c->raw, c->forced, c->expected, got);
		selector_free(selector);
	}
}

static void test_regex_uses_text_without_raw(void **state)
{
	(void)state;
	char error[256];
	struct selector *selector = selector_compile("/hello/.*", error, sizeof(error));
	assert_non_null(selector);
	struct log_record record = {
	    .facility = 3, .severity = 6, .text = "say HELLO", .text_len = 9};
	assert_true(selector_match(selector, &record, -1));
	record.text_len = 4; /* "say " only: the bound is respected */
	assert_false(selector_match(selector, &record, -1));
	selector_free(selector);
}

static void test_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    ".*",	"kern",	     "kern.infx",     "foo.*", "clock.*",
	    "*,kern.*", "kern,.*",   "/[/.*",	      "[].*",  "kern.!",
	    "kern.=",	"*.*;bogus", "kern.*;*.nope", "//.*",  "3.*",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char error[256] = "";
		struct selector *selector = selector_compile(bad[i], error, sizeof(error));
		if (selector)
			fail_msg("'%s' compiled but is invalid", bad[i]);
		assert_true(error[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_table),
	    cmocka_unit_test(test_regex_uses_text_without_raw),
	    cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
