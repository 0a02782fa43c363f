/*
 * argv.c — shlex.split (POSIX mode, no comments): whitespace separates words; '...' is
 * literal; inside "..." a backslash escapes only " and \ (and is kept otherwise); outside
 * quotes a backslash escapes any character. Adjacent quoted parts join one word.
 */
#include "core/argv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static int push_word(char ***argv, size_t *argc, size_t *cap, const char *word, size_t len)
{
	if (*argc + 2 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **grown = realloc(*argv, ncap * sizeof(char *));
		if (!grown)
			return -1;
		*argv = grown;
		*cap = ncap;
	}
	char *copy = strndup(word, len);
	if (!copy)
		return -1;
	(*argv)[(*argc)++] = copy;
	(*argv)[*argc] = NULL;
	return 0;
}

char **argv_split(const char *text, size_t *argc_out, char *err, size_t errlen)
{
	size_t argc = 0, cap = 0;
	char **argv = NULL;
	size_t len = strlen(text);
	char *word = malloc(len + 1);
	if (!word)
		goto nomem;
	if (push_word(&argv, &argc, &cap, "", 0) < 0) /* ensures a vector even for "" */
		goto nomem;
	free(argv[0]);
	argv[0] = NULL;
	argc = 0;

	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		size_t wl = 0;
		bool in_word = true;
		while (*p && in_word) {
			char c = *p;
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				in_word = false;
			} else if (c == '\'') {
				const char *close = strchr(p + 1, '\'');
				if (!close) {
					snprintf(err, errlen, "no closing quotation (')");
					goto fail;
				}
				memcpy(word + wl, p + 1, (size_t)(close - p - 1));
				wl += (size_t)(close - p - 1);
				p = close + 1;
			} else if (c == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					word[wl++] = *p++;
				}
				if (*p != '"') {
					snprintf(err, errlen, "no closing quotation (\")");
					goto fail;
				}
				p++;
			} else if (c == '\\') {
				if (!p[1]) {
					snprintf(err, errlen, "no escaped character after \\");
					goto fail;
				}
				word[wl++] = p[1];
				p += 2;
			} else {
				word[wl++] = c;
				p++;
			}
		}
		if (push_word(&argv, &argc, &cap, word, wl) < 0)
			goto nomem;
	}
	free(word);
	if (argc_out)
		*argc_out = argc;
	return argv;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(word);
	argv_free(argv);
	return NULL;
}
