/*
 * command.c — parsing one control command line (see command.h).
 *
 * Words are split as Python's shlex.split does (chaperone's server uses it): blanks separate,
 * '...' is literal, "..." lets a backslash escape only " and \, and outside quotes a backslash
 * escapes any character. Options follow docopt's habits: they may appear anywhere after the
 * verb, a unique prefix of a long option is accepted, and "--" ends the options.
 */
#include "ctl/command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct option_name {
	const char *name;
	unsigned flag;
};

static const struct option_name option_names[] = {
    {"--force", CTL_OPT_FORCE},	    {"--wait", CTL_OPT_WAIT}, {"--enable", CTL_OPT_ENABLE},
    {"--disable", CTL_OPT_DISABLE}, {"--json", CTL_OPT_JSON}, {"--check", CTL_OPT_CHECK},
    {"--follow", CTL_OPT_FOLLOW},
};

struct verb_spec {
	const char *name;
	unsigned options; /* allowed options */
	size_t max_args;  /* SIZE_MAX: any number of names */
	bool read_only;
};

static const struct verb_spec verbs[CTL_VERB_COUNT] = {
    [CTL_STATUS] = {"status", CTL_OPT_JSON | CTL_OPT_CHECK, 0, true},
    [CTL_START] = {"start", CTL_OPT_FORCE | CTL_OPT_WAIT | CTL_OPT_ENABLE, CTL_ARGS_MAX, false},
    [CTL_STOP] = {"stop", CTL_OPT_FORCE | CTL_OPT_WAIT | CTL_OPT_DISABLE, CTL_ARGS_MAX, false},
    [CTL_RESTART] = {"restart", CTL_OPT_FORCE | CTL_OPT_WAIT, CTL_ARGS_MAX, false},
    [CTL_RESET] = {"reset", CTL_OPT_FORCE | CTL_OPT_WAIT, CTL_ARGS_MAX, false},
    [CTL_ENABLE] = {"enable", 0, CTL_ARGS_MAX, false},
    [CTL_DISABLE] = {"disable", 0, CTL_ARGS_MAX, false},
    [CTL_DEPENDENCIES] = {"dependencies", 0, 0, true},
    [CTL_LOGLEVEL] = {"loglevel", 0, 1, false},
    [CTL_SHUTDOWN] = {"shutdown", 0, 1, false},
    [CTL_LOGS] = {"logs", CTL_OPT_FOLLOW, CTL_ARGS_MAX, false},
    [CTL_RELOAD] = {"reload", 0, 0, false},
};

static const char usage_text[] =
    "Usage: tendctl status [--json] [--check]\n"
    "       tendctl loglevel [<level>]\n"
    "       tendctl stop [--force] [--wait] [--disable] [<servname> ...]\n"
    "       tendctl start [--force] [--wait] [--enable] [<servname> ...]\n"
    "       tendctl restart [--force] [--wait] [<servname> ...]\n"
    "       tendctl reset [--force] [--wait] [<servname> ...]\n"
    "       tendctl enable [<servname> ...]\n"
    "       tendctl disable [<servname> ...]\n"
    "       tendctl dependencies\n"
    "       tendctl shutdown [<delay>|now]\n"
    "       tendctl logs [-f] [-n <lines>] [<servname> ...]\n"
    "       tendctl reload\n"
    "A <servname> may also be a group name (every service in the group).";

const char *ctl_usage(void)
{
	return usage_text;
}

const char *ctl_verb_name(enum ctl_verb verb)
{
	return verb < CTL_VERB_COUNT ? verbs[verb].name : "?";
}

bool ctl_command_read_only(const struct ctl_command *command)
{
	return command->verb < CTL_VERB_COUNT && verbs[command->verb].read_only;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

long ctl_split_words(const char *line, size_t len, char **words, size_t max, char *storage,
		     const char **err)
{
	char *out = storage;
	size_t i = 0, n = 0;
	while (i < len) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i >= len)
			break;
		if (n == max) {
			*err = "too many words";
			return -1;
		}
		words[n++] = out;
		char quote = 0;
		while (i < len) {
			char c = line[i];
			if (c == '\0') {
				*err = "NUL byte in command";
				return -1;
			}
			if (!quote && is_blank(c))
				break;
			i++;
			if (quote == '\'') {
				if (c == '\'')
					quote = 0;
				else
					*out++ = c;
			} else if (quote == '"') {
				if (c == '"') {
					quote = 0;
				} else if (c == '\\' && i < len &&
					   (line[i] == '"' || line[i] == '\\')) {
					*out++ = line[i++];
				} else {
					*out++ = c;
				}
			} else if (c == '\'' || c == '"') {
				quote = c;
			} else if (c == '\\') {
				if (i >= len) {
					*err = "No escaped character";
					return -1;
				}
				*out++ = line[i++];
			} else {
				*out++ = c;
			}
		}
		if (quote) {
			*err = "No closing quotation";
			return -1;
		}
		*out++ = '\0';
	}
	return (long)n;
}

/* Split into command->args (pointing into storage). Returns NULL or the syntax error. */
static const char *split_words(const char *line, size_t len, struct ctl_command *command)
{
	const char *err = NULL;
	long n = ctl_split_words(line, len, command->args, CTL_ARGS_MAX, command->storage, &err);
	command->nargs = n < 0 ? 0 : (size_t)n;
	return n < 0 ? err : NULL;
}

/* A long option by exact name or unique prefix (docopt). 0 when none or ambiguous. */
static unsigned long_option(const char *word, unsigned allowed, bool *ambiguous)
{
	size_t len = strlen(word);
	unsigned found = 0;
	int matches = 0;
	*ambiguous = false;
	for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++) {
		if (!(option_names[i].flag & allowed))
			continue;
		if (strcmp(word, option_names[i].name) == 0)
			return option_names[i].flag;
		if (strncmp(word, option_names[i].name, len) == 0) {
			found = option_names[i].flag;
			matches++;
		}
	}
	if (matches > 1)
		*ambiguous = true;
	return matches == 1 ? found : 0;
}

static bool parse_count(const char *text, long *value)
{
	char *end;
	errno = 0;
	long n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < 0 || n > 1000000)
		return false;
	*value = n;
	return true;
}

static enum ctl_parse_result usage_error(char *err, size_t errlen, const char *fmt,
					 const char *what)
{
	snprintf(err, errlen, fmt, what);
	return CTL_PARSE_USAGE;
}

/* Options and arguments after the verb; words[0] is the verb. */
static enum ctl_parse_result parse_rest(struct ctl_command *command, char **words, size_t nwords,
					char *err, size_t errlen)
{
	const struct verb_spec *spec = &verbs[command->verb];
	bool options_done = false;
	for (size_t i = 1; i < nwords; i++) {
		char *word = words[i];
		if (!options_done && strcmp(word, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && command->verb == CTL_LOGS &&
		    (strcmp(word, "-n") == 0 || strncmp(word, "--lines", 7) == 0)) {
			const char *value = NULL;
			if (strncmp(word, "--lines=", 8) == 0)
				value = word + 8;
			else if (i + 1 < nwords)
				value = words[++i];
			if (!value || !parse_count(value, &command->lines))
				return usage_error(err, errlen, "%s needs a number of lines", word);
			continue;
		}
		if (!options_done && command->verb == CTL_LOGS && strcmp(word, "-f") == 0) {
			command->options |= CTL_OPT_FOLLOW;
			continue;
		}
		/* A negative number is an argument (shutdown -1 is refused later, not here). */
		if (!options_done && word[0] == '-' && word[1] &&
		    !(word[1] >= '0' && word[1] <= '9')) {
			bool ambiguous = false;
			unsigned flag =
			    word[1] == '-' ? long_option(word, spec->options, &ambiguous) : 0;
			if (!flag)
				return usage_error(err, errlen,
						   ambiguous ? "ambiguous option: %s"
							     : "unknown option: %s",
						   word);
			command->options |= flag;
			continue;
		}
		if (command->nargs >= spec->max_args)
			return usage_error(err, errlen, "too many arguments for '%s'", spec->name);
		command->args[command->nargs++] = word;
	}
	return CTL_PARSE_OK;
}

enum ctl_parse_result ctl_command_parse(const char *line, size_t len, struct ctl_command *command,
					char *err, size_t errlen)
{
	memset(command, 0, offsetof(struct ctl_command, storage));
	command->lines = -1;
	if (errlen)
		err[0] = '\0';
	if (len > CTL_LINE_MAX) {
		snprintf(err, errlen, "command longer than %d bytes", CTL_LINE_MAX);
		return CTL_PARSE_SYNTAX;
	}
	const char *why = split_words(line, len, command);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return CTL_PARSE_SYNTAX;
	}
	if (command->nargs == 0)
		return CTL_PARSE_EMPTY;
	char *words[CTL_ARGS_MAX];
	size_t nwords = command->nargs;
	memcpy(words, command->args, nwords * sizeof(words[0]));
	command->nargs = 0;
	for (int v = 0; v < CTL_VERB_COUNT; v++) {
		if (strcmp(words[0], verbs[v].name) == 0) {
			command->verb = (enum ctl_verb)v;
			return parse_rest(command, words, nwords, err, errlen);
		}
	}
	return usage_error(err, errlen, "unknown command: %s", words[0]);
}

/* Characters shlex.quote leaves alone. */
static bool safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("@%+=:,./-_", c) != NULL;
}

size_t ctl_quote_word(const char *word, char *out, size_t size)
{
	bool safe = word[0] != '\0';
	for (const char *p = word; *p && safe; p++)
		safe = safe_char(*p);
	size_t n = 0;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 < size)                                                                  \
			out[n] = (c);                                                              \
		n++;                                                                               \
	} while (0)
	if (safe) {
		for (const char *p = word; *p; p++)
			PUT(*p);
	} else {
		/* '...' with every ' written as '"'"' */
		PUT('\'');
		for (const char *p = word; *p; p++) {
			if (*p == '\'') {
				PUT('\'');
				PUT('"');
				PUT('\'');
				PUT('"');
				PUT('\'');
			} else {
				PUT(*p);
			}
		}
		PUT('\'');
	}
#undef PUT
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}
