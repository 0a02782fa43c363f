/*
 * fuzz_expand.c — bytes -> the expansion language, backticks disabled.
 *
 * The first byte picks what is exercised: a directive expanded against a fixed environment
 * (with chaperone's syntax or envcp's --xprefix/--xgrouping), or the input's lines used as
 * the values of variables that refer to each other (cycles, self-references through a
 * parent level), expanded whole. Any result is fine; crashes, leaks, sanitizer reports and
 * runaway time are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/env.h"
#include "conf/expand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct env *fuzz_fixed_env(void)
{
	char *vars[] = {"HOME=/home/app",     "ONE=number-1", "EMPTY=", "BAR=a|b",
			"PATH=/bin:/usr/bin", "REF=$(ONE)",   NULL};
	return env_from_environ(vars);
}

static void fuzz_directive(const char *text, const struct expand_syntax *syntax)
{
	struct env *values = fuzz_fixed_env();
	if (!values)
		return;
	struct expand_options options = {syntax, NULL};
	char *error = NULL;
	char *out = expand_text(values, text, &options, &error);
	free(out);
	free(error);
	env_free(values);
}

/* Each line "NAME=value" (or just a value, named V<n>) becomes a variable of a level built
 * on the fixed env, so values can refer to each other and to the level above. */
static void fuzz_environment(char *text)
{
	struct env *base = fuzz_fixed_env();
	struct env_pair pairs[16];
	char names[16][8];
	size_t count = 0;
	for (char *line = text; line && count < 16;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *equals = strchr(line, '=');
		if (equals && equals != line) {
			*equals = '\0';
			pairs[count].name = line;
			pairs[count].value = equals + 1;
		} else {
			snprintf(names[count], sizeof(names[count]), "V%zu", count);
			pairs[count].name = names[count];
			pairs[count].value = line;
		}
		count++;
		line = next;
	}
	struct env_level level = {0};
	level.set.items = pairs;
	level.set.count = count;
	struct env *env = base ? env_build_level(base, &level, NULL) : NULL;
	if (env) {
		char *error = NULL;
		struct env *values = env_expanded(env, NULL, &error);
		if (values) {
			char **envp = env_public(values);
			env_strv_free(envp);
		}
		free(error);
	}
	env_free(env);
	env_free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64 * 1024)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0'; /* a NUL inside simply ends the text, as in a C string */
	static const struct expand_syntax envcp_syntax = {"%%", "({["};
	switch (data[0] % 3) {
	case 0:
		fuzz_directive(text, NULL);
		break;
	case 1:
		fuzz_directive(text, &envcp_syntax);
		break;
	default:
		fuzz_environment(text);
	}
	free(text);
	return 0;
}
