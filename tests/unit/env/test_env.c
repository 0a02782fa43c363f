/*
 * test_env.c — building environments level by level and expanding them whole: chaperone's
 * tests/env_expand.py (recursion, cycles, self-references, every operator) with its exact
 * expected results, then env_inherit / env_unset globs, the passwd user, the service
 * variables, the public filter and the errors.
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

struct pair {
	const char *name;
	const char *value;
};

static struct env *env_of(const struct pair *pairs)
{
	struct env *env = env_new();
	assert_non_null(env);
	for (; pairs->name; pairs++)
		assert_int_equal(env_set(env, pairs->name, pairs->value), 0);
	return env;
}

/* A level with env_set pairs, optional inherit and unset globs. */
struct level_holder {
	struct env_level level;
	struct env_pair set[16];
	char *inherit[8];
	char *unset[8];
};

static struct env_level *level_of(struct level_holder *h, const struct pair *set,
				  const char *const *inherit, const char *const *unset)
{
	memset(h, 0, sizeof(*h));
	size_t n = 0;
	for (; set && set[n].name; n++) {
		h->set[n].name = (char *)set[n].name;
		h->set[n].value = (char *)set[n].value;
	}
	h->level.set.items = h->set;
	h->level.set.count = n;
	for (n = 0; inherit && inherit[n]; n++)
		h->inherit[n] = (char *)inherit[n];
	h->level.inherit_set = inherit != NULL;
	h->level.inherit.items = h->inherit;
	h->level.inherit.count = n;
	for (n = 0; unset && unset[n]; n++)
		h->unset[n] = (char *)unset[n];
	h->level.unset.items = h->unset;
	h->level.unset.count = n;
	return &h->level;
}

/* The expanded env must hold exactly `expected` (any order). */
static void assert_env(struct env *env, const struct pair *expected,
		       const struct expand_options *options)
{
	char *error = NULL;
	struct env *values = env_expanded(env, options, &error);
	if (!values)
		fail_msg("expansion failed: %s", error);
	size_t count = 0;
	int failures = 0;
	for (; expected[count].name; count++) {
		const char *got = env_get(values, expected[count].name);
		if (!got || strcmp(got, expected[count].value) != 0) {
			print_error("%s\n   want: [%s]\n    got: [%s]\n", expected[count].name,
				    expected[count].value, got ? got : "(unset)");
			failures++;
		}
	}
	if (values->count != count) {
		print_error("want %zu variables, got %zu\n", count, values->count);
		failures++;
	}
	assert_int_equal(failures, 0);
}

/* "echo ARGS" prints ARGS without double quotes; everything else fails. */
static int echo_runner(void *arg, const struct backtick_request *request, char **output,
		       char **error)
{
	int *calls = arg;
	if (calls)
		(*calls)++;
	if (strncmp(request->command, "echo ", 5) != 0) {
		*error = strdup("not an echo");
		return -1;
	}
	const char *p = request->command + 5;
	char *out = malloc(strlen(p) + 1);
	size_t n = 0;
	for (; *p; p++)
		if (*p != '"')
			out[n++] = *p;
	out[n] = '\0';
	*output = out;
	return 0;
}

/* ---- chaperone's tests/env_expand.py ---- */

static void test_chaperone_env1(void **state)
{
	(void)state;
	static const struct pair env1[] = {{"HOME", "/usr/garyw"},
					   {"APPS-DIR", "$(HOME)/apps"},
					   {"ANOTHER", "$(APPS-DIR)/theap"},
					   {"RECUR2", "$(RECUR1)..$(APPS-DIR)"},
					   {"RECUR1", "two-$(RECUR3)-$(HOME)"},
					   {"REF-RECUR", "$(ANOTHER) BUT NOT $(RECUR1)"},
					   {"RECUR3", "three:$(RECUR9)"},
					   {"BTEST1", "$(`echo \"12\" \"34${HOME}\"`)"},
					   {"BTEST3", "$(`echo HO`ME)"},
					   {NULL, NULL}};
	static const struct pair result1[] = {
	    {"ANOTHER", "/usr/garyw/apps/theap"},
	    {"APPS-DIR", "/usr/garyw/apps"},
	    {"BTEST1", "12 34/usr/garyw"},
	    {"BTEST3", "$(HOME)"},
	    {"HOME", "/usr/garyw"},
	    {"RECUR1", "two-three:$(RECUR9)-/usr/garyw"},
	    {"RECUR2", "two-three:$(RECUR9)-/usr/garyw../usr/garyw/apps"},
	    {"RECUR3", "three:$(RECUR9)"},
	    {"REF-RECUR", "/usr/garyw/apps/theap BUT NOT two-three:$(RECUR9)-/usr/garyw"},
	    {NULL, NULL}};
	struct backtick *backtick = backtick_new(echo_runner, NULL);
	struct expand_options options = {NULL, backtick};
	struct env *env = env_of(env1);
	assert_env(env, result1, &options);
	env_free(env);
	backtick_free(backtick);
}

static void test_chaperone_env2_cycles(void **state)
{
	(void)state;
	static const struct pair env2[] = {{"HOME", "/usr/garyw"},
					   {"APPS-DIR", "$(HOME)/apps"},
					   {"ANOTHER", "$(APPS-DIR)/theap"},
					   {"RECUR2", "$(RECUR1)..$(APPS-DIR)"},
					   {"RECUR1", "two-$(RECUR3)-$(HOME)"},
					   {"REF-RECUR", "$(ANOTHER) BUT NOT $(RECUR1)"},
					   {"RECUR3", "three:$(RECUR2)"},
					   {NULL, NULL}};
	static const struct pair result2[] = {
	    {"ANOTHER", "/usr/garyw/apps/theap"},
	    {"APPS-DIR", "/usr/garyw/apps"},
	    {"HOME", "/usr/garyw"},
	    {"RECUR1", "two-three:two-$(RECUR3)-$(HOME)../usr/garyw/apps-/usr/garyw"},
	    {"RECUR2", "two-$(RECUR3)-$(HOME)../usr/garyw/apps"},
	    {"RECUR3", "three:two-$(RECUR3)-$(HOME)../usr/garyw/apps"},
	    {"REF-RECUR", "/usr/garyw/apps/theap BUT NOT "
			  "two-three:two-$(RECUR3)-$(HOME)../usr/garyw/apps-/usr/garyw"},
	    {NULL, NULL}};
	struct env *env = env_of(env2);
	assert_env(env, result2, NULL);
	env_free(env);
}

static void test_chaperone_env3_defaults(void **state)
{
	(void)state;
	static const struct pair env3[] = {{"HOME", "/usr/garyw"},
					   {"APPS-DIR", "$(HOME)/apps"},
					   {"ANOTHER", "$(APPS-DIR)/theap"},
					   {"TWO", "$(HOME) and $(APPS-DIR)"},
					   {"MAYBE1", "$(HOAX)/foo"},
					   {"MAYBE10", "$(HOAX:-$(MAYBE11:-11here))/foo"},
					   {"MAYBE11", "to-$(MAYBE10:-10gone)"},
					   {"MAYBE12", "circA-$(MAYBE13:-10gone)"},
					   {"MAYBE13", "circB-$(MAYBE12:-10gone)"},
					   {"MAYBE2", "$(HOAX:-blach)/footwo"},
					   {"MAYBE3", "$(HOAX:+blach)/foo"},
					   {"MAYBE4", "$(HOME:-blach)/foo"},
					   {"MAYBE5", "$(HOME:+blach)/foo"},
					   {"MAYBE6", "$(HOAX:-$(MAYBE2))/foo"},
					   {"MAYBE7", "$(HOME:+blach.${MAYBE8:+8here})/foo"},
					   {"MAYBE8", "$(HOAX:-${MAYBE7:-7here})/foo"},
					   {"MAYBE9", "$(HOME:+blach.${MAYBE10:-10here})/foo"},
					   {"HASNL", "Line One\nLine Two"},
					   {"EXPNL", "$(HOME:+$(HASNL)\nAnd more to go)"},
					   {NULL, NULL}};
	static const struct pair result3[] = {
	    {"ANOTHER", "/usr/garyw/apps/theap"},
	    {"APPS-DIR", "/usr/garyw/apps"},
	    {"EXPNL", "Line One\nLine Two\nAnd more to go"},
	    {"HASNL", "Line One\nLine Two"},
	    {"HOME", "/usr/garyw"},
	    {"MAYBE1", "$(HOAX)/foo"},
	    {"MAYBE10", "to-$(HOAX:-$(MAYBE11:-11here))/foo/foo"},
	    {"MAYBE11", "to-$(HOAX:-$(MAYBE11:-11here))/foo"},
	    {"MAYBE12", "circA-circB-circA-$(MAYBE13:-10gone)"},
	    {"MAYBE13", "circB-circA-$(MAYBE13:-10gone)"},
	    {"MAYBE2", "blach/footwo"},
	    {"MAYBE3", "/foo"},
	    {"MAYBE4", "/usr/garyw/foo"},
	    {"MAYBE5", "blach/foo"},
	    {"MAYBE6", "blach/footwo/foo"},
	    {"MAYBE7", "blach.8here/foo"},
	    {"MAYBE8", "blach.8here/foo/foo"},
	    {"MAYBE9", "blach.to-$(HOAX:-$(MAYBE11:-11here))/foo/foo/foo"},
	    {"TWO", "/usr/garyw and /usr/garyw/apps"},
	    {NULL, NULL}};
	struct env *env = env_of(env3);
	assert_env(env, result3, NULL);
	env_free(env);
}

static const struct pair env4[] = {
    {"HOME", "/usr/garyw"},
    {"APPS-DIR", "$(HOME)/apps"},
    {"ANOTHER", "$(APPS-DIR)/theap"},
    {"TWO", "$(HOME) and $(APPS-DIR)"},
    {"MAYBE1", "$(HOAX)/foo"},
    {"MAYBE10", "$(HOAX:-$(MAYBE11:-11here))/foo"},
    {"MAYBE11", "to-$(MAYBE10:+10gone)"},
    {"MAYBE12", "circA-$(MAYBE13:+10gone)"},
    {"MAYBE13", "circB-$(MAYBE12:-10gone)"},
    {"MAYBE2", "$(HOAX:-blach)/footwo"},
    {"MAYBE3", "$(HOAX:+blach)/foo"},
    {"MAYBE4", "$(HOME:-blach)/foo"},
    {"MAYBE4B", "$(HOME:_blach)/foo and $(HUME:_bleech)"},
    {"MAYBE5", "$(HOME:+blach)/foo"},
    {"MAYBE6", "$(HOAX:-$(MAYBE2))/foo"},
    {"MAYBE7", "$(HOME:+blach.${MAYBE8:+8here})/foo"},
    {"MAYBE8", "$(HOAX:-${MAYBE7:-7here})/foo"},
    {"MAYBE9", "$(HOME:+blach.${MAYBE10:-10here})/foo"},
    {"UBERNEST", "nest:$(HOME:+$(HOAX:-inside${TWO})) and:$(ANOTHER)"},
    {"UBERNEST-DEEP", "nest:$(HOME:+$(HOAX:-inside$(TWO))) and:$(ANOTHER)"},
    {NULL, NULL}};

static void test_chaperone_env4_nesting(void **state)
{
	(void)state;
	static const struct pair result4[] = {
	    {"ANOTHER", "/usr/garyw/apps/theap"},
	    {"APPS-DIR", "/usr/garyw/apps"},
	    {"HOME", "/usr/garyw"},
	    {"MAYBE1", "$(HOAX)/foo"},
	    {"MAYBE10", "to-10gone/foo"},
	    {"MAYBE11", "to-10gone"},
	    {"MAYBE12", "circA-10gone"},
	    {"MAYBE13", "circB-circA-10gone"},
	    {"MAYBE2", "blach/footwo"},
	    {"MAYBE3", "/foo"},
	    {"MAYBE4", "/usr/garyw/foo"},
	    {"MAYBE4B", "/foo and bleech"},
	    {"MAYBE5", "blach/foo"},
	    {"MAYBE6", "blach/footwo/foo"},
	    {"MAYBE7", "blach.8here/foo"},
	    {"MAYBE8", "blach.8here/foo/foo"},
	    {"MAYBE9", "blach.to-10gone/foo/foo"},
	    {"TWO", "/usr/garyw and /usr/garyw/apps"},
	    {"UBERNEST", "nest:inside/usr/garyw and /usr/garyw/apps and:/usr/garyw/apps/theap"},
	    {"UBERNEST-DEEP",
	     "nest:inside/usr/garyw and /usr/garyw/apps and:/usr/garyw/apps/theap"},
	    {NULL, NULL}};
	struct env *env = env_of(env4);
	assert_env(env, result4, NULL);
	env_free(env);
}

static void test_chaperone_expand5_directives(void **state)
{
	(void)state;
	static const struct {
		const char *text, *expected;
	} cases[] = {
	    {"hello $(UBERNEST)",
	     "hello nest:inside/usr/garyw and /usr/garyw/apps and:/usr/garyw/apps/theap"},
	    {"hello $(MAYBE5) and $(MAYBE4)", "hello blach/foo and /usr/garyw/foo"},
	    {"hello $(MAYBE5:+$(MAYBE5)b) and $(MAYBE41)", "hello blach/foob and $(MAYBE41)"},
	    {"hello $(MAYBE5:+$(MAYBE5)b) and $(MAYBE41:-gone$(MAYBE4))",
	     "hello blach/foob and gone/usr/garyw/foo"},
	};
	struct env *env = env_of(env4);
	char *error = NULL;
	struct env *values = env_expanded(env, NULL, &error);
	assert_non_null(values);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = expand_text(values, cases[i].text, NULL, &error);
		assert_non_null(got);
		assert_string_equal(got, cases[i].expected);
		free(got);
	}
	env_free(env);
}

static void test_chaperone_expand6_self_reference(void **state)
{
	(void)state;
	static const struct pair env4a[] = {
	    {"PATH", "/bin"}, {"THEREPATH", "/there"}, {NULL, NULL}};
	static const struct pair config4a[] = {{"PATH", "/usr/local/bin:$(PATH)"}, {NULL, NULL}};
	static const struct pair config4c[] = {{"PATH", "/usr/python/bin:$(PATH)"},
					       {"PYPATH", "/pythonlibs:$(PYPATH)"},
					       {"MISCPATH", "/mislibs$(MISCPATH:+:)$(MISCPATH)"},
					       {"PYAGAIN", "/mislibs$(PYPATH:+:)$(PYPATH)"},
					       {"THEREPATH", "/mislibs$(THEREPATH:+:)$(THEREPATH)"},
					       {NULL, NULL}};
	static const struct pair result_ab[] = {
	    {"PATH", "/usr/local/bin:/bin"}, {"THEREPATH", "/there"}, {NULL, NULL}};
	static const struct pair result_c[] = {{"MISCPATH", "/mislibs"},
					       {"PATH", "/usr/python/bin:/usr/local/bin:/bin"},
					       {"PYAGAIN", "/mislibs:/pythonlibs:"},
					       {"PYPATH", "/pythonlibs:"},
					       {"THEREPATH", "/mislibs:/there"},
					       {NULL, NULL}};
	struct level_holder ha, hc;
	struct env *base = env_of(env4a);
	struct env *enva = env_build_level(base, level_of(&ha, config4a, NULL, NULL), NULL);
	assert_env(enva, result_ab, NULL);
	struct env *envb = env_build_level(enva, NULL, NULL);
	assert_env(envb, result_ab, NULL);
	struct env *envc = env_build_level(envb, level_of(&hc, config4c, NULL, NULL), NULL);
	assert_env(envc, result_c, NULL);
	env_free(envc);
	env_free(envb);
	env_free(enva);
	env_free(base);
}

static void test_chaperone_expand7_self_defaults(void **state)
{
	(void)state;
	static const struct pair env7[] = {{"FIRSTPORT", "999"}, {"ALTPORT", "777"}, {NULL, NULL}};
	static const struct pair config7a[] = {{"FIRSTPORT", "$(FIRSTPORT:-443)"},
					       {"SECONDPORT", "$(SECONDPORT:-443)"},
					       {"THIRDPORT", "$(FIRSTPORT:-443)"},
					       {"FOURTHPORT", "$(ALTPORT:-443)"},
					       {NULL, NULL}};
	static const struct pair result7[] = {{"ALTPORT", "777"},    {"FIRSTPORT", "999"},
					      {"FOURTHPORT", "777"}, {"SECONDPORT", "443"},
					      {"THIRDPORT", "999"},  {NULL, NULL}};
	struct level_holder h;
	struct env *base = env_of(env7);
	struct env *env = env_build_level(base, level_of(&h, config7a, NULL, NULL), NULL);
	assert_env(env, result7, NULL);
	env_free(env);
	env_free(base);
}

static void test_chaperone_expand8_operators(void **state)
{
	(void)state;
	static const struct pair env8[] = {
	    {"ONE", "number-1"},
	    {"TWO", "number-2"},
	    {"THREE", "number-3"},
	    {"IFONE", "set $(ONE:|onlyifone)"},
	    {"IFNOTONE", "ONE: $(ONE:|is_set|not_set)"},
	    {"IFNOTXXX", "XXX: $(XXX:|is_set|not_set)"},
	    {"IFNOTYYY", "XXX: $(XXX:|is_set|$(IFNOTYYY))"},
	    {"IFNOTZZZ", "XXX: $(XXX:|is_set|$(IFNOTXXX))"},
	    {"TRIO1", "T1-ONE: $(ONE:|number-1|It^s ^number-1^|It is not ^number-1^)"},
	    {"TRIO2", "T2-ONE: $(ONE:|number-2|It^s ^number-2^|It is not ^number-2^)"},
	    {"TRIO3a", "T3a-IFONE: $(IFNOTZZZ:|XXX: XXX: not_set|matches ^$(TRIO3b)^ "
		       "correctly|Does not match correctly)"},
	    {"TRIO3b", "T3b-IFONE: $(IFNOTZZZ:|XXX: XXX: not_set|matches ^$(TRIO3a)^ "
		       "correctly|Does not match correctly)"},
	    {"TRIO3c", "T3c-IFONE: $(IFNOTZZZ:|XXX: XXX: not_set|matches ^$(IFNOTXXX)^ "
		       "correctly|Does not match correctly)"},
	    {"TRIO3d", "T3d-IFONE: $(IFNOTZZZ:|XXX: XXY: not_set|matches ^$(IFNOTXXX)^ "
		       "correctly|Does not match correctly with $(IFNOTZZZ))"},
	    {"MUSTBE", "$(ONE:?Variable ONE is required)"},
	    {"SUB1", "$(ONE:/umb/oob/)"},
	    {"SUB2", "$(ONE:/umb/oob-$(TWO)-/)"},
	    {"SUB3", "$(ONE:/umb/oob\\/meyer/)"},
	    {"SUB4", "$(SUB3:/\\//\\/(slash)/)"},
	    {"SUB5", "$(ONE:/umB/oob\\/meyer/i)"},
	    {"SUB6", "$(ONE:/umB/oob\\/meyer/)"},
	    {"SUB7", "$(IFNOTONE:/ONE: (.+)/MODONE: \\1/)"},
	    {NULL, NULL}};
	static const struct pair result8[] = {
	    {"IFNOTONE", "ONE: is_set"},
	    {"IFNOTXXX", "XXX: not_set"},
	    {"IFNOTYYY", "XXX: XXX: $(XXX:|is_set|$(IFNOTYYY))"},
	    {"IFNOTZZZ", "XXX: XXX: not_set"},
	    {"IFONE", "set onlyifone"},
	    {"MUSTBE", "number-1"},
	    {"ONE", "number-1"},
	    {"SUB1", "noober-1"},
	    {"SUB2", "noob-number-2-er-1"},
	    {"SUB3", "noob/meyerer-1"},
	    {"SUB4", "noob/(slash)meyerer-1"},
	    {"SUB5", "noob/meyerer-1"},
	    {"SUB6", "number-1"},
	    {"SUB7", "MODONE: is_set"},
	    {"THREE", "number-3"},
	    {"TRIO1", "T1-ONE: It^s ^number-1^"},
	    {"TRIO2", "T2-ONE: It is not ^number-2^"},
	    {"TRIO3a", "T3a-IFONE: matches ^T3b-IFONE: matches ^T3a-IFONE: $(IFNOTZZZ:|XXX: XXX: "
		       "not_set|matches ^$(TRIO3b)^ correctly|Does not match correctly)^ "
		       "correctly^ correctly"},
	    {"TRIO3b", "T3b-IFONE: matches ^T3a-IFONE: $(IFNOTZZZ:|XXX: XXX: not_set|matches "
		       "^$(TRIO3b)^ correctly|Does not match correctly)^ correctly"},
	    {"TRIO3c", "T3c-IFONE: matches ^XXX: not_set^ correctly"},
	    {"TRIO3d", "T3d-IFONE: Does not match correctly with XXX: XXX: not_set"},
	    {"TWO", "number-2"},
	    {NULL, NULL}};
	struct env *env = env_of(env8);
	assert_env(env, result8, NULL);
	env_free(env);
}

/* ---- building levels ---- */

static void test_inherit_and_unset_globs(void **state)
{
	(void)state;
	static const struct pair parent_vars[] = {{"A", "1"},  {"AB", "2"}, {"B", "3"},
						  {"_X", "4"}, {"a", "5"},  {NULL, NULL}};
	static const char *const inherit_a[] = {"A*", "_?", NULL};
	static const char *const unset_ab[] = {"A?", NULL};
	static const char *const none[] = {NULL};
	struct level_holder h;
	struct env *parent = env_of(parent_vars);

	struct env *env = env_build_level(parent, level_of(&h, NULL, inherit_a, NULL), NULL);
	static const struct pair want1[] = {{"A", "1"}, {"AB", "2"}, {"_X", "4"}, {NULL, NULL}};
	assert_env(env, want1, NULL);
	env_free(env);

	/* An empty env_inherit list inherits everything, as chaperone's `or ['*']`. */
	env = env_build_level(parent, level_of(&h, NULL, none, unset_ab), NULL);
	static const struct pair want2[] = {
	    {"A", "1"}, {"B", "3"}, {"_X", "4"}, {"a", "5"}, {NULL, NULL}};
	assert_env(env, want2, NULL);
	env_free(env);

	/* env_unset also removes what env_set just added. */
	static const struct pair set[] = {{"AC", "new"}, {"C", "$(AC:-gone)"}, {NULL, NULL}};
	env = env_build_level(parent, level_of(&h, set, NULL, unset_ab), NULL);
	static const struct pair want3[] = {{"A", "1"}, {"B", "3"},    {"_X", "4"},
					    {"a", "5"}, {"C", "gone"}, {NULL, NULL}};
	assert_env(env, want3, NULL);
	env_free(env);
	env_free(parent);
}

static void test_user_and_order(void **state)
{
	(void)state;
	static const struct pair parent_vars[] = {
	    {"PATH", "/bin"}, {"HOME", "/root"}, {"TERM", "xterm"}, {NULL, NULL}};
	static const struct pair set[] = {{"GREETING", "hi $(USER) in $(HOME)"}, {NULL, NULL}};
	struct env_user user = {"app", "/home/app", 1000, 1001};
	struct level_holder h;
	struct env *parent = env_of(parent_vars);
	struct env *env = env_build_level(parent, level_of(&h, set, NULL, NULL), &user);
	static const struct pair want[] = {{"PATH", "/bin"},   {"HOME", "/home/app"},
					   {"TERM", "xterm"},  {"USER", "app"},
					   {"LOGNAME", "app"}, {"GREETING", "hi app in /home/app"},
					   {NULL, NULL}};
	assert_env(env, want, NULL);
	/* A replaced value keeps its place; new names come after. */
	assert_string_equal(env->vars[1].name, "HOME");
	assert_string_equal(env->vars[3].name, "USER");
	assert_true(env->has_user);
	assert_int_equal(env->uid, 1000);
	assert_int_equal(env->gid, 1001);

	/* A level without a user keeps the parent's, for backticks. */
	struct env *child = env_build_level(env, NULL, NULL);
	assert_true(child->has_user);
	assert_int_equal(child->uid, 1000);
	env_free(child);
	env_free(env);
	env_free(parent);
}

static void test_service_variables_and_public(void **state)
{
	(void)state;
	static const struct pair base_vars[] = {
	    {"PATH", "/bin"}, {"EMPTY", ""}, {"_CHAP_INTERACTIVE", "0"}, {NULL, NULL}};
	static const struct pair settings_set[] = {
	    {"PATH", "/s:$(PATH)"}, {"MY_NAME", "$(_CHAP_SERVICE)"}, {NULL, NULL}};
	static const struct pair service_set[] = {
	    {"PATH", "/v:$(PATH)"},
	    {"RUN", "$(_CHAP_SERVICE_SERIAL)@$(_CHAP_SERVICE_TIME)"},
	    {"BLANK", "$(UNDEF:-)"},
	    {NULL, NULL}};
	struct level_holder hs, hv;
	struct env *base = env_of(base_vars);
	struct env *settings = env_build_level(base, level_of(&hs, settings_set, NULL, NULL), NULL);
	struct env *service = env_build_service(settings, level_of(&hv, service_set, NULL, NULL),
						NULL, "web.service");
	assert_int_equal(env_set_launch(service, 7, 1700000000), 0);

	char *error = NULL;
	struct env *values = env_expanded(service, NULL, &error);
	assert_non_null(values);
	assert_ptr_equal(env_expanded(service, NULL, &error), values); /* cached */
	assert_ptr_equal(env_expanded(values, NULL, &error), values);  /* already final */
	assert_string_equal(env_get(values, "PATH"), "/v:/s:/bin");
	assert_string_equal(env_get(values, "MY_NAME"), "web.service"); /* expanded late */
	assert_string_equal(env_get(values, "RUN"), "7@1700000000");
	assert_string_equal(env_get(values, "_CHAP_SERVICE"), "web.service");

	char **envp = env_public(values);
	const char *want[] = {"PATH=/v:/s:/bin", "MY_NAME=web.service", "RUN=7@1700000000", NULL};
	size_t n = 0;
	for (; envp[n]; n++) {
		assert_non_null(want[n]);
		assert_string_equal(envp[n], want[n]);
	}
	assert_null(want[n]);
	env_strv_free(envp);

	/* A new launch: new serial, the cache is dropped. */
	assert_int_equal(env_set_launch(service, 8, 1700000001), 0);
	values = env_expanded(service, NULL, &error);
	assert_string_equal(env_get(values, "RUN"), "8@1700000001");

	env_free(service);
	env_free(settings);
	env_free(base);
}

static void test_self_reference_edges(void **state)
{
	(void)state;
	static const struct pair base_vars[] = {{"PATH", "/bin"}, {NULL, NULL}};
	static const struct pair unset_path_set[] = {{"OTHER", "x"}, {NULL, NULL}};
	static const char *const unset_path[] = {"PATH", NULL};
	static const struct pair service_set[] = {{"PATH", "/v:$(PATH)"},
						  {"FOO", "x$(FOO)y"},
						  {"BRANCH", "$(PATH:+[$(BRANCH)])"},
						  {NULL, NULL}};
	static const char *const only_home[] = {"HOME", NULL};
	struct level_holder hs, hv;
	struct env *base = env_of(base_vars);

	/* Unset above: the self-reference finds nothing. */
	struct env *settings =
	    env_build_level(base, level_of(&hs, unset_path_set, NULL, unset_path), NULL);
	struct env *service =
	    env_build_level(settings, level_of(&hv, service_set, NULL, NULL), NULL);
	static const struct pair want1[] = {{"OTHER", "x"},
					    {"PATH", "/v:"},
					    {"FOO", "xy"},
					    {"BRANCH", "[$(PATH:+[$(BRANCH)])]"},
					    {NULL, NULL}};
	assert_env(service, want1, NULL);
	env_free(service);
	env_free(settings);

	/* Not inherited, but the parent had it: the self-reference still reads it. */
	settings = env_build_level(base, level_of(&hs, service_set, only_home, NULL), NULL);
	assert_string_equal(env_get(env_expanded(settings, NULL, &(char *){NULL}), "PATH"),
			    "/v:/bin");
	env_free(settings);
	env_free(base);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct pair bad_required[] = {
	    {"A", "1"}, {"NEED", "$(DB_HOST:?DB_HOST must be set for $(A))"}, {NULL, NULL}};
	static const struct pair bad_regex[] = {{"A", "$(B:/x)"}, {NULL, NULL}};
	char *error = NULL;
	struct env *env = env_of(bad_required);
	assert_null(env_expanded(env, NULL, &error));
	assert_string_equal(error, "DB_HOST must be set for 1");
	free(error);
	env_free(env);

	error = NULL;
	env = env_of(bad_regex);
	assert_null(env_expanded(env, NULL, &error));
	assert_non_null(strstr(error, "invalid regex replacement syntax"));
	free(error);
	env_free(env);

	/* A regex substitution on a value longer than any process could receive. */
	env = env_new();
	char *big = malloc(70001);
	memset(big, 'a', 70000);
	big[70000] = '\0';
	env_set(env, "BIG", big);
	env_set(env, "X", "$(BIG:/a/b/)");
	free(big);
	error = NULL;
	assert_null(env_expanded(env, NULL, &error));
	assert_non_null(strstr(error, "value too long"));
	free(error);
	env_free(env);

	/* A value that doubles at every level runs into the output limit. */
	env = env_new();
	char name[8], value[64];
	env_set(env, "L0", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	for (int i = 1; i < 24; i++) {
		snprintf(name, sizeof(name), "L%d", i);
		snprintf(value, sizeof(value), "$(L%d)$(L%d)", i - 1, i - 1);
		env_set(env, name, value);
	}
	error = NULL;
	assert_null(env_expanded(env, NULL, &error));
	assert_non_null(strstr(error, "too large"));
	free(error);
	env_free(env);
}

static void test_backticks_user_and_cache(void **state)
{
	(void)state;
	static const struct pair base_vars[] = {{"HOME", "/root"}, {NULL, NULL}};
	static const struct pair set[] = {
	    {"A", "`echo one`"}, {"B", "[`echo one`]"}, {"C", "`false`"}, {NULL, NULL}};
	int calls = 0;
	struct backtick *backtick = backtick_new(echo_runner, &calls);
	struct expand_options options = {NULL, backtick};
	struct level_holder h;
	struct env_user user = {"app", "/home/app", 1000, 1000};
	struct env *base = env_of(base_vars);
	struct env *root = env_build_level(base, level_of(&h, set, NULL, NULL), NULL);
	struct env *app = env_build_level(base, level_of(&h, set, NULL, NULL), &user);
	static const struct pair want_root[] = {
	    {"HOME", "/root"}, {"A", "one"}, {"B", "[one]"}, {"C", ""}, {NULL, NULL}};
	static const struct pair want_app[] = {
	    {"HOME", "/home/app"}, {"USER", "app"}, {"LOGNAME", "app"}, {"A", "one"},
	    {"B", "[one]"},	   {"C", ""},	    {NULL, NULL}};
	assert_env(root, want_root, &options);
	assert_int_equal(calls, 2); /* "echo one" once, "false" once (cached even failing) */
	assert_env(app, want_app, &options);
	assert_int_equal(calls, 4); /* another user: run again */
	env_free(app);
	env_free(root);
	env_free(base);
	backtick_free(backtick);
}

static void test_cache_follows_options(void **state)
{
	(void)state;
	static const struct pair vars[] = {{"A", "`echo x`"}, {NULL, NULL}};
	struct backtick *backtick = backtick_new(echo_runner, NULL);
	struct expand_options with = {NULL, backtick};
	struct env *env = env_of(vars);
	char *error = NULL;
	assert_string_equal(env_get(env_expanded(env, NULL, &error), "A"), "`echo x`");
	assert_string_equal(env_get(env_expanded(env, &with, &error), "A"), "x");
	assert_string_equal(env_get(env_expanded(env, NULL, &error), "A"), "`echo x`");
	env_free(env);
	backtick_free(backtick);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chaperone_env1),
	    cmocka_unit_test(test_chaperone_env2_cycles),
	    cmocka_unit_test(test_chaperone_env3_defaults),
	    cmocka_unit_test(test_chaperone_env4_nesting),
	    cmocka_unit_test(test_chaperone_expand5_directives),
	    cmocka_unit_test(test_chaperone_expand6_self_reference),
	    cmocka_unit_test(test_chaperone_expand7_self_defaults),
	    cmocka_unit_test(test_chaperone_expand8_operators),
	    cmocka_unit_test(test_inherit_and_unset_globs),
	    cmocka_unit_test(test_user_and_order),
	    cmocka_unit_test(test_service_variables_and_public),
	    cmocka_unit_test(test_self_reference_edges),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_backticks_user_and_cache),
	    cmocka_unit_test(test_cache_follows_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
