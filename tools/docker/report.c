/*
 * report.c — JSON records on stdout, text diagnostics on stderr (see report.h).
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void iso_time(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void report_record(const char *kind, json_t *fields)
{
	json_t *record = json_object();
	char now[40];
	iso_time(now, sizeof(now));
	json_object_set_new(record, "time", json_string(now));
	json_object_set_new(record, "kind", json_string(kind));
	if (fields)
		json_object_update(record, fields);
	json_decref(fields);
	char *line = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(record);
	if (line) {
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(line);
	}
}

void report_text(const char *fmt, ...)
{
	char now[40];
	iso_time(now, sizeof(now));
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s tend-docker: ", now);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	size_t need;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		need = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (len < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (need == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (need == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return need;
}

bool report_is_text(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	for (size_t i = 0; i < len;) {
		size_t n = s[i] == 0 ? 0 : utf8_sequence(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

json_t *report_string(const char *data, size_t len)
{
	char *clean = malloc(len * 3 + 1);
	if (!clean)
		return json_string("");
	size_t out = 0;
	const unsigned char *s = (const unsigned char *)data;
	for (size_t i = 0; i < len;) {
		size_t n = s[i] == 0 ? 0 : utf8_sequence(s + i, len - i);
		if (n == 0) {
			memcpy(clean + out, "\xef\xbf\xbd", 3);
			out += 3;
			i++;
		} else {
			memcpy(clean + out, s + i, n);
			out += n;
			i += n;
		}
	}
	json_t *value = json_stringn(clean, out);
	free(clean);
	return value ? value : json_string("");
}
