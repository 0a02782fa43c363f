/*
 * selector.c — compiling and matching selectors (see selector.h for the language).
 *
 * Each ';'-separated item compiles to a facility test (all, a facility bit mask, a program
 * name or a regex) and a priority test (all, "at most P" or "exactly P"), plus the two '!'
 * flags. Matching walks the items once: negatives must all hold, one positive must match.
 */
#include "log/selector.h"

#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log/names.h"

enum facility_kind { FACILITY_ALL, FACILITY_MASK, FACILITY_PROGRAM, FACILITY_REGEX };

struct selector_item {
	enum facility_kind kind;
	uint32_t facility_mask;
	char *program;
	regex_t regex;
	bool facility_negated;
	bool priority_negated;
	bool priority_all;
	bool priority_exact;
	int priority;
};

struct selector {
	struct selector_item *items;
	size_t count;
	bool has_positive;
};

static void item_free(struct selector_item *item)
{
	free(item->program);
	if (item->kind == FACILITY_REGEX)
		regfree(&item->regex);
}

void selector_free(struct selector *selector)
{
	if (!selector)
		return;
	for (size_t i = 0; i < selector->count; i++)
		item_free(&selector->items[i]);
	free(selector->items);
	free(selector);
}

static bool is_facility_char(char c)
{
	return c == ',' || c == '*' || isalnum((unsigned char)c);
}

/* The priority part: [!][=](*|name). */
static int parse_priority(struct selector_item *item, const char *p, size_t len)
{
	if (len && *p == '!') {
		item->priority_negated = true;
		p++, len--;
	}
	if (len && *p == '=') {
		item->priority_exact = true;
		p++, len--;
	}
	if (len == 1 && *p == '*') {
		item->priority_all = true;
		return 0;
	}
	item->priority = log_severity_from_name(p, len);
	return item->priority < 0 ? -1 : 0;
}

static int parse_facilities(struct selector_item *item, const char *p, size_t len)
{
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!is_facility_char(p[i]))
			return -1;
	if (len == 1 && *p == '*') {
		item->kind = FACILITY_ALL;
		return 0;
	}
	item->kind = FACILITY_MASK;
	const char *end = p + len;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		int facility = log_facility_from_name(p, (size_t)(stop - p));
		if (facility < 0)
			return -1;
		item->facility_mask |= UINT32_C(1) << facility;
		p = stop + 1;
	}
	return 0;
}

#define SELECTOR_REGEX_MAX 1024

/* glibc's regcomp can take exponential memory on stacked repetitions ("a+++++"), which
 * Python's re (chaperone's) rejects as "multiple repeat" anyway: refuse them, and very long
 * patterns, before compiling. */
static bool regex_acceptable(const char *pattern, size_t len)
{
	if (len > SELECTOR_REGEX_MAX)
		return false;
	int repeats = 0; /* consecutive repetition operators */
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];
		if (c == '\\') {
			i++;
			repeats = 0;
		} else if (c == '[') {
			/* a bracket expression: its '*' and '+' are plain characters */
			size_t j = i + 1;
			if (j < len && pattern[j] == '^')
				j++;
			if (j < len && pattern[j] == ']')
				j++;
			while (j < len && pattern[j] != ']')
				j++;
			i = j;
			repeats = 0;
		} else if (c == '*' || c == '+' || c == '?' || c == '}') {
			repeats++;
			/* "a*?" (lazy in Python) passes; "a**", "a+*", "a*??" do not */
			if (repeats > 2 || (repeats == 2 && c != '?'))
				return false;
		} else {
			repeats = 0;
		}
	}
	return true;
}

static int parse_item(struct selector_item *item, const char *text, size_t len, char *error,
		      size_t error_size)
{
	const char *dot = NULL;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '.')
			dot = text + i;
	if (!dot) {
		snprintf(error, error_size, "invalid log selector syntax: '%.*s'", (int)len, text);
		return -1;
	}
	if (parse_priority(item, dot + 1, (size_t)(text + len - dot - 1)) < 0) {
		snprintf(error, error_size, "invalid logging priority in '%.*s'", (int)len, text);
		return -1;
	}
	const char *p = text;
	size_t flen = (size_t)(dot - text);
	if (flen && *p == '!') {
		item->facility_negated = true;
		p++, flen--;
	}
	if (flen >= 3 && p[0] == '/' && p[flen - 1] == '/') {
		if (!regex_acceptable(p + 1, flen - 2)) {
			snprintf(error, error_size,
				 "invalid regex in '%.*s': multiple repeat or longer than %d bytes",
				 (int)len, text, SELECTOR_REGEX_MAX);
			return -1;
		}
		char *pattern = strndup(p + 1, flen - 2);
		if (!pattern) {
			snprintf(error, error_size, "out of memory");
			return -1;
		}
		int rc = regcomp(&item->regex, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		free(pattern);
		if (rc != 0) {
			char why[128];
			regerror(rc, &item->regex, why, sizeof(why));
			snprintf(error, error_size, "invalid regex in '%.*s': %s", (int)len, text,
				 why);
			return -1;
		}
		item->kind = FACILITY_REGEX;
		return 0;
	}
	if (flen >= 3 && p[0] == '[' && p[flen - 1] == ']') {
		item->kind = FACILITY_PROGRAM;
		item->program = strndup(p + 1, flen - 2);
		if (!item->program) {
			snprintf(error, error_size, "out of memory");
			return -1;
		}
		return 0;
	}
	if (parse_facilities(item, p, flen) < 0) {
		snprintf(error, error_size, "invalid logging facility in '%.*s'", (int)len, text);
		return -1;
	}
	return 0;
}

struct selector *selector_compile(const char *text, char *error, size_t error_size)
{
	if (!text || !*text)
		text = "*.*";
	struct selector *selector = calloc(1, sizeof(*selector));
	if (!selector) {
		snprintf(error, error_size, "out of memory");
		return NULL;
	}
	const char *p = text;
	for (;;) {
		const char *semi = strchr(p, ';');
		const char *stop = semi ? semi : p + strlen(p);
		const char *start = p;
		while (start < stop && *start == ' ')
			start++;
		const char *end = stop;
		while (end > start && end[-1] == ' ')
			end--;
		if (end > start) {
			struct selector_item *items =
			    realloc(selector->items, (selector->count + 1) * sizeof(*items));
			if (!items) {
				snprintf(error, error_size, "out of memory");
				selector_free(selector);
				return NULL;
			}
			selector->items = items;
			struct selector_item *item = &items[selector->count];
			memset(item, 0, sizeof(*item));
			if (parse_item(item, start, (size_t)(end - start), error, error_size) < 0) {
				if (item->kind == FACILITY_REGEX)
					item->kind =
					    FACILITY_ALL; /* regcomp failed: nothing to free */
				item_free(item);
				selector_free(selector);
				return NULL;
			}
			selector->count++;
			if (!item->facility_negated && !item->priority_negated)
				selector->has_positive = true;
		}
		if (!semi)
			break;
		p = semi + 1;
	}
	return selector;
}

bool selector_reads_text(const struct selector *selector)
{
	for (size_t i = 0; i < selector->count; i++)
		if (selector->items[i].kind == FACILITY_REGEX)
			return true;
	return false;
}

static bool regex_search(const regex_t *regex, const char *text, size_t len)
{
	regmatch_t range[1] = {{.rm_so = 0, .rm_eo = (regoff_t)len}};
	return regexec(regex, text ? text : "", 1, range, REG_STARTEND) == 0;
}

static bool facility_matches(const struct selector_item *item, const struct log_record *record)
{
	switch (item->kind) {
	case FACILITY_ALL:
		return true;
	case FACILITY_MASK:
		return record->facility >= 0 && record->facility < LOG_FACILITY_COUNT &&
		       (item->facility_mask & (UINT32_C(1) << record->facility));
	case FACILITY_PROGRAM:
		return record->tag && strcasecmp(record->tag, item->program) == 0;
	case FACILITY_REGEX:
		if (record->raw)
			return regex_search(&item->regex, record->raw, record->raw_len);
		return regex_search(&item->regex, record->text, record->text_len);
	}
	return false;
}

static bool priority_matches(const struct selector_item *item, int severity, int forced_level)
{
	if (item->priority_all)
		return true;
	if (item->priority_exact)
		return severity == item->priority;
	int bar = item->priority;
	bool positive = !item->facility_negated && !item->priority_negated;
	if (positive && forced_level > bar)
		bar = forced_level;
	return severity <= bar;
}

bool selector_match(const struct selector *selector, const struct log_record *record,
		    int forced_level)
{
	if (!selector->has_positive)
		return false;
	bool any_positive = false;
	for (size_t i = 0; i < selector->count; i++) {
		const struct selector_item *item = &selector->items[i];
		bool negative = item->facility_negated || item->priority_negated;
		if (!negative && any_positive)
			continue; /* already in; only negatives can still exclude */
		bool in_facility = facility_matches(item, record);
		bool at_priority = priority_matches(item, record->severity, forced_level);
		if (item->facility_negated && item->priority_negated) {
			if (in_facility || at_priority)
				return false;
		} else if (negative) {
			if (in_facility && at_priority)
				return false;
		} else if (in_facility && at_priority) {
			any_positive = true;
		}
	}
	return any_positive;
}
