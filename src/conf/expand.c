/*
 * expand.c — the expansion engine: what one `$(...)` expression gives, and the expansion of
 * a whole environment (chaperone's Environment._expand_into, _recurse and expanded()).
 *
 * Expanding an environment fills a "result": one slot per variable of the environment, by
 * position. A variable is seeded there with its raw value before its own value is expanded,
 * so a cycle (A uses B uses A) stops at the raw value instead of looping; which variable ends
 * up holding what in a cycle therefore depends on the order, which is sorted by name as in
 * chaperone. A value without any expression or backtick is its own expansion: it is taken
 * as it is (and shared with the environment, not copied), with the same limits drawn. A reference
 * to the variable being expanded (PATH in `PATH: /x:$(PATH)`) reads the value of the level above
 * instead (env->shadow). Directives are expanded against an already expanded env, where every
 * defined variable is simply looked up.
 *
 * Two details reproduce chaperone's tests/env_expand.py outcomes exactly: a variable first
 * reached through `:+` is computed but not kept in the result (it is expanded again later
 * at its own turn), and a reference inside an operator's branch text is not a
 * self-reference (inside PATH's value, `$(X:-$(PATH))` gives PATH's raw value).
 */
#include "conf/expand.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/backtick.h"

static const struct expand_syntax expand_default_syntax = {"$", "({"};

/* What a variable of the source has expanded to so far (value NULL: nothing yet). */
struct expand_result {
	const char *value; /* the raw value itself (the seed, or a plain value) or owned */
	bool owned;
};

struct expander {
	struct env *source;	      /* the variables being expanded (raw values) */
	struct expand_result *result; /* per variable of source; NULL for directives: source
					 is already expanded, its values are final */
	const struct expand_options *options;
	const struct expand_syntax *syntax;
	struct expand_syntax syntax_copy;
	size_t budget; /* bytes left to produce */
	size_t steps;  /* expressions left to evaluate */
	int depth;
	char *error;
};

static int expand_recurse(struct expander *x, const char *text, size_t len, const char *parent,
			  struct expand_buf *out);

static int expand_fail(struct expander *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int expand_fail(struct expander *x, const char *fmt, ...)
{
	if (x->error)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&x->error, fmt, ap) < 0)
		x->error = NULL;
	va_end(ap);
	return -1;
}

/* After a failed append: say why, unless a message is already there. */
static int expand_fail_append(struct expander *x)
{
	if (errno == E2BIG)
		return expand_fail(x, "expansion too large (more than %u bytes produced)",
				   EXPAND_MAX_OUTPUT);
	return expand_fail(x, "out of memory while expanding");
}

static struct expand_buf expand_buf_for(struct expander *x)
{
	struct expand_buf buf = {NULL, 0, 0, &x->budget};
	return buf;
}

/* Bare `cmd` in a text that was already scanned for expressions. */
static int expand_backticks(struct expander *x, const char *text, size_t len,
			    struct expand_buf *out)
{
	size_t copied = 0, pos = 0;
	const char *tick;
	while (pos < len && (tick = memchr(text + pos, '`', len - pos))) {
		size_t open = (size_t)(tick - text);
		const char *end = memchr(text + open + 1, '`', len - open - 1);
		if (!end)
			break;
		size_t close = (size_t)(end - text);
		if (close == open + 1) { /* `` is not a command; the second tick may open one */
			pos = open + 1;
			continue;
		}
		if (expand_buf_append(out, text + copied, open - copied) < 0)
			return expand_fail_append(x);
		char *command = strndup(text + open + 1, close - open - 1);
		if (!command)
			return expand_fail_append(x);
		char *output = NULL;
		int rc;
		if (x->options->backtick) {
			struct backtick_request request = {command, x->source->has_user,
							   x->source->uid, x->source->gid};
			output = backtick_output(x->options->backtick, &request);
			rc = output ? expand_buf_puts(out, output) : -1;
		} else {
			rc = expand_buf_append(out, text + open, close + 1 - open);
		}
		free(output);
		free(command);
		if (rc < 0)
			return expand_fail_append(x);
		copied = pos = close + 1;
	}
	if (expand_buf_append(out, text + copied, len - copied) < 0)
		return expand_fail_append(x);
	return 0;
}

static bool expand_name_is(const char *name, size_t name_len, const char *other)
{
	return strncmp(other, name, name_len) == 0 && other[name_len] == '\0';
}

/* The value a self-reference sees: the variable as the level above expanded it, or "". */
static char *expand_shadow_value(struct expander *x, const char *name, size_t name_len)
{
	for (size_t i = 0; i < x->source->nshadow; i++) {
		if (!expand_name_is(name, name_len, x->source->shadow[i].name))
			continue;
		char *error = NULL;
		struct env *above = env_expanded(x->source->shadow[i].source, x->options, &error);
		if (!above) {
			expand_fail(x, "%s", error ? error : "out of memory while expanding");
			free(error);
			return NULL;
		}
		size_t position = env_position(above, name, name_len);
		const char *value = position == ENV_NONE ? NULL : above->vars[position].value;
		size_t len = value ? strlen(value) : 0;
		if (len > x->budget) { /* the copy counts, or repeats would be free work */
			expand_fail(x, "expansion too large (more than %u bytes produced)",
				    EXPAND_MAX_OUTPUT);
			return NULL;
		}
		x->budget -= len;
		return strdup(value ? value : "");
	}
	return strdup("");
}

/* "a|b\|c|d" split at bars not preceded by a backslash, into at most four parts. */
static size_t expand_split_bars(const char *text, size_t len, const char **parts, size_t *lens)
{
	size_t count = 0, start = 0;
	for (size_t i = 0; i < len && count < 3; i++) {
		if (text[i] == '|' && (i == 0 || text[i - 1] != '\\')) {
			parts[count] = text + start;
			lens[count++] = i - start;
			start = i + 1;
		}
	}
	parts[count] = text + start;
	lens[count++] = len - start;
	return count;
}

/* text with every "\|" turned into "|", lowered when asked (for the glob match). */
static char *expand_unbar(const char *text, size_t len, bool lower)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len && text[i + 1] == '|')
			continue;
		copy[n++] = lower ? (char)tolower((unsigned char)text[i]) : text[i];
	}
	copy[n] = '\0';
	return copy;
}

static char *expand_lower(const char *text)
{
	return expand_unbar(text, strlen(text), true);
}

/* Expands a branch text (and its bare backticks) into out. */
static int expand_branch(struct expander *x, const char *text, size_t len, struct expand_buf *out)
{
	return expand_recurse(x, text, len, NULL, out);
}

static int expand_operator_bar(struct expander *x, const char *value, const char *rest,
			       size_t rest_len, struct expand_buf *out)
{
	const char *parts[4];
	size_t lens[4];
	size_t count = expand_split_bars(rest, rest_len, parts, lens);
	size_t chosen;
	if (count == 1) {
		if (!*value)
			return 0;
		chosen = 0;
	} else if (count == 2) {
		chosen = *value ? 0 : 1;
	} else {
		size_t value_len = strlen(value);
		if (value_len > x->budget) /* the lowered copy counts, or repeats would be free */
			return expand_fail(x, "expansion too large (more than %u bytes produced)",
					   EXPAND_MAX_OUTPUT);
		x->budget -= value_len;
		char *pattern = expand_unbar(parts[0], lens[0], true);
		char *subject = expand_lower(value);
		if (!pattern || !subject) {
			free(pattern);
			free(subject);
			return expand_fail(x, "out of memory while expanding");
		}
		chosen = fnmatch(pattern, subject, FNM_NOESCAPE) == 0 ? 1 : 2;
		free(pattern);
		free(subject);
	}
	char *branch = expand_unbar(parts[chosen], lens[chosen], false);
	if (!branch)
		return expand_fail(x, "out of memory while expanding");
	int rc = expand_branch(x, branch, strlen(branch), out);
	free(branch);
	return rc;
}

static int expand_operator_regex(struct expander *x, const char *value, const char *rest,
				 size_t rest_len, const char *content, size_t content_len,
				 struct expand_buf *out)
{
	struct expand_regex_parts parts;
	if (!expand_regex_split(rest, rest_len, &parts))
		return expand_fail(x, "invalid regex replacement syntax in '%.*s'",
				   (int)content_len, content);
	struct expand_buf replaced = expand_buf_for(x);
	char *error = NULL;
	if (expand_regex_sub(&parts, value, &replaced, &error) < 0) {
		expand_fail(x, "%s in '%.*s'", error ? error : "out of memory", (int)content_len,
			    content);
		free(error);
		expand_buf_free(&replaced);
		return -1;
	}
	/* chaperone expands the substituted text once more. */
	int rc = expand_branch(x, replaced.data ? replaced.data : "", replaced.len, out);
	expand_buf_free(&replaced);
	return rc;
}

/* Does text expand to itself, whatever the variables? It does when it holds no expression
 * (escaped or not) and no backtick. */
static bool expand_is_plain(const struct expander *x, const char *text)
{
	if (strchr(text, '`'))
		return false;
	const char *prefix = x->syntax->prefix;
	size_t prefix_len = strlen(prefix);
	for (const char *p = strchr(text, prefix[0]); p; p = strchr(p + 1, prefix[0]))
		if (strncmp(p, prefix, prefix_len) == 0 && p[prefix_len] != '\0' &&
		    strchr(x->syntax->openers, p[prefix_len]))
			return false;
	return true;
}

/* expand_recurse() of a plain raw value, without its work: the value is raw itself. The
 * limits are checked and the budget is drawn exactly as expand_recurse() would (the scan
 * copies the value once, the backtick pass once more), so that whether an expansion is
 * too large does not depend on this shortcut. */
static int expand_plain(struct expander *x, const char *raw)
{
	if (x->depth >= EXPAND_MAX_DEPTH)
		return expand_fail(x, "expansion nested deeper than %d levels", EXPAND_MAX_DEPTH);
	size_t len = strlen(raw);
	if (len > x->budget || len > x->budget - len)
		return expand_fail(x, "expansion too large (more than %u bytes produced)",
				   EXPAND_MAX_OUTPUT);
	x->budget -= 2 * len;
	return 0;
}

static void expand_result_set(struct expand_result *slot, const char *value, bool owned)
{
	if (slot->owned)
		free((char *)(uintptr_t)slot->value);
	slot->value = value;
	slot->owned = owned;
}

/* The value of the variable at position, computed and kept in the result if needed (not
 * kept when keep is false: see the `:+` detail above). Borrowed: it stays in the result or
 * the source while the expression that asked for it is evaluated (only a variable missing
 * from the result is ever (re)computed, only its own slot changes, and the source does not
 * change), except when *owned is set. */
static const char *expand_value_at(struct expander *x, size_t position, bool keep, bool *owned)
{
	*owned = false;
	const struct env_var *var = &x->source->vars[position];
	if (!x->result)
		return var->value;
	struct expand_result *slot = &x->result[position];
	if (slot->value)
		return slot->value;
	if (expand_is_plain(x, var->value)) {
		if (expand_plain(x, var->value) < 0)
			return NULL;
		if (keep)
			expand_result_set(slot, var->value, false);
		return var->value;
	}
	expand_result_set(slot, var->value, false); /* seed: stops cycles */
	struct expand_buf value = expand_buf_for(x);
	if (expand_recurse(x, var->value, strlen(var->value), var->name, &value) < 0) {
		expand_buf_free(&value);
		return NULL;
	}
	char *expanded = expand_buf_take(&value);
	if (!expanded) {
		expand_fail(x, "out of memory while expanding");
		return NULL;
	}
	if (!keep) {
		expand_result_set(slot, NULL, false);
		*owned = true;
		return expanded;
	}
	expand_result_set(slot, expanded, true);
	return expanded;
}

/* Phase 1 of an expression: the value of name (its first name_len bytes). *literal is set
 * when an undefined plain reference must stay as written. *owned is set when the caller
 * must free the value. */
static char *expand_lookup(struct expander *x, const char *name, size_t name_len, bool is_reference,
			   bool has_operator, char op, const char *parent, bool *literal,
			   bool *owned)
{
	*literal = false;
	*owned = true;
	if (is_reference && parent && expand_name_is(name, name_len, parent))
		return expand_shadow_value(x, name, name_len);
	size_t position = env_position(x->source, name, name_len);
	if (position == ENV_NONE) {
		if (has_operator)
			return strdup("");
		*literal = true;
		return NULL;
	}
	return (char *)(uintptr_t)expand_value_at(x, position, !(has_operator && op == '+'), owned);
}

/* One expression: content is what lies between the brackets; whole is NULL when a variable
 * is expanded at the top of env_expanded() rather than referenced. */
static int expand_expression(struct expander *x, const char *content, size_t len, const char *whole,
			     size_t whole_len, const char *parent, struct expand_buf *out)
{
	if (x->steps == 0)
		return expand_fail(x, "expansion too complex (more than %u expressions)",
				   EXPAND_MAX_STEPS);
	x->steps--;
	const char *colon = whole ? memchr(content, ':', len) : NULL;
	bool has_operator = colon && colon > content && (size_t)(colon - content) + 1 < len &&
			    colon[1] != '\0' && strchr("-|?+_/", colon[1]);
	if (whole && !has_operator && len >= 3 && content[0] == '`' && content[len - 1] == '`')
		return expand_recurse(x, content, len, parent, out); /* $(`cmd`) */

	size_t name_len = has_operator ? (size_t)(colon - content) : len;
	char op = has_operator ? colon[1] : '\0';
	const char *rest = has_operator ? colon + 2 : NULL;
	size_t rest_len = has_operator ? len - name_len - 2 : 0;

	bool literal = false;
	bool owned = true;
	char *value = expand_lookup(x, content, name_len, whole != NULL, has_operator, op, parent,
				    &literal, &owned);
	if (literal) {
		if (expand_buf_append(out, whole, whole_len) < 0)
			return expand_fail_append(x);
		return 0;
	}
	if (!value)
		return x->error ? -1 : expand_fail(x, "out of memory while expanding");

	int rc = 0;
	switch (op) {
	case '?':
		if (!*value) {
			struct expand_buf message = expand_buf_for(x);
			if (expand_branch(x, rest, rest_len, &message) == 0)
				expand_fail(x, "%s", message.data ? message.data : "");
			expand_buf_free(&message);
			rc = -1;
		} else if (expand_buf_puts(out, value) < 0) {
			rc = expand_fail_append(x);
		}
		break;
	case '/':
		rc = expand_operator_regex(x, value, rest, rest_len, content, len, out);
		break;
	case '|':
		rc = expand_operator_bar(x, value, rest, rest_len, out);
		break;
	case '+':
		rc = *value ? expand_branch(x, rest, rest_len, out) : 0;
		break;
	case '_':
		rc = *value ? 0 : expand_branch(x, rest, rest_len, out);
		break;
	case '-':
		if (!*value)
			rc = expand_branch(x, rest, rest_len, out);
		else if (expand_buf_puts(out, value) < 0)
			rc = expand_fail_append(x);
		break;
	default:
		if (expand_buf_puts(out, value) < 0)
			rc = expand_fail_append(x);
	}
	if (owned)
		free(value);
	return rc;
}

struct expand_scan_context {
	struct expander *x;
	const char *parent;
};

static int expand_scan_callback(void *arg, const char *content, size_t len, const char *whole,
				size_t whole_len, struct expand_buf *out)
{
	struct expand_scan_context *context = arg;
	return expand_expression(context->x, content, len, whole, whole_len, context->parent, out);
}

/* Expressions, then bare backticks (chaperone's _recurse). */
static int expand_recurse(struct expander *x, const char *text, size_t len, const char *parent,
			  struct expand_buf *out)
{
	if (x->depth >= EXPAND_MAX_DEPTH)
		return expand_fail(x, "expansion nested deeper than %d levels", EXPAND_MAX_DEPTH);
	x->depth++;
	struct expand_scan_context context = {x, parent};
	struct expand_buf scanned = expand_buf_for(x);
	int rc = expand_scan(x->syntax, text, len, expand_scan_callback, &context, &scanned);
	if (rc < 0 && !x->error)
		expand_fail_append(x);
	if (rc == 0)
		rc = expand_backticks(x, scanned.data ? scanned.data : "", scanned.len, out);
	expand_buf_free(&scanned);
	x->depth--;
	return rc;
}

static void expander_init(struct expander *x, struct env *source, struct expand_result *result,
			  const struct expand_options *options)
{
	static const struct expand_options no_options = {NULL, NULL};
	memset(x, 0, sizeof(*x));
	x->source = source;
	x->result = result;
	x->options = options ? options : &no_options;
	x->syntax = &expand_default_syntax;
	if (x->options->syntax) {
		/* A partial syntax keeps the defaults for what it leaves out. */
		x->syntax_copy = *x->options->syntax;
		if (!x->syntax_copy.prefix || !*x->syntax_copy.prefix)
			x->syntax_copy.prefix = expand_default_syntax.prefix;
		if (!x->syntax_copy.openers || !*x->syntax_copy.openers)
			x->syntax_copy.openers = expand_default_syntax.openers;
		x->syntax = &x->syntax_copy;
	}
	x->budget = EXPAND_MAX_OUTPUT;
	x->steps = EXPAND_MAX_STEPS;
}

char *expand_text(struct env *values, const char *text, const struct expand_options *options,
		  char **error)
{
	struct expander x;
	expander_init(&x, values, NULL, options);
	size_t len = strlen(text);
	/* A large template (envcp) may produce as much as itself, and the usual limit more. */
	x.budget += len <= (SIZE_MAX - EXPAND_MAX_OUTPUT) / 2 ? 2 * len : 0;
	x.steps += len / 4; /* an expression takes at least four characters */
	struct expand_scan_context context = {&x, NULL};
	struct expand_buf out = expand_buf_for(&x);
	if (expand_scan(x.syntax, text, len, expand_scan_callback, &context, &out) < 0) {
		if (!x.error)
			expand_fail_append(&x);
		expand_buf_free(&out);
		*error = x.error ? x.error : strdup("out of memory while expanding");
		return NULL;
	}
	char *expanded = expand_buf_take(&out);
	if (!expanded)
		*error = strdup("out of memory while expanding");
	return expanded;
}

/* A variable at its turn in expand_env(): expand_expression() of its bare name, whose output
 * chaperone drops (the value is in the result by then); it is only counted. */
static int expand_turn(struct expander *x, size_t position)
{
	if (x->steps == 0)
		return expand_fail(x, "expansion too complex (more than %u expressions)",
				   EXPAND_MAX_STEPS);
	x->steps--;
	bool owned = false;
	const char *value = expand_value_at(x, position, true, &owned);
	if (!value)
		return x->error ? -1 : expand_fail(x, "out of memory while expanding");
	size_t len = strlen(value);
	if (len > x->budget)
		return expand_fail(x, "expansion too large (more than %u bytes produced)",
				   EXPAND_MAX_OUTPUT);
	x->budget -= len;
	return 0;
}

struct env *expand_env(struct env *env, const struct expand_options *options, char **error)
{
	size_t count = env->count;
	struct expand_result *result = calloc(count ? count : 1, sizeof(*result));
	const uint32_t *by_name = env_by_name(env);
	if (!result || !by_name) {
		free(result);
		*error = strdup("out of memory while expanding");
		return NULL;
	}

	struct expander x;
	expander_init(&x, env, result, options);
	int rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++)
		if (!result[by_name[i]].value) /* not expanded while expanding another one */
			rc = expand_turn(&x, by_name[i]);

	/* Every variable has its value by now (one is only dropped from the result right after
	 * a `:+` computed it, and then at its own turn it is expanded again and kept). */
	struct env *expanded = NULL;
	const char **values = rc == 0 ? malloc((count ? count : 1) * sizeof(*values)) : NULL;
	if (values) {
		for (size_t i = 0; i < count; i++)
			values[i] = result[i].value ? result[i].value : "";
		expanded = env_with_values(env, values);
		free(values);
	}
	for (size_t i = 0; i < count; i++)
		expand_result_set(&result[i], NULL, false);
	free(result);
	if (!expanded) {
		*error = x.error ? x.error : strdup("out of memory while expanding");
		return NULL;
	}
	free(x.error);
	expanded->has_user = env->has_user;
	expanded->uid = env->uid;
	expanded->gid = env->gid;
	return expanded;
}
