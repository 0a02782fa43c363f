/*
 * test_header.c — the target header grammar (contrainer's, with "!" and every comma group
 * counting) and its left-to-right evaluation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "header.h"

static struct header parse_ok(const char *line)
{
	struct header h;
	struct header_error err;
	int rc = header_parse(line, strlen(line), &h, &err);
	if (rc != 0)
		fail_msg("'%s' rejected at column %zu: %s", line, err.column, err.message);
	return h;
}

static size_t parse_error_column(const char *line)
{
	struct header h;
	struct header_error err;
	int rc = header_parse(line, strlen(line), &h, &err);
	if (rc == 0) {
		header_free(&h);
		fail_msg("'%s' accepted", line);
	}
	assert_true(err.message[0] != '\0');
	return err.column;
}

static void test_blank_is_me_immediate(void **state)
{
	const char *blanks[] = {"", "   ", "\t \r"};
	for (size_t i = 0; i < 3; i++) {
		struct header h = parse_ok(blanks[i]);
		assert_int_equal(h.n_groups, 1);
		assert_int_equal(h.groups[0].n_terms, 1);
		assert_int_equal(h.groups[0].terms[0].target, HEADER_ME);
		assert_true(h.groups[0].immediate);
		assert_int_equal(h.groups[0].n_events, 0);
		header_free(&h);
	}
}

static void test_targets_ops_and_events(void **state)
{
	struct header h = parse_ok("%all ~ %me : start : die, web.1+db-2!%host:_inmediate:stop");
	assert_int_equal(h.n_groups, 2);
	const struct header_group *g = &h.groups[0];
	assert_int_equal(g->n_terms, 2);
	assert_int_equal(g->terms[0].target, HEADER_ALL);
	assert_int_equal(g->terms[0].op, HEADER_ASSIGN);
	assert_int_equal(g->terms[1].target, HEADER_ME);
	assert_int_equal(g->terms[1].op, HEADER_REMOVE);
	assert_false(g->immediate);
	assert_int_equal(g->n_events, 2);
	assert_true(header_group_has_event(g, "start"));
	assert_true(header_group_has_event(g, "die"));
	assert_false(header_group_has_event(g, "stop"));
	g = &h.groups[1];
	assert_int_equal(g->n_terms, 3);
	assert_string_equal(g->terms[0].name, "web.1");
	assert_int_equal(g->terms[1].op, HEADER_ADD);
	assert_string_equal(g->terms[1].name, "db-2");
	assert_int_equal(g->terms[2].op, HEADER_REMOVE); /* "!" is "~" */
	assert_int_equal(g->terms[2].target, HEADER_HOST);
	assert_true(g->immediate);
	assert_int_equal(g->n_events, 1);
	assert_true(header_mentions(&h, HEADER_HOST));
	assert_true(header_mentions(&h, HEADER_ALL));
	assert_false(header_mentions(&h, HEADER_CONTRAINER));
	header_free(&h);
	/* whitespace anywhere is dropped, as contrainer's tr -d did */
	h = parse_ok("%con trainer: exec _create");
	assert_int_equal(h.groups[0].terms[0].target, HEADER_CONTRAINER);
	assert_true(header_group_has_event(&h.groups[0], "exec_create"));
	header_free(&h);
}

static void test_errors_report_columns(void **state)
{
	assert_int_equal(parse_error_column("%me+:start"), 5);
	assert_int_equal(parse_error_column("%you"), 1);
	assert_int_equal(parse_error_column("  %me ,"), 8); /* end of line */
	assert_int_equal(parse_error_column("%me:Start"), 5);
	assert_int_equal(parse_error_column("%me:_other"), 5);
	assert_int_equal(parse_error_column("%me;x"), 4);
	assert_int_equal(parse_error_column("-x"), 1);
	assert_int_equal(parse_error_column("a,,b"), 3);
	assert_int_equal(parse_error_column("%me:"), 5);
	assert_int_equal(parse_error_column("%me:1"), 5);
	char nul[] = "%me\0x";
	struct header h;
	struct header_error err;
	assert_int_equal(header_parse(nul, 5, &h, &err), -1);
	assert_int_equal(err.column, 4);
}

static void test_bounds(void **state)
{
	char line[HEADER_LINE_MAX + 2];
	memset(line, 'a', sizeof(line));
	struct header h;
	struct header_error err;
	assert_int_equal(header_parse(line, HEADER_LINE_MAX + 1, &h, &err), -1);
	/* a 256-byte name is too long, 255 is fine */
	memset(line, 'n', 256);
	assert_int_equal(header_parse(line, 256, &h, &err), -1);
	assert_int_equal(header_parse(line, 255, &h, &err), 0);
	header_free(&h);
	/* too many groups */
	size_t n = 0;
	for (int i = 0; i < HEADER_GROUPS_MAX + 1; i++)
		n += (size_t)sprintf(line + n, "%sa", i ? "," : "");
	assert_int_equal(header_parse(line, n, &h, &err), -1);
}

/* A world of three running containers a, b, self, plus the host. */
static const char *ids[] = {"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc"};
static const char *names[] = {"a", "b.x", "ctl"};

static void eval(const char *line, size_t group, bool allow, const char *expect)
{
	struct header h = parse_ok(line);
	struct header_world w = {.n = 3,
				 .ids = ids,
				 .names = names,
				 .me_id = ids[0],
				 .contrainer_id = ids[2],
				 .allow_host = allow,
				 .allow_all = allow};
	bool set[4];
	header_eval_group(&h.groups[group], &w, set);
	char got[5];
	for (int i = 0; i < 4; i++)
		got[i] = set[i] ? '1' : '0';
	got[4] = '\0';
	if (strcmp(got, expect) != 0)
		fail_msg("'%s' group %zu: got %s, want %s", line, group, got, expect);
	header_free(&h);
}

static void test_evaluation(void **state)
{
	/* order: a, b.x, ctl, host */
	eval("%me", 0, true, "1000");
	eval("%all", 0, true, "1111");
	eval("%all~%me", 0, true, "0111");
	eval("%me~%all", 0, true, "0000");
	eval("%me+%host", 0, true, "1001");
	eval("%contrainer", 0, true, "0010");
	eval("a+b.x", 0, true, "1100");
	eval("a+b.x~a", 0, true, "0100");
	eval("a~a+a", 0, true, "1000"); /* strictly left to right */
	eval("bxx", 0, true, "0000");	/* "." is no wildcard here */
	eval("nosuch", 0, true, "0000");
	eval("bbbbbbbbbbbb", 0, true, "0100"); /* 12-character id prefix */
	eval("bbbbb", 0, true, "0000");
	eval("%me,%host", 1, true, "0001");
	/* not allowed: %host and %all contribute nothing */
	eval("%all", 0, false, "0000");
	eval("%me+%host", 0, false, "1000");
	eval("a+%all~%me", 0, false, "0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blank_is_me_immediate),
	    cmocka_unit_test(test_targets_ops_and_events),
	    cmocka_unit_test(test_errors_report_columns),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_evaluation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
