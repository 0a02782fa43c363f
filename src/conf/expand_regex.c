/*
 * expand_regex.c — the `$(V:/regex/replacement/flags)` operator: chaperone's re.sub done
 * with POSIX extended regular expressions (regcomp/regexec).
 *
 * The loop follows Python 3.7+ re.sub: every non-overlapping match is replaced, empty
 * matches too, except an empty match right where the previous match was empty (that one
 * would never advance). Where POSIX and Python's re differ (leftmost-longest matching, no
 * \d or lookaround, '.' matching a newline...), docs/compat.md lists it.
 */
#include "conf/expand.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGEX_GROUPS 10 /* \0 .. \9 */

static bool regex_slash_unescaped(const char *text, size_t pos)
{
	return text[pos] == '/' && (pos == 0 || text[pos - 1] != '\\');
}

bool expand_regex_split(const char *text, size_t len, struct expand_regex_parts *parts)
{
	/* Flags are a trailing run of 'i'; the slash before them ends the replacement. */
	size_t end = len;
	while (end > 0 && text[end - 1] == 'i')
		end--;
	if (end == 0)
		return false;
	size_t last = end - 1;
	if (!regex_slash_unescaped(text, last))
		return false;
	/* The regex is as long as possible (a greedy ".+" in chaperone): the slash before the
	 * replacement is the last unescaped one, and the regex is not empty. */
	for (size_t middle = last; middle-- > 1;) {
		if (!regex_slash_unescaped(text, middle))
			continue;
		parts->regex = text;
		parts->regex_len = middle;
		parts->replacement = text + middle + 1;
		parts->replacement_len = last - middle - 1;
		parts->ignore_case = end < len;
		return true;
	}
	return false;
}

/* The regex as regcomp wants it: "\/" becomes "/", every other escape stays. */
static char *regex_pattern(const struct expand_regex_parts *parts)
{
	char *pattern = malloc(parts->regex_len + 1);
	if (!pattern)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < parts->regex_len; i++) {
		if (parts->regex[i] == '\\' && i + 1 < parts->regex_len) {
			if (parts->regex[i + 1] != '/')
				pattern[n++] = '\\';
			pattern[n++] = parts->regex[++i];
			continue;
		}
		pattern[n++] = parts->regex[i];
	}
	pattern[n] = '\0';
	return pattern;
}

/* glibc's regcomp copies a repeated atom once per repetition, so stacked or nested
 * repetitions ("a+++", "((a{99}){99}){99}") grow its memory multiplicatively, and an
 * optional repetition "a{1,N}" quadratically. This estimates that size and refuses what
 * would be too big (about 10 MB at the limit). Back-references inside the regex are refused
 * too: they are the one thing that makes glibc's regexec exponential. */
#define REGEX_MAX_WEIGHT 4000.0
#define REGEX_MAX_REPEAT 255 /* POSIX's smallest RE_DUP_MAX */
#define REGEX_MAX_LENGTH 4096
#define REGEX_MAX_GROUPS 64
/* Longer than any value a process can receive (MAX_ARG_STRLEN is 128 KiB), and short enough
 * that a substitution matching at every character stays quick. */
#ifndef REGEX_MAX_VALUE /* the fuzz build lowers it: ASan's regexec interceptor runs strlen */
#define REGEX_MAX_VALUE (64u * 1024u)
#endif

static const char *regex_refuse(const char *pattern)
{
	double sum[REGEX_MAX_GROUPS + 1] = {0}, last[REGEX_MAX_GROUPS + 1] = {0};
	int depth = 0;
	if (strlen(pattern) > REGEX_MAX_LENGTH)
		return "regular expression too long";
	for (const char *p = pattern; *p; p++) {
		double atom = 1, times = 0;
		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return "back-references are not supported in the regular "
				       "expression";
			if (p[1])
				p++;
			break;
		case '[': {
			const char *q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']') {
				if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
					const char *end = strstr(q + 2, q[1] == ':'   ? ":]"
									: q[1] == '.' ? ".]"
										      : "=]");
					q = end ? end + 2 : q + 1;
				} else {
					q++;
				}
			}
			if (*q)
				p = q;
			break;
		}
		case '(':
			if (depth == REGEX_MAX_GROUPS)
				return "regular expression too complex";
			depth++;
			sum[depth] = last[depth] = 0;
			continue;
		case ')':
			if (depth > 0)
				atom = sum[depth--];
			break;
		case '*':
		case '+':
		case '?':
			times = 2;
			break;
		case '{': {
			char *end = NULL;
			unsigned long low = strtoul(p + 1, &end, 10), high = low;
			if (end != p + 1 && *end == ',') {
				const char *digits = end + 1;
				high = strtoul(digits, &end, 10);
				if (end == digits)
					high = low + 1;
			}
			if (end != p + 1 && *end == '}') {
				if (low > REGEX_MAX_REPEAT || high > REGEX_MAX_REPEAT)
					return "repetition counts above 255 are not supported";
				times = (double)(high > low ? high : low) + 1;
				p = end;
			}
			break;
		}
		default:
			break;
		}
		if (times > 0) {
			sum[depth] += last[depth] * (times - 1);
			last[depth] *= times;
		} else {
			sum[depth] += atom;
			last[depth] = atom;
		}
		if (sum[depth] > REGEX_MAX_WEIGHT)
			return "regular expression too complex";
	}
	return NULL;
}

/* One replacement: \0-\9 are groups (an unmatched group is empty), \g<N> too; \\, \/, \n,
 * \t, \r, \f, \v, \a and \b are the characters Python gives them; any other backslash is
 * kept as written. */
static int regex_replace_one(const struct expand_regex_parts *parts, const char *value,
			     const regmatch_t *match, struct expand_buf *out)
{
	static const char escapes_from[] = "\\/ntrfvab";
	static const char escapes_to[] = "\\/\n\t\r\f\v\a\b";
	const char *r = parts->replacement;
	size_t len = parts->replacement_len;

	for (size_t i = 0; i < len; i++) {
		if (r[i] != '\\' || i + 1 == len) {
			/* the literal run up to the next backslash, in one append */
			const char *backslash = memchr(r + i + 1, '\\', len - i - 1);
			size_t run = backslash ? (size_t)(backslash - (r + i)) : len - i;
			if (expand_buf_append(out, r + i, run) < 0)
				return -1;
			i += run - 1;
			continue;
		}
		char c = r[i + 1];
		int group = -1;
		size_t skip = 1;
		if (c >= '0' && c <= '9') {
			group = c - '0';
		} else if (c == 'g' && i + 4 < len && r[i + 2] == '<' && r[i + 3] >= '0' &&
			   r[i + 3] <= '9' && r[i + 4] == '>') {
			group = r[i + 3] - '0';
			skip = 4;
		}
		if (group >= 0) {
			const regmatch_t *m = &match[group];
			if (m->rm_so >= 0 && expand_buf_append(out, value + m->rm_so,
							       (size_t)(m->rm_eo - m->rm_so)) < 0)
				return -1;
			i += skip;
			continue;
		}
		const char *known = c ? strchr(escapes_from, c) : NULL;
		if (known) {
			if (expand_buf_append(out, &escapes_to[known - escapes_from], 1) < 0)
				return -1;
		} else if (expand_buf_append(out, r + i, 2) < 0) {
			return -1;
		}
		i++;
	}
	return 0;
}

static void regex_error(char **error, const char *what, const char *detail)
{
	if (asprintf(error, "%s%s", what, detail) < 0)
		*error = NULL;
}

int expand_regex_sub(const struct expand_regex_parts *parts, const char *value,
		     struct expand_buf *out, char **error)
{
	char *pattern = regex_pattern(parts);
	if (!pattern) {
		regex_error(error, "out of memory", "");
		return -1;
	}
	const char *refused = regex_refuse(pattern);
	if (refused) {
		regex_error(error, refused, "");
		free(pattern);
		return -1;
	}
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | (parts->ignore_case ? REG_ICASE : 0));
	if (rc != 0) {
		char reason[128];
		regerror(rc, &re, reason, sizeof(reason));
		char *message = NULL;
		if (asprintf(&message, "invalid regular expression '%s': ", pattern) < 0)
			message = NULL;
		regex_error(error, message ? message : "invalid regular expression: ", reason);
		free(message);
		free(pattern);
		return -1;
	}
	free(pattern);

	size_t len = strlen(value), copied = 0, search = 0;
	if (len > REGEX_MAX_VALUE) {
		regfree(&re);
		regex_error(error, "value too long for a regular expression substitution", "");
		return -1;
	}
	bool after_empty = false;
	int result = 0;
	while (search <= len) {
		regmatch_t match[REGEX_GROUPS];
#ifdef REG_STARTEND
		/* The whole value with a start offset: no strlen per match, and "^" or "\b" at
		 * the offset see the character before it, as in Python. */
		match[0].rm_so = (regoff_t)search;
		match[0].rm_eo = (regoff_t)len;
		if (regexec(&re, value, REGEX_GROUPS, match, REG_STARTEND) != 0)
			break;
#else
		if (regexec(&re, value + search, REGEX_GROUPS, match, search ? REG_NOTBOL : 0) != 0)
			break;
		for (int g = 0; g < REGEX_GROUPS; g++) {
			if (match[g].rm_so >= 0) {
				match[g].rm_so += (regoff_t)search;
				match[g].rm_eo += (regoff_t)search;
			}
		}
#endif
		size_t begin = (size_t)match[0].rm_so, end = (size_t)match[0].rm_eo;
		if (after_empty && begin == end && begin == search) {
			/* POSIX gives the longest match here, so there is no non-empty one: go on
			 * one character further, as Python does. */
			after_empty = false;
			search++;
			continue;
		}
		if (expand_buf_append(out, value + copied, begin - copied) < 0 ||
		    regex_replace_one(parts, value, match, out) < 0) {
			result = -1;
			break;
		}
		copied = end;
		after_empty = begin == end;
		search = end;
	}
	if (result == 0 && expand_buf_append(out, value + copied, len - copied) < 0)
		result = -1;
	if (result < 0)
		regex_error(
		    error, errno == E2BIG ? "expansion too large (limit reached)" : "out of memory",
		    "");
	regfree(&re);
	return result;
}
