/*
 * buf.c — the bounded text buffer of buf.h.
 */
#include "ctl/buf.h"

#include <stdarg.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_buf_init(struct ctl_buf *buf, size_t limit)
{
	memset(buf, 0, sizeof(*buf));
	buf->limit = limit;
}

void ctl_buf_free(struct ctl_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void ctl_buf_reset(struct ctl_buf *buf)
{
	buf->len = 0;
	buf->truncated = false;
	if (buf->data)
		buf->data[0] = '\0';
}

static bool reserve(struct ctl_buf *buf, size_t need)
{
	if (need + 1 <= buf->cap)
		return true;
	size_t cap = buf->cap ? buf->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > buf->limit + 1)
		cap = buf->limit + 1;
	if (cap < need + 1)
		return false;
	char *grown = realloc(buf->data, cap);
	if (!grown)
		return false;
	buf->data = grown;
	buf->cap = cap;
	return true;
}

bool ctl_buf_add(struct ctl_buf *buf, const void *data, size_t len)
{
	size_t room = buf->limit > buf->len ? buf->limit - buf->len : 0;
	size_t take = len < room ? len : room;
	if (take && reserve(buf, buf->len + take)) {
		memcpy(buf->data + buf->len, data, take);
		buf->len += take;
		buf->data[buf->len] = '\0';
	} else if (take) {
		take = 0;
	}
	if (take < len)
		buf->truncated = true;
	return take == len;
}

bool ctl_buf_str(struct ctl_buf *buf, const char *text)
{
	return ctl_buf_add(buf, text, strlen(text));
}

bool ctl_buf_printf(struct ctl_buf *buf, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof(small))
		return ctl_buf_add(buf, small, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (!big) {
		buf->truncated = true;
		return false;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bool ok = ctl_buf_add(buf, big, (size_t)n);
	free(big);
	return ok;
}

void ctl_buf_consume(struct ctl_buf *buf, size_t n)
{
	if (n >= buf->len) {
		ctl_buf_reset(buf);
		return;
	}
	memmove(buf->data, buf->data + n, buf->len - n);
	buf->len -= n;
	buf->data[buf->len] = '\0';
}

enum ctl_send_result ctl_buf_send(struct ctl_buf *buf, int fd)
{
	while (buf->len > 0) {
		ssize_t n = send(fd, buf->data, buf->len, MSG_NOSIGNAL);
		if (n > 0) {
			ctl_buf_consume(buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CTL_SEND_BLOCKED;
		return CTL_SEND_FAILED;
	}
	return CTL_SENT_ALL;
}
