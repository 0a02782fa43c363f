/*
 * fuzz_command.c — libFuzzer target for src/ctl/command.c: parse any bytes as a control
 * command line; when it parses, check the result is well formed (known verb, arguments within
 * bounds and NUL-terminated inside the command), and that quoting every argument and parsing
 * again gives the same words back.
 * Seeds: tests/fuzz/corpus/fuzz_command/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_command first, second;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	enum ctl_parse_result r =
	    ctl_command_parse((const char *)data, size, &first, err, sizeof(err));
	if (r != CTL_PARSE_OK)
		return 0;
	if (first.verb >= CTL_VERB_COUNT || first.nargs > CTL_ARGS_MAX)
		abort();
	/* rebuild: verb, options spelled out, "--", then every argument quoted (when the extra
	 * words still fit in a command) */
	if (first.nargs + 7 + 3 > CTL_ARGS_MAX)
		return 0;
	static char line[4 * CTL_LINE_MAX];
	size_t used = (size_t)snprintf(line, sizeof(line), "%s", ctl_verb_name(first.verb));
	static const struct {
		unsigned flag;
		const char *name;
	} options[] = {{CTL_OPT_FORCE, "--force"},   {CTL_OPT_WAIT, "--wait"},
		       {CTL_OPT_ENABLE, "--enable"}, {CTL_OPT_DISABLE, "--disable"},
		       {CTL_OPT_JSON, "--json"},     {CTL_OPT_CHECK, "--check"},
		       {CTL_OPT_FOLLOW, "--follow"}};
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (first.options & options[i].flag)
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %s",
						 options[i].name);
	if (first.lines >= 0)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " -n %ld", first.lines);
	used += (size_t)snprintf(line + used, sizeof(line) - used, " --");
	for (size_t i = 0; i < first.nargs; i++) {
		const char *arg = first.args[i];
		if (arg < first.storage || arg >= first.storage + sizeof(first.storage))
			abort();
		line[used++] = ' ';
		used += ctl_quote_word(arg, line + used, sizeof(line) - used);
		if (used >= sizeof(line))
			return 0;
	}
	if (used > CTL_LINE_MAX)
		return 0; /* quoting made it longer than a command may be */
	if (ctl_command_parse(line, used, &second, err, sizeof(err)) != CTL_PARSE_OK)
		abort();
	if (second.verb != first.verb || second.options != first.options ||
	    second.nargs != first.nargs || second.lines != first.lines)
		abort();
	for (size_t i = 0; i < first.nargs; i++)
		if (strcmp(first.args[i], second.args[i]) != 0)
			abort();
	return 0;
}
