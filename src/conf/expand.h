/*
 * expand.h — chaperone's variable expansion language, `$(NAME)` and friends.
 *
 *	$(V) ${V}        the value; an undefined V is left as written
 *	$(V:-x)          x when V is undefined or empty, else V
 *	$(V:+x)          x when V is non-empty, else ''
 *	$(V:_x)          x when V is empty or undefined, else ''
 *	$(V:?msg)        V, or an error "msg" when V is empty or undefined
 *	$(V:|a)          same as :+
 *	$(V:|a|b)        a when V is non-empty, else b
 *	$(V:|glob|a|b)   a when V matches glob (fnmatch, ASCII case-insensitive), else b;
 *	                 `\|` is a literal bar
 *	$(V:/re/repl/i)  every match of re (POSIX ERE) in V replaced by repl (\0-\9 are groups,
 *	                 `\/` a literal slash); the flag i ignores case
 *	$(`cmd`)         the output of cmd (sh -c), when backticks are enabled
 *	`cmd`            the same, bare, only inside environment values (not in directives)
 *	\$(              a literal "$(" (the backslash is dropped)
 *
 * Nested ()[]{} inside an expression are balanced; inside "..." or `...` they are not
 * counted. Branch texts (x, a, b, msg, repl) are themselves expanded. The exact semantics,
 * including where cycles stop, follow chaperone's cutil/env.py and its tests/env_expand.py;
 * docs/environment.md is the user's guide, docs/compat.md lists the differences.
 *
 * Expansion is bounded: EXPAND_MAX_DEPTH nested expansions, EXPAND_MAX_OUTPUT bytes
 * produced (counting intermediate results) and EXPAND_MAX_STEPS expressions evaluated per
 * call, plus, for a large text, twice its size and one expression per four characters.
 * Beyond any of them it is an error.
 */
#ifndef TEND_CONF_EXPAND_H
#define TEND_CONF_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/env.h"

#define EXPAND_MAX_DEPTH  256
#define EXPAND_MAX_OUTPUT (4u << 20)
#define EXPAND_MAX_STEPS  100000u

struct backtick;

/* What introduces an expression: prefix (default "$") followed by one of openers (any of
 * "({[", default "({"). envcp's --xprefix and --xgrouping change it. */
struct expand_syntax {
	const char *prefix;
	const char *openers;
};

struct expand_options {
	const struct expand_syntax *syntax; /* NULL: "$" with "({" */
	struct backtick *backtick;	    /* NULL: backticks are not run; `cmd` stays as is */
};

/* Expands text (a directive: command, directory, uid...) against values, whose variables
 * are taken as final (give it env_expanded()'s result; envcp gives the raw environ).
 * `$(`cmd`)` runs; bare backticks are left alone. Returns a malloc'd string, or NULL with
 * *error set (malloc'd) when an expression fails. */
char *expand_text(struct env *values, const char *text, const struct expand_options *options,
		  char **error);

/* The engine behind env_expanded(): a new env with every variable of env expanded. */
struct env *expand_env(struct env *env, const struct expand_options *options, char **error);

/* ---- shared by the expand*.c files only ---- */

/* A growing string whose appends draw on a byte budget shared by one expansion. */
struct expand_buf {
	char *data; /* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	size_t *budget; /* remaining bytes; NULL: unbounded */
};

/* 0, or -1 with errno ENOMEM or E2BIG (budget spent). */
int expand_buf_append(struct expand_buf *buf, const char *data, size_t len);
int expand_buf_puts(struct expand_buf *buf, const char *text);
/* Takes the string out of buf (never NULL on success: "" when empty). */
char *expand_buf_take(struct expand_buf *buf);
void expand_buf_free(struct expand_buf *buf);

/* Called by the scanner for each expression: content is what lies between the brackets,
 * whole the expression as written (prefix and brackets included). Appends to out. */
typedef int expand_scan_fn(void *arg, const char *content, size_t content_len, const char *whole,
			   size_t whole_len, struct expand_buf *out);

/* chaperone's EnvScanner: copies text to out, replacing each expression by fn's output.
 * An unterminated expression ends the scan: the rest is copied as written. */
int expand_scan(const struct expand_syntax *syntax, const char *text, size_t len,
		expand_scan_fn *fn, void *arg, struct expand_buf *out);

/* Splits the text after ":/" into regex, replacement and flags as chaperone does (the last
 * unescaped slash before a run of flags, and the last unescaped slash before that).
 * Returns false when it is not of that form. */
struct expand_regex_parts {
	const char *regex;
	size_t regex_len;
	const char *replacement;
	size_t replacement_len;
	bool ignore_case;
};
bool expand_regex_split(const char *text, size_t len, struct expand_regex_parts *parts);

/* re.sub(regex, replacement, value) with POSIX extended regular expressions: every
 * non-overlapping match, empty matches included (as Python 3.7+). Appends to out.
 * Returns 0, or -1 with *error set (a bad regex, or the budget spent). */
int expand_regex_sub(const struct expand_regex_parts *parts, const char *value,
		     struct expand_buf *out, char **error);

#endif
