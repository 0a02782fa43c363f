/*
 * expand_scan.c — finding the expressions in a text (chaperone's EnvScanner), and the small
 * bounded string buffer every expand*.c file writes into.
 *
 * An expression starts with the prefix and an opener ("$(" or "${"), and ends at the bracket
 * that balances the opener. Brackets of all three kinds nest, whatever the openers are;
 * inside double quotes or backticks nothing but the closing quote counts, so a ")" in a
 * quoted shell command does not end the expression. A backslash just before the prefix makes
 * it literal. This cannot be done with a regular expression, hence the little stack.
 */
#include "conf/expand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int expand_buf_append(struct expand_buf *buf, const char *data, size_t len)
{
	if (buf->budget) {
		if (len > *buf->budget) {
			errno = E2BIG;
			return -1;
		}
		*buf->budget -= len;
	}
	if (buf->len + len + 1 > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 64;
		while (cap < buf->len + len + 1)
			cap *= 2;
		char *data_new = realloc(buf->data, cap);
		if (!data_new)
			return -1;
		buf->data = data_new;
		buf->cap = cap;
	}
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int expand_buf_puts(struct expand_buf *buf, const char *text)
{
	return expand_buf_append(buf, text, strlen(text));
}

char *expand_buf_take(struct expand_buf *buf)
{
	char *data = buf->data;
	if (!data)
		data = strdup("");
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}

void expand_buf_free(struct expand_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* Closing brackets first, then the openers at the same offsets, then the two quotes: an
 * opener at index i is closed by the character at index i - 3; a quote by itself. */
static const char scan_delimiters[] = ")]}([{\"`";
enum { SCAN_HALF = 3, SCAN_BRACKETS = 6, SCAN_ALL = 8 };

/* Finds the bracket that closes the opener at text[open]. */
static int scan_find_close(const char *text, size_t len, size_t open, size_t *close)
{
	unsigned char small[64];
	unsigned char *stack = small;
	size_t depth = 0, capacity = sizeof(small);
	int found = 0;

	for (size_t pos = open; pos < len; pos++) {
		const char *hit = memchr(scan_delimiters, text[pos], SCAN_ALL);
		if (!hit || text[pos] == '\0')
			continue;
		int index = (int)(hit - scan_delimiters);
		int top = depth ? stack[depth - 1] : -1;
		if (top == index) {
			if (--depth == 0) {
				*close = pos;
				found = 1;
				break;
			}
		} else if (index >= SCAN_HALF && top < SCAN_BRACKETS) {
			if (depth == capacity) {
				unsigned char *grown = malloc(capacity * 2);
				if (!grown) {
					found = -1;
					break;
				}
				memcpy(grown, stack, depth);
				if (stack != small)
					free(stack);
				stack = grown;
				capacity *= 2;
			}
			stack[depth++] =
			    (unsigned char)(index < SCAN_BRACKETS ? index - SCAN_HALF : index);
		}
	}
	if (stack != small)
		free(stack);
	return found;
}

static bool scan_is_opener(const struct expand_syntax *syntax, char c)
{
	return c != '\0' && strchr(syntax->openers, c) != NULL;
}

/* Does an expression (escaped or not) start at text[pos]? */
static bool scan_starts_at(const struct expand_syntax *syntax, size_t prefix_len, const char *text,
			   size_t len, size_t pos)
{
	return pos + prefix_len < len && memcmp(text + pos, syntax->prefix, prefix_len) == 0 &&
	       scan_is_opener(syntax, text[pos + prefix_len]);
}

int expand_scan(const struct expand_syntax *syntax, const char *text, size_t len,
		expand_scan_fn *fn, void *arg, struct expand_buf *out)
{
	size_t prefix_len = strlen(syntax->prefix);
	size_t copied = 0, pos = 0;

	if (prefix_len == 0)
		return expand_buf_append(out, text, len);
	while (pos < len) {
		bool escaped =
		    text[pos] == '\\' && scan_starts_at(syntax, prefix_len, text, len, pos + 1);
		if (!escaped && !scan_starts_at(syntax, prefix_len, text, len, pos)) {
			pos++;
			continue;
		}
		if (expand_buf_append(out, text + copied, pos - copied) < 0)
			return -1;
		copied = pos;
		if (escaped) {
			/* "\$(" gives "$(" and scanning goes on from the opener, so a "$(" inside
			 * what would have been the expression is still expanded. */
			if (expand_buf_append(out, syntax->prefix, prefix_len) < 0)
				return -1;
			copied = pos = pos + 1 + prefix_len;
			continue;
		}
		size_t open = pos + prefix_len, close = 0;
		int found = scan_find_close(text, len, open, &close);
		if (found < 0)
			return -1;
		if (!found)
			break; /* unterminated: the rest stays as written */
		if (fn(arg, text + open + 1, close - open - 1, text + pos, close + 1 - pos, out) <
		    0)
			return -1;
		copied = pos = close + 1;
	}
	return expand_buf_append(out, text + copied, len - copied);
}
