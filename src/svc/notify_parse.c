/*
 * notify_parse.c — the sd_notify datagram parser (see notify_parse.h). Pure: no allocation,
 * no system calls; every value is checked in place and points back into the input.
 */
#include "svc/notify_parse.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Strict unsigned decimal: digits only (no sign, blanks or base prefixes), no overflow. */
static bool parse_u64(const char *text, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20)
		return false;
	uint64_t value = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		unsigned digit = (unsigned)(text[i] - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

static bool value_is(const char *value, size_t len, const char *expected)
{
	return len == strlen(expected) && memcmp(value, expected, len) == 0;
}

static bool key_is(const char *key, size_t len, const char *expected)
{
	return value_is(key, len, expected);
}

static void note_invalid(struct notify_message *msg, const char *line, size_t len, const char *why)
{
	if (msg->invalid++ == 0)
		snprintf(msg->error, sizeof(msg->error), "%s: '%.*s'", why,
			 len > 40 ? 40 : (int)len, line);
}

/* One "KEY=VALUE" line. Returns false when the value is not one the key accepts. */
static bool parse_assignment(struct notify_message *msg, const char *key, size_t key_len,
			     const char *value, size_t value_len)
{
	uint64_t number;
	if (key_is(key, key_len, "READY")) {
		if (!value_is(value, value_len, "1"))
			return false;
		msg->ready = true;
	} else if (key_is(key, key_len, "RELOADING")) {
		if (!value_is(value, value_len, "1"))
			return false;
		msg->reloading = true;
	} else if (key_is(key, key_len, "STOPPING")) {
		if (!value_is(value, value_len, "1"))
			return false;
		msg->stopping = true;
	} else if (key_is(key, key_len, "WATCHDOG")) {
		if (value_is(value, value_len, "1"))
			msg->watchdog = true;
		else if (value_is(value, value_len, "trigger"))
			msg->watchdog_trigger = true;
		else
			return false;
	} else if (key_is(key, key_len, "STATUS")) {
		msg->status = value;
		msg->status_len = value_len;
	} else if (key_is(key, key_len, "MAINPID")) {
		if (!parse_u64(value, value_len, &number) || number == 0 || number > INT_MAX)
			return false;
		msg->mainpid = (pid_t)number;
	} else if (key_is(key, key_len, "ERRNO")) {
		if (!parse_u64(value, value_len, &number) || number > INT_MAX)
			return false;
		msg->has_errno = true;
		msg->errno_value = (int)number;
	} else if (key_is(key, key_len, "BUSERROR")) {
		if (value_len == 0)
			return false;
		msg->buserror = value;
		msg->buserror_len = value_len;
	} else if (key_is(key, key_len, "WATCHDOG_USEC")) {
		if (!parse_u64(value, value_len, &number))
			return false;
		msg->has_watchdog_usec = true;
		msg->watchdog_usec = number;
	} else if (key_is(key, key_len, "EXTEND_TIMEOUT_USEC")) {
		if (!parse_u64(value, value_len, &number))
			return false;
		msg->has_extend_usec = true;
		msg->extend_usec = number;
	} else {
		msg->unknown++;
		return true;
	}
	msg->known++;
	return true;
}

int notify_parse(const char *data, size_t len, struct notify_message *msg)
{
	memset(msg, 0, sizeof(*msg));
	if (len == 0) {
		snprintf(msg->error, sizeof(msg->error), "empty message");
		return -1;
	}
	if (memchr(data, '\0', len)) {
		snprintf(msg->error, sizeof(msg->error), "message contains a NUL byte");
		return -1;
	}
	const char *end = data + len;
	for (const char *line = data; line < end;) {
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		const char *line_end = newline ? newline : end;
		size_t line_len = (size_t)(line_end - line);
		if (line_len > 0) {
			const char *eq = memchr(line, '=', line_len);
			if (!eq || eq == line) {
				note_invalid(msg, line, line_len,
					     eq ? "empty key" : "not KEY=VALUE");
			} else {
				size_t key_len = (size_t)(eq - line);
				if (!parse_assignment(msg, line, key_len, eq + 1,
						      line_len - key_len - 1))
					note_invalid(msg, line, line_len, "bad value");
			}
		}
		line = newline ? newline + 1 : end;
	}
	return 0;
}
