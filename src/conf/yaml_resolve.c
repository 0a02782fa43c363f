/*
 * yaml_resolve.c — what type a plain YAML scalar has, decided as PyYAML's yaml.load decides
 * (YAML 1.1 implicit resolvers), so that a file means to tend what it meant to chaperone:
 * `yes` is a boolean, `010` is 8, `1:30` is 90, `1e3` is a string, `.5` is a float.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conf/yaml_resolve.h"

static bool is_one_of(const char *text, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(text, words[i]) == 0)
			return true;
	return false;
}

bool yaml_resolve_null(const char *text)
{
	static const char *const words[] = {"", "~", "null", "Null", "NULL", NULL};
	return is_one_of(text, words);
}

bool yaml_resolve_bool(const char *text, bool *value)
{
	static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
					  "TRUE", "on",	 "On",	"ON",	NULL};
	static const char *const no[] = {"no",	  "No",	 "NO",	"false", "False",
					 "FALSE", "off", "Off", "OFF",	 NULL};
	if (is_one_of(text, yes)) {
		*value = true;
		return true;
	}
	if (is_one_of(text, no)) {
		*value = false;
		return true;
	}
	return false;
}

/* Accumulates digits of one base, skipping '_'; false on a foreign character or overflow. */
static bool accumulate(const char *p, int base, bool need_digit, unsigned long long *out)
{
	unsigned long long value = 0;
	bool any = false;
	for (; *p; p++) {
		int digit;
		if (*p == '_')
			continue;
		if (isdigit((unsigned char)*p))
			digit = *p - '0';
		else if (isxdigit((unsigned char)*p))
			digit = tolower((unsigned char)*p) - 'a' + 10;
		else
			return false;
		if (digit >= base)
			return false;
		if (value > (ULLONG_MAX - (unsigned)digit) / (unsigned)base)
			return false;
		value = value * (unsigned)base + (unsigned)digit;
		any = true;
	}
	if (need_digit && !any)
		return false;
	*out = value;
	return true;
}

/* "1:30:05" after the sign: base-60 groups, each after the first in 0..59. */
static bool sexagesimal(const char *p, unsigned long long *out)
{
	if (!isdigit((unsigned char)*p) || *p == '0')
		return false;
	unsigned long long value = 0;
	bool first = true;
	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char group[32];
		unsigned long long part;
		if (len == 0 || len >= sizeof group)
			return false;
		memcpy(group, p, len);
		group[len] = '\0';
		if (!first && (len > 2 || group[0] == '_'))
			return false;
		if (!accumulate(group, 10, true, &part))
			return false;
		if (!first && part > 59)
			return false;
		if (value > (ULLONG_MAX - part) / 60)
			return false;
		value = value * 60 + part;
		first = false;
		p += len;
		if (*p == ':')
			p++;
		else
			break;
	}
	*out = value;
	return !first;
}

bool yaml_resolve_int(const char *text, long long *value)
{
	const char *p = text;
	bool negative = false;
	unsigned long long magnitude;
	if (*p == '-' || *p == '+') {
		negative = *p == '-';
		p++;
	}
	if (!*p)
		return false;
	bool ok;
	if (p[0] == '0' && p[1] == 'b')
		ok = accumulate(p + 2, 2, true, &magnitude);
	else if (p[0] == '0' && p[1] == 'x')
		ok = accumulate(p + 2, 16, true, &magnitude);
	else if (p[0] == '0' && p[1])
		ok = accumulate(p + 1, 8, true, &magnitude);
	else if (p[0] == '0')
		ok = accumulate(p, 10, true, &magnitude);
	else if (strchr(p, ':'))
		ok = sexagesimal(p, &magnitude);
	else
		ok = isdigit((unsigned char)*p) && accumulate(p, 10, true, &magnitude);
	if (!ok || magnitude > (unsigned long long)LLONG_MAX + (negative ? 1u : 0u))
		return false;
	*value = negative ? (long long)(0 - magnitude) : (long long)magnitude;
	return true;
}

/* Digits and underscores from p; returns the end, counting digits. */
static const char *digits(const char *p, int *count)
{
	*count = 0;
	while (isdigit((unsigned char)*p) || *p == '_') {
		if (*p != '_')
			(*count)++;
		p++;
	}
	return p;
}

static bool float_syntax(const char *p)
{
	int n;
	if (*p == '-' || *p == '+')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0)
		return true;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		p = digits(p, &n);
	} else {
		if (!isdigit((unsigned char)*p))
			return false;
		p = digits(p, &n);
		while (*p == ':') { /* sexagesimal float: 1:30.5 */
			p++;
			const char *start = p;
			p = digits(p, &n);
			if (p == start || p - start > 2)
				return false;
		}
		if (*p != '.')
			return false;
		p = digits(p + 1, &n);
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p != '-' && *p != '+')
			return false;
		p = digits(p + 1, &n);
		if (n == 0)
			return false;
	}
	return *p == '\0';
}

bool yaml_resolve_float(const char *text, double *value)
{
	if (strcmp(text, ".nan") == 0 || strcmp(text, ".NaN") == 0 || strcmp(text, ".NAN") == 0) {
		*value = NAN;
		return true;
	}
	if (!float_syntax(text))
		return false;
	const char *p = text;
	bool negative = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '.' && tolower((unsigned char)p[1]) == 'i') {
		*value = negative ? -INFINITY : INFINITY;
		return true;
	}
	/* Strip underscores, fold sexagesimal groups, then let strtod read the rest. */
	char clean[128];
	size_t n = 0;
	double groups = 0;
	for (; *p && n + 1 < sizeof clean; p++) {
		if (*p == '_')
			continue;
		if (*p == ':') {
			clean[n] = '\0';
			groups = groups * 60 + strtod(clean, NULL);
			n = 0;
			continue;
		}
		clean[n++] = *p;
	}
	clean[n] = '\0';
	double tail = strtod(clean, NULL);
	double result = strchr(text, ':') ? groups * 60 + tail : tail;
	*value = negative ? -result : result;
	return true;
}

enum yaml_scalar_type yaml_resolve_plain(const char *text, bool *bool_value, long long *int_value,
					 double *float_value)
{
	if (yaml_resolve_null(text))
		return YAML_NULL;
	if (yaml_resolve_bool(text, bool_value))
		return YAML_BOOL;
	if (yaml_resolve_int(text, int_value))
		return YAML_INT;
	if (yaml_resolve_float(text, float_value))
		return YAML_FLOAT;
	return YAML_STR;
}
