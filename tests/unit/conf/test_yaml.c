/*
 * test_yaml.c — the YAML tree: file:line:column of every node, PyYAML's typing of plain
 * scalars, tab expansion, aliases and merge keys, and syntax errors with their position.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/yaml.h"
#include "conf/yaml_resolve.h"

static struct yaml_node *parse(const char *text, struct conf_errors *errors, bool *failed)
{
	return yaml_parse(text, strlen(text), "t.yaml", errors, failed);
}

static const struct yaml_node *get(const struct yaml_node *map, const char *key)
{
	for (size_t i = 0; i < map->npairs; i++)
		if (strcmp(map->pairs[i].key->text, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

static void test_positions(void **state)
{
	(void)state;
	struct conf_errors errors = {0};
	bool failed;
	struct yaml_node *root = parse("# comment\nfoo.service:\n  command: \"sleep 1\"\n"
				       "  after: [a, b]\n",
				       &errors, &failed);
	assert_false(failed);
	assert_non_null(root);
	assert_int_equal(root->kind, YAML_NODE_MAP);
	const struct yaml_pair *section = &root->pairs[0];
	assert_string_equal(section->key->text, "foo.service");
	assert_int_equal(section->key->origin.line, 2);
	assert_int_equal(section->key->origin.column, 1);
	assert_string_equal(section->key->origin.file, "t.yaml");
	const struct yaml_node *command = get(section->value, "command");
	assert_int_equal(command->origin.line, 3);
	assert_int_equal(command->origin.column, 12);
	assert_int_equal(command->type, YAML_STR);
	const struct yaml_node *after = get(section->value, "after");
	assert_int_equal(after->kind, YAML_NODE_SEQ);
	assert_int_equal(after->count, 2);
	assert_int_equal(after->items[1]->origin.line, 4);
	assert_int_equal(after->items[1]->origin.column, 14);
	yaml_node_unref(root);
	assert_int_equal(errors.count, 0);
}

static void test_tabs_expanded_as_python(void **state)
{
	(void)state;
	size_t length;
	char *out = yaml_expand_tabs("a\tb\n\tc\r12345678\tx", 17, &length);
	assert_string_equal(out, "a       b\n        c\r12345678        x");
	assert_int_equal(length, strlen(out));
	free(out);
	struct conf_errors errors = {0};
	bool failed;
	/* A tab in indentation is an error in YAML; chaperone expands it first. */
	struct yaml_node *root = parse("s:\n\tk: v\n", &errors, &failed);
	assert_false(failed);
	const struct yaml_node *value = get(root->pairs[0].value, "k");
	assert_string_equal(value->text, "v");
	assert_int_equal(value->origin.column, 12);
	yaml_node_unref(root);
}

struct typing_case {
	const char *text;
	enum yaml_scalar_type type;
	long long int_value;
	double float_value;
	bool bool_value;
};

static void test_plain_scalar_typing(void **state)
{
	(void)state;
	static const struct typing_case cases[] = {
	    {"~", YAML_NULL, 0, 0, false},
	    {"null", YAML_NULL, 0, 0, false},
	    {"", YAML_NULL, 0, 0, false},
	    {"yes", YAML_BOOL, 0, 0, true},
	    {"On", YAML_BOOL, 0, 0, true},
	    {"TRUE", YAML_BOOL, 0, 0, true},
	    {"off", YAML_BOOL, 0, 0, false},
	    {"No", YAML_BOOL, 0, 0, false},
	    {"y", YAML_STR, 0, 0, false}, /* PyYAML: y/n are strings */
	    {"tRue", YAML_STR, 0, 0, false},
	    {"42", YAML_INT, 42, 0, false},
	    {"-7", YAML_INT, -7, 0, false},
	    {"1_000", YAML_INT, 1000, 0, false},
	    {"010", YAML_INT, 8, 0, false},
	    {"0x1F", YAML_INT, 31, 0, false},
	    {"0b101", YAML_INT, 5, 0, false},
	    {"1:30", YAML_INT, 90, 0, false},
	    {"0", YAML_INT, 0, 0, false},
	    {"1.5", YAML_FLOAT, 0, 1.5, false},
	    {".5", YAML_FLOAT, 0, 0.5, false},
	    {"1.", YAML_FLOAT, 0, 1.0, false},
	    {"1.0e+3", YAML_FLOAT, 0, 1000.0, false},
	    {"1e3", YAML_STR, 0, 0, false}, /* PyYAML needs a dot and a signed exponent */
	    {"1:30.5", YAML_FLOAT, 0, 90.5, false},
	    {"-.inf", YAML_FLOAT, 0, -INFINITY, false},
	    {"8080:80", YAML_STR, 0, 0, false},
	    {"SIGTERM", YAML_STR, 0, 0, false},
	    {"12abc", YAML_STR, 0, 0, false},
	    {"99999999999999999999999", YAML_STR, 0, 0, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool b = false;
		long long n = 0;
		double f = 0;
		enum yaml_scalar_type type = yaml_resolve_plain(cases[i].text, &b, &n, &f);
		if (type != cases[i].type)
			fail_msg("'%s': type %d, expected %d", cases[i].text, type, cases[i].type);
		if (type == YAML_INT)
			assert_int_equal(n, cases[i].int_value);
		if (type == YAML_FLOAT)
			assert_true(f == cases[i].float_value);
		if (type == YAML_BOOL)
			assert_int_equal(b, cases[i].bool_value);
	}
}

static void test_quoted_and_tagged(void **state)
{
	(void)state;
	struct conf_errors errors = {0};
	bool failed;
	struct yaml_node *root =
	    parse("a: 'yes'\nb: \"5\"\nc: !!str 7\nd: !!float 3\ne: |\n  x\n", &errors, &failed);
	assert_false(failed);
	assert_int_equal(get(root, "a")->type, YAML_STR);
	assert_int_equal(get(root, "b")->type, YAML_STR);
	assert_int_equal(get(root, "c")->type, YAML_STR);
	assert_int_equal(get(root, "d")->type, YAML_FLOAT);
	assert_true(get(root, "d")->float_value == 3.0);
	assert_string_equal(get(root, "e")->text, "x\n");
	yaml_node_unref(root);

	root = parse("a: !!int nope\n", &errors, &failed);
	assert_true(failed);
	assert_null(root);
	assert_int_equal(errors.count, 1);
	assert_string_equal(
	    errors.items[0].message,
	    "YAML syntax error: value does not match its tag tag:yaml.org,2002:int");
	conf_errors_free(&errors);
}

static void test_aliases_and_merge_keys(void **state)
{
	(void)state;
	struct conf_errors errors = {0};
	bool failed;
	struct yaml_node *root = parse("base: &base {restart: true, command: a}\n"
				       "other: &other {command: o, uid: x}\n"
				       "foo.service:\n  <<: [*base, *other]\n  command: b\n"
				       "list: [*base, *base]\n",
				       &errors, &failed);
	assert_false(failed);
	const struct yaml_node *foo = get(root, "foo.service");
	/* merged pairs first (the first merged map wins among them), own keys last */
	const struct yaml_node *command = NULL;
	for (size_t i = 0; i < foo->npairs; i++)
		if (strcmp(foo->pairs[i].key->text, "command") == 0)
			command = foo->pairs[i].value; /* the last one wins */
	assert_string_equal(command->text, "b");
	assert_non_null(get(foo, "uid"));
	assert_non_null(get(foo, "restart"));
	const struct yaml_node *list = get(root, "list");
	assert_ptr_equal(list->items[0], list->items[1]); /* shared, not copied */
	yaml_node_unref(root);

	root = parse("a: *nothing\n", &errors, &failed);
	assert_true(failed);
	assert_string_equal(errors.items[0].message,
			    "YAML syntax error: found undefined alias nothing");
	conf_errors_free(&errors);
}

static void test_syntax_errors_have_positions(void **state)
{
	(void)state;
	struct conf_errors errors = {0};
	bool failed;
	assert_null(parse("a: b: c\n", &errors, &failed));
	assert_true(failed);
	assert_int_equal(errors.count, 1);
	assert_int_equal(errors.items[0].origin.line, 1);
	assert_int_equal(errors.items[0].origin.column, 5);
	assert_string_equal(errors.items[0].message,
			    "YAML syntax error: mapping values are not allowed in this context");
	conf_errors_free(&errors);

	assert_null(parse("a:\n  - x\n  y: z\n", &errors, &failed));
	assert_true(failed);
	assert_int_equal(errors.items[0].origin.line, 3);
	conf_errors_free(&errors);

	assert_null(parse("a: 1\n---\nb: 2\n", &errors, &failed));
	assert_true(failed);
	assert_int_equal(errors.items[0].origin.line, 2);
	assert_string_equal(errors.items[0].message,
			    "YAML syntax error: expected a single document in the file, but "
			    "found another document");
	conf_errors_free(&errors);

	/* invalid UTF-8: a reader error, which libyaml reports as a byte offset */
	assert_null(parse("a: 1\nb: \xff\n", &errors, &failed));
	assert_true(failed);
	assert_int_equal(errors.items[0].origin.line, 2);
	conf_errors_free(&errors);
}

static void test_limits(void **state)
{
	(void)state;
	struct conf_errors errors = {0};
	bool failed;
	char deep[300];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	assert_null(parse(deep, &errors, &failed));
	assert_true(failed);
	assert_string_equal(errors.items[0].message,
			    "YAML syntax error: nesting is deeper than 64 levels");
	conf_errors_free(&errors);
	assert_null(parse("a: &a [*a]\n", &errors, &failed));
	assert_true(failed);
	conf_errors_free(&errors);
	/* an empty document is no error and no tree */
	assert_null(parse("# nothing\n", &errors, &failed));
	assert_false(failed);
	assert_int_equal(errors.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_tabs_expanded_as_python),
	    cmocka_unit_test(test_plain_scalar_typing),
	    cmocka_unit_test(test_quoted_and_tagged),
	    cmocka_unit_test(test_aliases_and_merge_keys),
	    cmocka_unit_test(test_syntax_errors_have_positions),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
