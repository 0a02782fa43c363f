/*
 * buf.h — a growable text buffer with a hard limit, for replies and HTTP responses: what
 * does not fit under the limit is dropped and remembered (truncated), never grown past it.
 */
#ifndef TEND_CTL_BUF_H
#define TEND_CTL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_buf {
	char *data; /* NUL-terminated while len < cap */
	size_t len;
	size_t cap;
	size_t limit;	/* the most bytes this buffer ever holds */
	bool truncated; /* something was dropped because of the limit (or no memory) */
};

void ctl_buf_init(struct ctl_buf *buf, size_t limit);
void ctl_buf_free(struct ctl_buf *buf);
void ctl_buf_reset(struct ctl_buf *buf);
/* Append; false when (part of) it did not fit. */
bool ctl_buf_add(struct ctl_buf *buf, const void *data, size_t len);
bool ctl_buf_str(struct ctl_buf *buf, const char *text);
bool ctl_buf_printf(struct ctl_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (what has been written out). */
void ctl_buf_consume(struct ctl_buf *buf, size_t n);

enum ctl_send_result { CTL_SENT_ALL, CTL_SEND_BLOCKED, CTL_SEND_FAILED };
/* Send as much as the non-blocking socket fd takes, consuming what went out. */
enum ctl_send_result ctl_buf_send(struct ctl_buf *buf, int fd);

#endif
