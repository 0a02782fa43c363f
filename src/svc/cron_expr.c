/*
 * cron_expr.c — parsing cron expressions and finding the next time one fires (cron_expr.h).
 *
 * The search works on two clocks:
 *  - "wall" time: local calendar time as plain seconds since 1970-01-01 00:00 with no zone
 *    (a proleptic Gregorian calendar of our own, so matching needs no libc calls), and
 *  - instants (time_t). Between two changes of the UTC offset (DST, zone changes), instant
 *    = wall - offset; localtime_r() tells us the offset at any instant.
 * cron_expr_next() walks forward region by region: in the current offset region it finds
 * the first matching wall time, turns it into an instant, and checks (by probing the offset
 * once a day, then bisecting) whether the offset changes before that instant. The DST
 * policy of cron_expr.h is applied where a region starts or ends. No mktime(): its handling
 * of skipped and repeated times differs between libcs.
 */
#include "svc/cron_expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SECONDS_PER_DAY 86400
#define ALL_HOURS	UINT32_C(0x00FFFFFF) /* bits 0-23 */
#define ALL_DAYS	UINT32_C(0xFFFFFFFE) /* bits 1-31 */
#define ALL_WEEKDAYS	0x7Fu		     /* bits 0-6 */
#define MAX_FIELDS	6
#define MAX_QUOTE	40 /* how much of a bad item an error message repeats */
#define NO_MATCH	INT64_MIN

/* ---- parsing ---------------------------------------------------------------------------- */

struct cron_field {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] stands for min + i (NULL: numbers only) */
	int names_count;
	const char *names_text;
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct cron_field fields[MAX_FIELDS] = {
    {"minute", 0, 59, NULL, 0, ""},
    {"hour", 0, 23, NULL, 0, ""},
    {"day-of-month", 1, 31, NULL, 0, ""},
    {"month", 1, 12, month_names, 12, " or jan-dec"},
    {"day-of-week", 0, 7, weekday_names, 7, " or sun-sat (0 and 7 are Sunday)"},
    {"second", 0, 59, NULL, 0, ""},
};

struct cron_alias {
	const char *name;
	const char *spec;
};

static const struct cron_alias aliases[] = {
    {"yearly", "0 0 1 1 *"}, {"annually", "0 0 1 1 *"}, {"monthly", "0 0 1 * *"},
    {"weekly", "0 0 * * 0"}, {"daily", "0 0 * * *"},	{"midnight", "0 0 * * *"},
    {"hourly", "0 * * * *"}, {"reboot", "@reboot"},
};

__attribute__((format(printf, 3, 4))) static int cron_fail(char *err, size_t errlen,
							   const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list args;
		va_start(args, fmt);
		vsnprintf(err, errlen, fmt, args);
		va_end(args);
	}
	errno = EINVAL;
	return -1;
}

const char *cron_expr_alias(const char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@')
		text++;
	size_t len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].name) == len && strncasecmp(text, aliases[i].name, len) == 0)
			return aliases[i].spec;
	return NULL;
}

/* One number or name; advances *p. -1 if there is none. */
static int cron_parse_value(const char **p, const char *end, const struct cron_field *field,
			    int *value)
{
	const char *s = *p;
	if (s < end && isdigit((unsigned char)*s)) {
		int v = 0;
		while (s < end && isdigit((unsigned char)*s)) {
			if (v > 999)
				return -1; /* far out of every range; avoids overflow */
			v = v * 10 + (*s++ - '0');
		}
		*value = v;
		*p = s;
		return 0;
	}
	if (field->names && end - s >= 3) {
		for (int i = 0; i < field->names_count; i++) {
			if (strncasecmp(s, field->names[i], 3) == 0 &&
			    (end - s == 3 || !isalpha((unsigned char)s[3]))) {
				*value = field->min + i;
				*p = s + 3;
				return 0;
			}
		}
	}
	return -1;
}

/* One list item: `*`, `a`, `a-b`, each optionally with `/step`. */
static int cron_parse_item(const char *item, const char *end, const struct cron_field *field,
			   uint64_t *mask, char *err, size_t errlen)
{
	int quoted = (int)(end - item > MAX_QUOTE ? MAX_QUOTE : end - item);
	const char *p = item;
	int low, high, step = 1;
	bool star = false, range = false;

	if (p < end && *p == '*') {
		star = true;
		low = field->min;
		high = field->max;
		p++;
	} else {
		if (cron_parse_value(&p, end, field, &low) < 0)
			goto syntax;
		high = low;
		if (p < end && *p == '-') {
			p++;
			range = true;
			if (cron_parse_value(&p, end, field, &high) < 0)
				goto syntax;
		}
	}
	if (p < end && *p == '/') {
		p++;
		if (p == end || !isdigit((unsigned char)*p))
			goto syntax;
		step = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			if (step > 9999)
				break;
			step = step * 10 + (*p++ - '0');
		}
		if (step == 0)
			return cron_fail(
			    err, errlen,
			    "%s: found step '/0' in '%.*s', allowed: a step of 1 or more",
			    field->name, quoted, item);
		if (!star && !range)
			high = field->max; /* "a/n": from a to the end, as croniter */
	}
	if (p != end)
		goto syntax;
	if (low < field->min || low > field->max || high < field->min || high > field->max)
		return cron_fail(err, errlen, "%s: found '%.*s', allowed: %d-%d%s", field->name,
				 quoted, item, field->min, field->max, field->names_text);
	if (low > high)
		return cron_fail(err, errlen,
				 "%s: found '%.*s', allowed: ranges from low to high (%d-%d)",
				 field->name, quoted, item, field->min, field->max);
	for (int v = low; v <= high; v += step)
		*mask |= UINT64_C(1) << v;
	return 0;

syntax:
	return cron_fail(err, errlen,
			 "%s: found '%.*s', allowed: %d-%d%s, '*', ranges a-b, steps */n a/n "
			 "a-b/n, comma lists",
			 field->name, quoted, item, field->min, field->max, field->names_text);
}

static int cron_parse_field(const char *start, const char *end, const struct cron_field *field,
			    uint64_t *mask, char *err, size_t errlen)
{
	*mask = 0;
	for (const char *item = start;;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma ? comma : end;
		if (item_end == item)
			return cron_fail(err, errlen,
					 "%s: found an empty list item in '%.*s', "
					 "allowed: comma lists like 1,5,10",
					 field->name,
					 (int)(end - start > MAX_QUOTE ? MAX_QUOTE : end - start),
					 start);
		if (cron_parse_item(item, item_end, field, mask, err, errlen) < 0)
			return -1;
		if (!comma)
			return 0;
		item = comma + 1;
	}
}

static int cron_parse_fields(const char *text, struct cron_expr *out, char *err, size_t errlen)
{
	const char *start[MAX_FIELDS + 1], *end[MAX_FIELDS + 1];
	size_t count = 0;
	for (const char *p = text;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (count == MAX_FIELDS + 1) {
			count++;
			break;
		}
		start[count] = p;
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		end[count++] = p;
	}
	if (count == 0)
		return cron_fail(err, errlen,
				 "interval: found an empty expression, allowed: "
				 "'minute hour day-of-month month day-of-week [second]' "
				 "or @yearly @annually @monthly @weekly @daily @midnight "
				 "@hourly @reboot");
	if (count < 5 || count > MAX_FIELDS)
		return cron_fail(err, errlen,
				 "interval: found %s%zu fields, allowed: 5 (minute hour "
				 "day-of-month month day-of-week), a 6th for seconds, or @yearly "
				 "@annually @monthly @weekly @daily @midnight @hourly @reboot",
				 count > MAX_FIELDS ? "more than " : "",
				 count > MAX_FIELDS ? (size_t)MAX_FIELDS : count);

	uint64_t masks[MAX_FIELDS] = {0};
	for (size_t i = 0; i < count; i++)
		if (cron_parse_field(start[i], end[i], &fields[i], &masks[i], err, errlen) < 0)
			return -1;
	out->minutes = masks[0];
	out->hours = (uint32_t)masks[1];
	out->days = (uint32_t)masks[2];
	out->months = (uint16_t)masks[3];
	out->weekdays = (uint8_t)((masks[4] | (masks[4] >> 7)) & ALL_WEEKDAYS); /* 7 is Sunday */
	out->seconds = count == MAX_FIELDS ? masks[5] : 1;
	return 0;
}

int cron_expr_parse(const char *text, struct cron_expr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err && errlen > 0)
		err[0] = '\0';
	const char *spec = cron_expr_alias(text);
	if (spec && strcmp(spec, "@reboot") == 0) {
		out->reboot = true;
		return 0;
	}
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (!spec && *p == '@')
		return cron_fail(err, errlen,
				 "interval: found '%.*s', allowed: @yearly @annually @monthly "
				 "@weekly @daily @midnight @hourly @reboot",
				 (int)strnlen(p, MAX_QUOTE), p);
	return cron_parse_fields(spec ? spec : text, out, err, errlen);
}

/* ---- the calendar ----------------------------------------------------------------------- */

struct civil {
	int64_t year;
	int month, day, hour, minute, second;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic: 400-year cycles). */
static int64_t civil_to_days(int64_t year, int month, int day)
{
	year -= month <= 2;
	int64_t era = floor_div(year, 400);
	int64_t year_of_era = year - era * 400;
	int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

static struct civil civil_from_wall(int64_t wall)
{
	struct civil c;
	int64_t days = floor_div(wall, SECONDS_PER_DAY);
	int64_t seconds = wall - days * SECONDS_PER_DAY;
	c.hour = (int)(seconds / 3600);
	c.minute = (int)(seconds / 60 % 60);
	c.second = (int)(seconds % 60);

	days += 719468;
	int64_t era = floor_div(days, 146097);
	int64_t day_of_era = days - era * 146097;
	int64_t year_of_era =
	    (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year =
	    day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t mp = (5 * day_of_year + 2) / 153;
	c.day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
	c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.year = year_of_era + era * 400 + (c.month <= 2);
	return c;
}

static int64_t civil_to_wall(const struct civil *c)
{
	return civil_to_days(c->year, c->month, c->day) * SECONDS_PER_DAY + c->hour * 3600 +
	       c->minute * 60 + c->second;
}

static bool is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
	static const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

static int weekday(int64_t year, int month, int day)
{
	int64_t w = (civil_to_days(year, month, day) + 4) % 7; /* 1970-01-01 was a Thursday */
	return (int)(w < 0 ? w + 7 : w);
}

static bool cron_day_matches(const struct cron_expr *e, int64_t year, int month, int day)
{
	bool by_date = (e->days >> day) & 1u;
	bool by_weekday = (e->weekdays >> weekday(year, month, day)) & 1u;
	/* both restricted: either one (vixie cron, croniter); otherwise the restricted one */
	if (e->days != ALL_DAYS && e->weekdays != ALL_WEEKDAYS)
		return by_date || by_weekday;
	return by_date && by_weekday;
}

/* Smallest set bit >= from and <= max, or -1. */
static int next_bit(uint64_t mask, int from, int max)
{
	for (int i = from; i <= max; i++)
		if ((mask >> i) & 1u)
			return i;
	return -1;
}

/* The first wall time >= wall that matches, or NO_MATCH past the end of limit_year. Each
 * step moves the calendar position forward, so this ends. */
static int64_t cron_next_wall(const struct cron_expr *e, int64_t wall, int64_t limit_year)
{
	struct civil c = civil_from_wall(wall);
	for (;;) {
		if (c.year > limit_year)
			return NO_MATCH;
		int month = next_bit(e->months, c.month, 12);
		if (month < 0) {
			c = (struct civil){.year = c.year + 1, .month = 1, .day = 1};
			continue;
		}
		if (month != c.month)
			c = (struct civil){.year = c.year, .month = month, .day = 1};
		int length = days_in_month(c.year, c.month);
		while (c.day <= length && !cron_day_matches(e, c.year, c.month, c.day)) {
			c.day++;
			c.hour = c.minute = c.second = 0;
		}
		if (c.day > length) {
			c = (struct civil){.year = c.year + (c.month == 12),
					   .month = c.month == 12 ? 1 : c.month + 1,
					   .day = 1};
			continue;
		}
		int hour = next_bit(e->hours, c.hour, 23);
		if (hour < 0) {
			c.day++;
			c.hour = c.minute = c.second = 0;
			continue;
		}
		if (hour != c.hour) {
			c.hour = hour;
			c.minute = c.second = 0;
		}
		int minute = next_bit(e->minutes, c.minute, 59);
		if (minute < 0) {
			c.hour++;
			c.minute = c.second = 0;
			continue;
		}
		if (minute != c.minute) {
			c.minute = minute;
			c.second = 0;
		}
		int second = next_bit(e->seconds, c.second, 59);
		if (second < 0) {
			c.minute++;
			c.second = 0;
			continue;
		}
		c.second = second;
		return civil_to_wall(&c);
	}
}

/* ---- instants and offsets --------------------------------------------------------------- */

/* The UTC offset (seconds east) in effect at instant t. */
static int cron_offset(int64_t t, int64_t *offset)
{
	time_t when = (time_t)t;
	struct tm tm;
	if ((int64_t)when != t || !localtime_r(&when, &tm)) {
		errno = ERANGE;
		return -1;
	}
	*offset = tm.tm_gmtoff;
	return 0;
}

/* The first instant in (low, high] whose offset differs from `offset` (the offset at low),
 * or 0 in *found when there is none. Probes once a day (offsets never change twice within
 * a day), then bisects. */
static int cron_find_change(int64_t low, int64_t high, int64_t offset, int64_t *change, bool *found)
{
	*found = false;
	int64_t before = low, probe_offset;
	for (int64_t probe = low;; before = probe) {
		probe = high - before > SECONDS_PER_DAY ? before + SECONDS_PER_DAY : high;
		if (probe <= before)
			return 0;
		if (cron_offset(probe, &probe_offset) < 0)
			return -1;
		if (probe_offset != offset) {
			high = probe;
			break;
		}
		if (probe == high)
			return 0;
	}
	while (high - before > 1) {
		int64_t middle = before + (high - before) / 2;
		if (cron_offset(middle, &probe_offset) < 0)
			return -1;
		if (probe_offset == offset)
			before = middle;
		else
			high = middle;
	}
	*change = high;
	*found = true;
	return 0;
}

/* If instant c (offset `offset`) shows a wall time that already happened earlier (the
 * repeated hour after a fall-back), *resume = the first instant past the repeated times. */
static int cron_repeated(int64_t c, int64_t offset, bool *repeated, int64_t *resume)
{
	int64_t earlier_offset, twin_offset;
	*repeated = false;
	if (cron_offset(c - SECONDS_PER_DAY, &earlier_offset) < 0)
		return -1;
	if (earlier_offset <= offset)
		return 0;
	int64_t twin = c + offset - earlier_offset; /* same wall time, earlier offset */
	if (cron_offset(twin, &twin_offset) < 0)
		return -1;
	if (twin_offset != earlier_offset)
		return 0;
	int64_t change;
	bool found;
	if (cron_find_change(twin, c, earlier_offset, &change, &found) < 0)
		return -1;
	if (!found)
		return 0;
	*repeated = true;
	*resume = change + (earlier_offset - offset);
	return 0;
}

int cron_expr_next(const struct cron_expr *e, time_t after, time_t *next)
{
	if (e->reboot || e->seconds == 0 || e->minutes == 0 || e->hours == 0 || e->days == 0 ||
	    e->months == 0 || e->weekdays == 0) {
		errno = ERANGE;
		return -1;
	}
	/* a time of day fires once per wall-clock time; an every-hour pattern follows the clock */
	bool time_of_day = (e->hours & ALL_HOURS) != ALL_HOURS;
	int64_t t = (int64_t)after + 1;
	int64_t offset;
	if ((int64_t)after == INT64_MAX || cron_offset(t, &offset) < 0) {
		errno = ERANGE;
		return -1;
	}
	int64_t limit_year = civil_from_wall(t + offset).year + CRON_SEARCH_YEARS;

	/* Each round returns or moves t past an offset change or a repeated stretch; offsets
	 * change a few times a year, so this bound is never reached by a real zone. */
	for (int round = 0; round < 4 * CRON_SEARCH_YEARS + 16; round++) {
		if (cron_offset(t, &offset) < 0)
			return -1;
		int64_t wall = cron_next_wall(e, t + offset, limit_year);
		if (wall == NO_MATCH)
			break;
		int64_t candidate = wall - offset;
		int64_t change;
		bool found;
		if (cron_find_change(t, candidate, offset, &change, &found) < 0)
			return -1;
		if (found) {
			int64_t new_offset;
			if (cron_offset(change, &new_offset) < 0)
				return -1;
			/* wall lies in the stretch the clock skipped: fire once, right after it */
			if (time_of_day && new_offset > offset && wall < change + new_offset) {
				*next = (time_t)change;
				return 0;
			}
			t = change;
			continue;
		}
		if (time_of_day) {
			bool repeated;
			int64_t resume;
			if (cron_repeated(candidate, offset, &repeated, &resume) < 0)
				return -1;
			if (repeated) {
				t = resume > candidate ? resume : candidate + 1;
				continue;
			}
		}
		*next = (time_t)candidate;
		return 0;
	}
	errno = ERANGE;
	return -1;
}
