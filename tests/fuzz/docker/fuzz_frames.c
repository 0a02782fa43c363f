/*
 * fuzz_frames.c — the multiplexed stream parser: the same input fed whole and in chunks of
 * varying size must produce the same stdout and stderr bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t hash[4];
	size_t bytes[4];
};

static void sink(void *arg, enum frames_stream stream, const char *data, size_t len)
{
	struct digest *d = arg;
	if (stream < 1 || stream > 3)
		abort();
	for (size_t i = 0; i < len; i++)
		d->hash[stream] = (d->hash[stream] ^ (unsigned char)data[i]) * 1099511628211ULL;
	d->bytes[stream] += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frames whole, chunked;
	struct digest a = {0}, b = {0};
	frames_init(&whole);
	frames_feed(&whole, (const char *)data, size, sink, &a);
	frames_init(&chunked);
	size_t at = 0, step = 1;
	while (at < size) {
		size_t n = size - at < step ? size - at : step;
		frames_feed(&chunked, (const char *)data + at, n, sink, &b);
		at += n;
		step = step * 2 + 1;
	}
	/* framed bytes (stderr, system) must match exactly; raw mode may begin at a different
	 * point only in how stdout is counted, never in the total */
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (a.bytes[1] + a.bytes[2] + a.bytes[3] > size)
		abort();
	return 0;
}
