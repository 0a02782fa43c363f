/*
 * schema_values.c — one YAML value to one typed field, with chaperone's types and coercions,
 * and one message per mistake: "SECTION.KEY: found WHAT, allowed: WHAT IS ALLOWED".
 */
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/schema.h"
#include "core/child.h"

static char *schema_xstrdup(const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		abort();
	return copy;
}

void schema_error_text(struct schema_where *where, const struct yaml_node *node, const char *found,
		       const char *allowed)
{
	where->failures++;
	const struct conf_origin *origin = node ? &node->origin : NULL;
	if (where->key)
		conf_errors_add(where->errors, origin, "%s.%s: found %s, allowed: %s",
				where->section, where->key, found, allowed);
	else
		conf_errors_add(where->errors, origin, "%s: found %s, allowed: %s", where->section,
				found, allowed);
}

void schema_error(struct schema_where *where, const struct yaml_node *node, const char *allowed)
{
	char found[128];
	schema_error_text(where, node, yaml_describe(node, found, sizeof found), allowed);
}

bool schema_has_expansion(const char *text)
{
	return strstr(text, "$(") || strstr(text, "${") || strchr(text, '`');
}

int schema_bool(struct schema_where *where, const struct yaml_node *node, bool *out)
{
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_BOOL) {
		*out = node->bool_value;
		return 0;
	}
	schema_error(where, node, "true or false");
	return -1;
}

int schema_int(struct schema_where *where, const struct yaml_node *node, long min, long *out)
{
	char allowed[64];
	snprintf(allowed, sizeof allowed, "an integer >= %ld", min);
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT && node->int_value >= min &&
	    node->int_value <= INT32_MAX) {
		*out = (long)node->int_value;
		return 0;
	}
	schema_error(where, node, allowed);
	return -1;
}

int schema_number(struct schema_where *where, const struct yaml_node *node, double *out)
{
	double value;
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT)
		value = (double)node->int_value;
	else if (node->kind == YAML_NODE_SCALAR && node->type == YAML_FLOAT)
		value = node->float_value;
	else
		value = NAN;
	/* Seconds and factors: a day of years is plenty, and keeps timers from overflowing. */
	if (isfinite(value) && value >= 0 && value <= 1e9) {
		*out = value;
		return 0;
	}
	schema_error(where, node, "a number >= 0");
	return -1;
}

int schema_string(struct schema_where *where, const struct yaml_node *node, char **out)
{
	if (yaml_is_string(node)) {
		free(*out);
		*out = schema_xstrdup(node->text);
		return 0;
	}
	if (node->kind == YAML_NODE_SCALAR && node->type != YAML_NULL) {
		char allowed[160];
		snprintf(allowed, sizeof allowed, "a string (write it in quotes: \"%.100s\")",
			 node->text);
		schema_error(where, node, allowed);
	} else {
		schema_error(where, node, "a string");
	}
	return -1;
}

int schema_string_or_int(struct schema_where *where, const struct yaml_node *node, char **out)
{
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT) {
		char text[32];
		snprintf(text, sizeof text, "%lld", node->int_value);
		free(*out);
		*out = schema_xstrdup(text);
		return 0;
	}
	if (yaml_is_string(node))
		return schema_string(where, node, out);
	schema_error(where, node, "a name or a number");
	return -1;
}

int schema_enabled(struct schema_where *where, const struct yaml_node *node, char **out)
{
	static const char allowed[] =
	    "true or false, or a string y/yes/true/on or n/no/false/off/\"\" (any case)";
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_BOOL) {
		free(*out);
		*out = schema_xstrdup(node->bool_value ? "true" : "false");
		return 0;
	}
	bool ignored;
	if (yaml_is_string(node) && (schema_has_expansion(node->text) ||
				     conf_bool_from_string(node->text, &ignored) == 0)) {
		free(*out);
		*out = schema_xstrdup(node->text);
		return 0;
	}
	schema_error(where, node, allowed);
	return -1;
}

int schema_port(struct schema_where *where, const struct yaml_node *node, char **out)
{
	static const char allowed[] = "a port number from 1 to 65535";
	long port;
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT && node->int_value >= 1 &&
	    node->int_value <= 65535)
		return schema_string_or_int(where, node, out);
	if (yaml_is_string(node) &&
	    (schema_has_expansion(node->text) ||
	     (conf_int_from_string(node->text, &port) == 0 && port >= 1 && port <= 65535))) {
		free(*out);
		*out = schema_xstrdup(node->text);
		return 0;
	}
	schema_error(where, node, allowed);
	return -1;
}

int schema_choice(struct schema_where *where, const struct yaml_node *node,
		  const char *const *choices, char **out)
{
	if (yaml_is_string(node)) {
		for (size_t i = 0; choices[i]; i++) {
			if (strcmp(node->text, choices[i]) == 0) {
				free(*out);
				*out = schema_xstrdup(choices[i]);
				return 0;
			}
		}
	}
	char allowed[256] = "";
	for (size_t i = 0; choices[i]; i++) {
		size_t used = strlen(allowed);
		snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "one of ",
			 choices[i]);
	}
	schema_error(where, node, allowed);
	return -1;
}

int conf_signal_from_name(const char *name)
{
	/* chaperone: "SIG..." in any case, or a number; a bare "TERM" is not a signal there. */
	long number;
	if (conf_int_from_string(name, &number) == 0)
		return number >= 1 && number < NSIG ? (int)number : -1;
	if (strncasecmp(name, "SIG", 3) != 0 || name[3] == '_' || name[3] == '\0')
		return -1;
	return signal_from_name(name);
}

const char *conf_signal_name(int signo)
{
	return signal_name(signo);
}

int schema_signal(struct schema_where *where, const struct yaml_node *node, int *out)
{
	static const char allowed[] =
	    "a signal name such as \"SIGTERM\" or \"SIGHUP\", or a number";
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT && node->int_value >= 1 &&
	    node->int_value < NSIG) {
		*out = (int)node->int_value;
		return 0;
	}
	if (yaml_is_string(node)) {
		int signo = conf_signal_from_name(node->text);
		if (signo > 0) {
			*out = signo;
			return 0;
		}
		char prefixed[64];
		snprintf(prefixed, sizeof prefixed, "SIG%.40s", node->text);
		if (signal_from_name(prefixed) > 0) {
			char hint[160];
			snprintf(hint, sizeof hint, "%s (did you mean \"%s\"?)", allowed, prefixed);
			schema_error(where, node, hint);
			return -1;
		}
	}
	schema_error(where, node, allowed);
	return -1;
}

int schema_comma_list(struct schema_where *where, const struct yaml_node *node, struct strlist *out)
{
	if (!yaml_is_string(node)) {
		schema_error(where, node, "a string of names separated by commas");
		return -1;
	}
	strlist_free(out);
	const char *p = node->text;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *last = end;
		while (last > p && isspace((unsigned char)last[-1]))
			last--;
		if (last > p) { /* empty items ("a,,b", a trailing comma) are dropped */
			char *item = strndup(p, (size_t)(last - p));
			if (!item)
				abort();
			strlist_append(out, item);
			free(item);
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

int schema_string_list(struct schema_where *where, const struct yaml_node *node,
		       struct strlist *out)
{
	if (node->kind != YAML_NODE_SEQ) {
		schema_error(where, node, "a list of strings");
		return -1;
	}
	int result = 0;
	strlist_free(out);
	for (size_t i = 0; i < node->count; i++) {
		if (yaml_is_string(node->items[i]))
			strlist_append(out, node->items[i]->text);
		else {
			schema_error(where, node->items[i], "a list of strings");
			result = -1;
		}
	}
	return result;
}

int schema_env_map(struct schema_where *where, const struct yaml_node *node, struct env_map *out)
{
	if (node->kind != YAML_NODE_MAP) {
		schema_error(where, node, "a map of variable names to strings");
		return -1;
	}
	int result = 0;
	for (size_t i = 0; i < node->npairs; i++) {
		const struct yaml_node *key = node->pairs[i].key;
		const struct yaml_node *value = node->pairs[i].value;
		if (!yaml_is_string(key)) {
			schema_error(where, key, "a variable name (a string)");
			result = -1;
			continue;
		}
		if (!yaml_is_string(value)) {
			char found[160], allowed[200];
			char described[128];
			snprintf(found, sizeof found, "%s for %.60s",
				 yaml_describe(value, described, sizeof described), key->text);
			if (value->kind == YAML_NODE_SCALAR && value->type != YAML_NULL)
				snprintf(allowed, sizeof allowed,
					 "a string (write it in quotes: \"%.100s\")", value->text);
			else
				snprintf(allowed, sizeof allowed, "a string");
			schema_error_text(where, value, found, allowed);
			result = -1;
			continue;
		}
		env_map_set(out, key->text, value->text, &value->origin);
	}
	return result;
}

int schema_size(struct schema_where *where, const struct yaml_node *node, long *out)
{
	static const char allowed[] = "a size in bytes >= 0, or a number with K, M or G";
	if (node->kind == YAML_NODE_SCALAR && node->type == YAML_INT && node->int_value >= 0 &&
	    node->int_value <= (1LL << 50)) {
		*out = (long)node->int_value;
		return 0;
	}
	if (yaml_is_string(node) && node->text[0] >= '0' && node->text[0] <= '9') {
		char *end;
		unsigned long long value = strtoull(node->text, &end, 10);
		unsigned shift = 0;
		switch (toupper((unsigned char)*end)) {
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		default:
			shift = 99;
			break;
		}
		if (shift != 99 &&
		    (end[1] == '\0' || ((end[1] == 'B' || end[1] == 'b') && !end[2])) &&
		    value <= (1ULL << 20)) {
			*out = (long)(value << shift);
			return 0;
		}
	}
	schema_error(where, node, allowed);
	return -1;
}

size_t schema_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return la > lb ? la : lb;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diagonal + cost;
			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

const char *schema_suggest(const char *word, const char *const *names)
{
	size_t limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	size_t best_distance = limit + 1;
	for (size_t i = 0; names[i]; i++) {
		size_t distance = schema_edit_distance(word, names[i]);
		if (distance < best_distance) {
			best = names[i];
			best_distance = distance;
		}
	}
	return best;
}
