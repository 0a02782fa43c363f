/*
 * syslog_parse.c — RFC 3164 and RFC 5424 messages as sent to /dev/log (see syslog_parse.h).
 *
 * What arrives on a local syslog socket is rarely textbook RFC 3164: glibc's syslog() sends
 * "<PRI>Mmm dd hh:mm:ss tag[pid]: msg" with no hostname, util-linux logger may add one,
 * Python's SysLogHandler sends "<PRI>msg" with no header at all. So the BSD header is taken
 * piece by piece: PRI, then an optional timestamp, then (only after a timestamp) an optional
 * hostname, then an optional "tag[pid]:" / "tag:". RFC 5424 ("<PRI>1 ...") is parsed field by
 * field; if it turns out malformed, the message falls back to the BSD path so nothing is lost.
 */
#include "log/syslog_parse.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

struct cursor {
	const char *p;
	const char *end;
};

static void record_defaults(const char *buf, size_t len, struct log_record *record)
{
	record->facility = LOG_FACILITY_USER;
	record->severity = LOG_SEVERITY_NOTICE;
	record->hostname = NULL;
	record->tag = NULL;
	record->tag_len = 0;
	record->pid = 0;
	record->msgid = NULL;
	record->structured_data = NULL;
	record->structured_data_len = 0;
	record->text = buf;
	record->text_len = len;
	record->raw = buf;
	record->raw_len = len;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "<N>" with 1-3 digits and N <= 191. */
static int parse_pri(struct cursor *c)
{
	const char *p = c->p;
	if (p >= c->end || *p != '<')
		return -1;
	p++;
	int value = 0, digits = 0;
	while (p < c->end && is_digit(*p) && digits < 4) {
		value = value * 10 + (*p - '0');
		digits++;
		p++;
	}
	if (digits == 0 || digits > 3 || value > 191 || p >= c->end || *p != '>')
		return -1;
	c->p = p + 1;
	return value;
}

/* "Mmm dd hh:mm:ss" (day space-padded or zero-padded), followed by a space or the end. */
static bool skip_bsd_timestamp(struct cursor *c)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = c->p;
	if (c->end - p < 15)
		return false;
	bool month_ok = false;
	for (int m = 0; m < 12; m++)
		if (memcmp(p, months + 3 * m, 3) == 0)
			month_ok = true;
	if (!month_ok || p[3] != ' ' || !(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) ||
	    p[6] != ' ')
		return false;
	const char *t = p + 7; /* hh:mm:ss */
	if (!is_digit(t[0]) || !is_digit(t[1]) || t[2] != ':' || !is_digit(t[3]) ||
	    !is_digit(t[4]) || t[5] != ':' || !is_digit(t[6]) || !is_digit(t[7]))
		return false;
	p += 15;
	if (p < c->end && *p != ' ')
		return false;
	if (p < c->end)
		p++;
	c->p = p;
	return true;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A tag given as an absolute path ("/usr/sbin/cron") is reduced to its basename. */
static void copy_tag(char *dst, size_t cap, const char *src, size_t len)
{
	if (len > 1 && src[0] == '/') {
		const char *slash = src;
		for (const char *q = src; q < src + len; q++)
			if (*q == '/')
				slash = q;
		if (slash + 1 < src + len) {
			len -= (size_t)(slash + 1 - src);
			src = slash + 1;
		}
	}
	copy_field(dst, cap, src, len);
}

struct bsd_tag {
	const char *name;
	size_t name_len;
	pid_t pid;
	const char *after; /* first byte of the message after "tag[pid]: " */
};

/* "tag:" or "tag[pid]:" followed by a space or the end of the message. */
static bool match_tag(const char *p, const char *end, size_t max_len, struct bsd_tag *tag)
{
	const char *start = p;
	while (p < end && *p != ' ' && *p != '[' && *p != ':' && *p != '\0')
		p++;
	size_t name_len = (size_t)(p - start);
	if (name_len == 0 || name_len > max_len || p >= end)
		return false;
	long pid = 0;
	if (*p == '[') {
		p++;
		int digits = 0;
		while (p < end && is_digit(*p)) {
			if (pid < INT_MAX / 10)
				pid = pid * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (digits == 0 || p >= end || *p != ']')
			return false;
		p++;
	}
	if (p >= end || *p != ':')
		return false;
	p++;
	if (p < end && *p != ' ')
		return false;
	if (p < end)
		p++;
	tag->name = start;
	tag->name_len = name_len;
	tag->pid = (pid_t)pid;
	tag->after = p;
	return true;
}

static enum syslog_format parse_bsd(struct cursor *c, struct syslog_parsed *scratch,
				    struct log_record *record)
{
	const size_t max_tag = sizeof(scratch->tag) - 1;
	bool timestamp = skip_bsd_timestamp(c);
	struct bsd_tag tag;
	const char *host = NULL;
	size_t host_len = 0;
	bool tagged = match_tag(c->p, c->end, max_tag, &tag);
	if (!tagged && timestamp) {
		/* "host tag[pid]: msg": a hostname is only believed after a timestamp. */
		const char *space = memchr(c->p, ' ', (size_t)(c->end - c->p));
		if (space && space > c->p && match_tag(space + 1, c->end, max_tag, &tag)) {
			host = c->p;
			host_len = (size_t)(space - c->p);
			tagged = true;
		}
	}
	if (host) {
		copy_field(scratch->hostname, sizeof(scratch->hostname), host, host_len);
		record->hostname = scratch->hostname;
	}
	if (tagged) {
		copy_tag(scratch->tag, sizeof(scratch->tag), tag.name, tag.name_len);
		record->tag = scratch->tag;
		record->pid = tag.pid;
		c->p = tag.after;
	}
	record->text = c->p;
	record->text_len = (size_t)(c->end - c->p);
	return SYSLOG_RFC3164;
}

/* One RFC 5424 header field: printable ASCII up to a space. Returns its length, or -1. */
static int next_field(struct cursor *c, const char **field, size_t max_len)
{
	const char *p = c->p;
	while (p<c->end && * p> 32 && *p < 127)
		p++;
	size_t len = (size_t)(p - c->p);
	if (len == 0 || len > max_len || p >= c->end || *p != ' ')
		return -1;
	*field = c->p;
	c->p = p + 1;
	return (int)len;
}

static bool is_nil(const char *field, int len)
{
	return len == 1 && field[0] == '-';
}

/* SD-ELEMENTs: "[id k="v" ...][...]". Quotes may contain \" \\ \] escapes. */
static bool skip_structured_data(struct cursor *c)
{
	const char *p = c->p;
	if (p < c->end && *p == '-') {
		c->p = p + 1;
		return true;
	}
	if (p >= c->end || *p != '[')
		return false;
	while (p < c->end && *p == '[') {
		bool quoted = false;
		p++;
		while (p < c->end) {
			if (quoted && *p == '\\' && p + 1 < c->end) {
				p += 2;
				continue;
			}
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ']' && !quoted)
				break;
			p++;
		}
		if (p >= c->end)
			return false;
		p++; /* ']' */
	}
	c->p = p;
	return true;
}

static bool parse_5424(struct cursor *c, struct syslog_parsed *scratch, struct log_record *record)
{
	const char *field;
	int len;
	if (c->end - c->p < 2 || c->p[0] != '1' || c->p[1] != ' ')
		return false;
	c->p += 2;
	if ((len = next_field(c, &field, 64)) < 0) /* TIMESTAMP: receipt time is used */
		return false;
	if ((len = next_field(c, &field, 255)) < 0)
		return false;
	if (!is_nil(field, len)) {
		copy_field(scratch->hostname, sizeof(scratch->hostname), field, (size_t)len);
		record->hostname = scratch->hostname;
	}
	if ((len = next_field(c, &field, 48)) < 0)
		return false;
	if (!is_nil(field, len)) {
		copy_tag(scratch->tag, sizeof(scratch->tag), field, (size_t)len);
		record->tag = scratch->tag;
	}
	if ((len = next_field(c, &field, 128)) < 0)
		return false;
	long pid = 0;
	for (int i = 0; i < len && is_digit(field[i]); i++)
		if (pid < INT_MAX / 10)
			pid = pid * 10 + (field[i] - '0');
	record->pid = (pid_t)pid;
	if ((len = next_field(c, &field, 32)) < 0)
		return false;
	if (!is_nil(field, len)) {
		copy_field(scratch->msgid, sizeof(scratch->msgid), field, (size_t)len);
		record->msgid = scratch->msgid;
	}
	const char *sd = c->p;
	if (!skip_structured_data(c))
		return false;
	if (!(c->p - sd == 1 && *sd == '-')) {
		record->structured_data = sd;
		record->structured_data_len = (size_t)(c->p - sd);
	}
	if (c->p < c->end) {
		if (*c->p != ' ')
			return false;
		c->p++;
	}
	if (c->end - c->p >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0)
		c->p += 3;
	record->text = c->p;
	record->text_len = (size_t)(c->end - c->p);
	return true;
}

enum syslog_format syslog_parse(const char *buf, size_t len, struct syslog_parsed *scratch,
				struct log_record *record)
{
	struct cursor c = {buf, buf + len};
	record_defaults(buf, len, record);
	int pri = parse_pri(&c);
	if (pri < 0)
		return SYSLOG_MALFORMED;
	record->facility = pri / 8;
	record->severity = pri % 8;
	const char *after_pri = c.p;
	if (parse_5424(&c, scratch, record))
		return SYSLOG_RFC5424;
	/* Not (valid) RFC 5424: undo what the attempt set and read it the BSD way. */
	record_defaults(buf, len, record);
	record->facility = pri / 8;
	record->severity = pri % 8;
	c.p = after_pri;
	return parse_bsd(&c, scratch, record);
}
