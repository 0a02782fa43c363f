/*
 * fuzz_notify.c — libFuzzer target for svc/notify_parse.c: parse any datagram and check
 * that every value points inside the input, that numbers are in range, and that the error
 * text is terminated. Seeds: tests/fuzz/corpus/fuzz_notify/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/notify_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const char *value, size_t len, const char *base, size_t size)
{
	if (!value)
		return;
	if (value < base || value + len > base + size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > NOTIFY_MESSAGE_MAX)
		return 0;
	/* A private copy: the parser must never read past `size`, so no terminator is added. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct notify_message msg;
	int rc = notify_parse(copy, size, &msg);
	if (memchr(msg.error, '\0', sizeof(msg.error)) == NULL)
		abort();
	if (rc == 0) {
		check_inside(msg.status, msg.status_len, copy, size);
		check_inside(msg.buserror, msg.buserror_len, copy, size);
		if (msg.mainpid < 0 || msg.errno_value < 0)
			abort();
		if (msg.invalid && msg.error[0] == '\0')
			abort();
		if (msg.buserror && msg.buserror_len == 0)
			abort();
	} else if (rc != -1 || msg.error[0] == '\0') {
		abort();
	}
	free(copy);
	return 0;
}
