/*
 * format.c — record -> line, for every output format (see format.h).
 *
 * Writers append into a buffer the caller sized with log_format_bound(), so no step checks
 * for room: the bound counts every byte of a record's strings six times (the worst case of
 * JSON's \u00XX escapes) plus a fixed allowance for the fixed parts.
 */
#include "log/format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log/names.h"

#define FIXED_ALLOWANCE 512

int log_format_kind_from_name(const char *name)
{
	if (!name || !*name || strcasecmp(name, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcasecmp(name, "json") == 0)
		return LOG_FORMAT_JSON;
	if (strcasecmp(name, "pidzero-json") == 0)
		return LOG_FORMAT_PIDZERO_JSON;
	if (strcasecmp(name, "pidzero-map") == 0)
		return LOG_FORMAT_PIDZERO_MAP;
	return -1;
}

static size_t safe_strlen(const char *s)
{
	return s ? strlen(s) : 0;
}

static size_t known_length(const char *s, size_t known)
{
	return known ? known : strlen(s);
}

/* The host name written for this record, and its length. */
static const char *record_hostname(const struct log_format *format, const struct log_record *record,
				   size_t *len)
{
	if (format->hostname && *format->hostname) {
		*len = known_length(format->hostname, format->hostname_len);
		return format->hostname;
	}
	if (record->hostname && *record->hostname) {
		*len = strlen(record->hostname);
		return record->hostname;
	}
	if (format->default_hostname) {
		*len = known_length(format->default_hostname, format->default_hostname_len);
		return format->default_hostname;
	}
	*len = 9;
	return "localhost";
}

static size_t tag_length(const struct log_record *record)
{
	return record->tag ? known_length(record->tag, record->tag_len) : 0;
}

static size_t service_length(const struct log_record *record)
{
	return record->service ? known_length(record->service, record->service_len) : 0;
}

size_t log_format_bound(const struct log_format *format, const struct log_record *record)
{
	size_t host_len;
	record_hostname(format, record, &host_len);
	if (format->kind == LOG_FORMAT_TEXT || format->kind == LOG_FORMAT_PLAIN ||
	    format->kind == LOG_FORMAT_RFC3164)
		/* These copy the host, tag and text unescaped and write nothing else of variable
		 * length: the cheap bound, once per line on the busiest path. */
		return FIXED_ALLOWANCE + host_len + tag_length(record) + record->text_len;
	size_t strings = record->text_len + record->structured_data_len + tag_length(record) +
			 service_length(record) + safe_strlen(record->msgid) + host_len;
	return FIXED_ALLOWANCE + 6 * strings;
}

/* Two decimal digits of v (0-99), zero-padded, or space-padded when pad is ' '. */
static void two_digits(char *out, int v, char pad)
{
	unsigned u = (unsigned)(v < 0 ? 0 : v) % 100u;
	out[0] = u < 10 ? pad : (char)('0' + u / 10);
	out[1] = (char)('0' + u % 10);
}

static void time_cache_update(struct log_time_cache *cache, time_t second)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (cache->valid && cache->second == second)
		return;
	struct tm tm;
	if (!localtime_r(&second, &tm))
		memset(&tm, 0, sizeof(tm));
	int month = tm.tm_mon >= 0 && tm.tm_mon < 12 ? tm.tm_mon : 0;
	/* "Mmm dd hh:mm:ss" */
	memcpy(cache->bsd, months + 3 * month, 3);
	memcpy(cache->bsd + 3, "  0 00:00:00", 13);
	two_digits(cache->bsd + 4, tm.tm_mday, ' ');
	two_digits(cache->bsd + 7, tm.tm_hour, '0');
	two_digits(cache->bsd + 10, tm.tm_min, '0');
	two_digits(cache->bsd + 13, tm.tm_sec, '0');
	/* "YYYY-MM-DDThh:mm:ss" */
	unsigned year = (unsigned)(tm.tm_year + 1900) % 10000u;
	memcpy(cache->iso, "0000-00-00T00:00:00", 20);
	two_digits(cache->iso, (int)(year / 100), '0');
	two_digits(cache->iso + 2, (int)(year % 100), '0');
	two_digits(cache->iso + 5, month + 1, '0');
	two_digits(cache->iso + 8, tm.tm_mday, '0');
	two_digits(cache->iso + 11, tm.tm_hour, '0');
	two_digits(cache->iso + 14, tm.tm_min, '0');
	two_digits(cache->iso + 17, tm.tm_sec, '0');
	/* "+hh:mm" */
	long offset = tm.tm_gmtoff;
	memcpy(cache->zone, "+00:00", 7);
	if (offset < 0) {
		cache->zone[0] = '-';
		offset = -offset;
	}
	two_digits(cache->zone + 1, (int)(offset / 3600 % 100), '0');
	two_digits(cache->zone + 4, (int)(offset / 60 % 60), '0');
	cache->second = second;
	cache->valid = true;
}

/* ---- small appenders ---- */

static char *put(char *out, const char *s, size_t len)
{
	memcpy(out, s, len);
	return out + len;
}

static char *put_str(char *out, const char *s)
{
	return s ? put(out, s, strlen(s)) : out;
}

static char *put_uint(char *out, unsigned long value)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	while (n)
		*out++ = digits[--n];
	return out;
}

static char *put_pid(struct log_format *format, char *out, unsigned long pid)
{
	if (pid != format->cached_pid) {
		char *end = put_uint(format->cached_pid_text, pid);
		format->cached_pid_len = (unsigned char)(end - format->cached_pid_text);
		format->cached_pid = pid;
	}
	return put(out, format->cached_pid_text, format->cached_pid_len);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 4, min = 0x10000;
	else
		return 0;
	if (left < need)
		return 0;
	uint32_t cp = c & (0x7F >> need);
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* A JSON string body: escapes quotes, backslashes and controls; invalid UTF-8 -> U+FFFD. */
static char *put_json_escaped(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	while (p < end) {
		unsigned char c = *p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*out++ = (char)c;
			p++;
			continue;
		}
		if (c == '"' || c == '\\') {
			*out++ = '\\';
			*out++ = (char)c;
			p++;
		} else if (c < 0x20) {
			*out++ = '\\';
			switch (c) {
			case '\n':
				*out++ = 'n';
				break;
			case '\r':
				*out++ = 'r';
				break;
			case '\t':
				*out++ = 't';
				break;
			default:
				out = put(out, "u00", 3);
				*out++ = hex[c >> 4];
				*out++ = hex[c & 15];
			}
			p++;
		} else {
			size_t n = utf8_sequence(p, (size_t)(end - p));
			if (n == 0) {
				out = put(out, "\xEF\xBF\xBD", 3);
				p++;
			} else {
				out = put(out, (const char *)p, n);
				p += n;
			}
		}
	}
	return out;
}

static char *put_json_field(char *out, const char *key, const char *value, size_t len, bool comma)
{
	if (comma)
		*out++ = ',';
	*out++ = '"';
	out = put_str(out, key);
	out = put(out, "\":\"", 3);
	out = put_json_escaped(out, value, len);
	*out++ = '"';
	return out;
}

static char *put_json_text(char *out, const char *key, const char *value)
{
	return put_json_field(out, key, value, strlen(value), true);
}

/* ,"pid":N (a number, not a string), when the record has a pid. */
static char *put_json_pid(struct log_format *format, char *out, const struct log_record *record)
{
	if (record->pid <= 0)
		return out;
	out = put(out, ",\"pid\":", 7);
	return put_pid(format, out, (unsigned long)record->pid);
}

static const char *stream_name(enum log_origin origin)
{
	switch (origin) {
	case LOG_ORIGIN_TEND:
		return "tend";
	case LOG_ORIGIN_STDOUT:
		return "stdout";
	case LOG_ORIGIN_STDERR:
		return "stderr";
	case LOG_ORIGIN_SYSLOG:
		return "syslog";
	}
	return "?";
}

/* JSON uses the RFC 5424 keywords ("warning", not chaperone's "warn"): what log shippers
 * expect. */
static const char *json_severity_name(int severity)
{
	return severity == LOG_SEVERITY_WARNING ? "warning" : log_severity_name(severity);
}

/* pidzero's four levels, padded as pidzero pads them. */
static const char *pidzero_level(int severity)
{
	if (severity >= LOG_SEVERITY_DEBUG)
		return "DEBUG";
	if (severity >= LOG_SEVERITY_NOTICE)
		return "INFO ";
	if (severity == LOG_SEVERITY_WARNING)
		return "WARN ";
	return "ERROR";
}

/* pidzero's timestamp: the local ISO time with a space for the 'T', no fraction, no zone
 * (plain ASCII, so JSON needs no escaping). */
static char *put_pidzero_timestamp(char *out, const struct log_time_cache *cache)
{
	size_t length = sizeof cache->iso - 1;
	memcpy(out, cache->iso, length);
	out[10] = ' ';
	return out + length;
}

static const char *pidzero_source(const struct log_record *record)
{
	if (record->tag)
		return record->tag;
	return record->service ? record->service : "?";
}

/* ---- the formats ---- */

static char *write_text_prefix(struct log_format *format, const struct log_record *record,
			       char *out, bool extended)
{
	if (extended) {
		out = put_str(out, log_facility_name(record->facility));
		*out++ = '.';
		out = put_str(out, log_severity_name(record->severity));
		*out++ = ' ';
	}
	out = put(out, format->time_cache.bsd, sizeof(format->time_cache.bsd) - 1);
	*out++ = ' ';
	size_t host_len;
	const char *host = record_hostname(format, record, &host_len);
	out = put(out, host, host_len);
	*out++ = ' ';
	if (record->tag) {
		out = put(out, record->tag, tag_length(record));
		if (record->pid > 0) {
			*out++ = '[';
			out = put_pid(format, out, (unsigned long)record->pid);
			*out++ = ']';
		}
		*out++ = ':';
		*out++ = ' ';
	}
	return out;
}

char *log_format_text_tail(char *out, unsigned flags)
{
	if (flags & LOG_RECORD_CONTINUED)
		*out++ = '\\';
	if (flags & LOG_RECORD_TRUNCATED)
		out = put(out, " [truncated]", 12);
	return out;
}

static char *write_text(struct log_format *format, const struct log_record *record, char *out,
			bool extended)
{
	out = write_text_prefix(format, record, out, extended);
	out = put(out, record->text, record->text_len);
	return log_format_text_tail(out, record->flags);
}

size_t log_format_text_prefix(struct log_format *format, const struct log_record *run, char *out,
			      size_t size)
{
	if (format->kind != LOG_FORMAT_TEXT)
		return 0;
	size_t host_len;
	record_hostname(format, run, &host_len);
	/* facility.severity, the time, separators and the pid take less than 64 bytes */
	if (64 + host_len + tag_length(run) > size)
		return 0;
	time_cache_update(&format->time_cache, run->time.tv_sec);
	return (size_t)(write_text_prefix(format, run, out, format->extended) - out);
}

static char *write_json(struct log_format *format, const struct log_record *record, char *out)
{
	struct log_time_cache *cache = &format->time_cache;
	out = put(out, "{\"time\":\"", 9);
	out = put_str(out, cache->iso);
	*out++ = '.';
	long ms = record->time.tv_nsec / 1000000;
	*out++ = (char)('0' + ms / 100 % 10);
	*out++ = (char)('0' + ms / 10 % 10);
	*out++ = (char)('0' + ms % 10);
	out = put_str(out, cache->zone);
	*out++ = '"';
	size_t host_len;
	const char *host = record_hostname(format, record, &host_len);
	out = put_json_field(out, "host", host, host_len, true);
	out = put_json_text(out, "facility", log_facility_name(record->facility));
	out = put_json_text(out, "severity", json_severity_name(record->severity));
	if (record->tag)
		out = put_json_field(out, "tag", record->tag, tag_length(record), true);
	out = put_json_pid(format, out, record);
	if (record->service)
		out = put_json_field(out, "service", record->service, service_length(record), true);
	out = put_json_text(out, "stream", stream_name(record->origin));
	if (record->msgid)
		out = put_json_text(out, "msgid", record->msgid);
	if (record->structured_data)
		out = put_json_field(out, "structured_data", record->structured_data,
				     record->structured_data_len, true);
	out = put_json_field(out, "message", record->text, record->text_len, true);
	if (record->flags & LOG_RECORD_CONTINUED)
		out = put_str(out, ",\"partial\":true");
	if (record->flags & LOG_RECORD_TRUNCATED)
		out = put_str(out, ",\"truncated\":true");
	*out++ = '}';
	return out;
}

static char *write_pidzero_json(struct log_format *format, const struct log_record *record,
				char *out)
{
	out = put_str(out, "{\"timestamp\":\"");
	out = put_pidzero_timestamp(out, &format->time_cache);
	*out++ = '"';
	out = put_json_text(out, "source", pidzero_source(record));
	out = put_json_field(out, "loglevel", pidzero_level(record->severity), 5, true);
	out = put_json_field(out, "logtext", record->text, record->text_len, true);
	out = put_json_text(out, "stream", stream_name(record->origin));
	out = put_json_pid(format, out, record);
	if (record->flags & LOG_RECORD_CONTINUED)
		out = put_str(out, ",\"partial\":true");
	*out++ = '}';
	return out;
}

static char *write_pidzero_map(struct log_format *format, const struct log_record *record,
			       char *out)
{
	out = put_str(out, "{ loglevel => ");
	out = put_str(out, pidzero_level(record->severity));
	out = put_str(out, ", logtext => ");
	out = put(out, record->text, record->text_len);
	if (record->flags & LOG_RECORD_CONTINUED)
		*out++ = '\\';
	out = put_str(out, ", timestamp => ");
	out = put_pidzero_timestamp(out, &format->time_cache);
	out = put_str(out, ", source => ");
	out = put_str(out, pidzero_source(record));
	out = put_str(out, " }");
	return out;
}

size_t log_format_write(struct log_format *format, const struct log_record *record, char *out)
{
	char *start = out;
	time_cache_update(&format->time_cache, record->time.tv_sec);
	switch (format->kind) {
	case LOG_FORMAT_TEXT:
		out = write_text(format, record, out, format->extended);
		break;
	case LOG_FORMAT_JSON:
		out = write_json(format, record, out);
		break;
	case LOG_FORMAT_PIDZERO_JSON:
		out = write_pidzero_json(format, record, out);
		break;
	case LOG_FORMAT_PIDZERO_MAP:
		out = write_pidzero_map(format, record, out);
		break;
	case LOG_FORMAT_PLAIN:
		if (record->tag) {
			out = put_str(out, record->tag);
			if (record->pid > 0 && record->origin != LOG_ORIGIN_TEND) {
				*out++ = '[';
				out = put_pid(format, out, (unsigned long)record->pid);
				*out++ = ']';
			}
			*out++ = ':';
			*out++ = ' ';
		}
		out = put(out, record->text, record->text_len);
		break;
	case LOG_FORMAT_RFC3164: {
		int facility =
		    record->facility >= 0 && record->facility < 24 ? record->facility : 1;
		int severity = record->severity >= 0 && record->severity < 8 ? record->severity : 5;
		unsigned pri = (unsigned)(facility * 8 + severity);
		*out++ = '<';
		out = put_uint(out, pri);
		*out++ = '>';
		out = write_text(format, record, out, false);
		break;
	}
	}
	return (size_t)(out - start);
}
