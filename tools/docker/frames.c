/*
 * frames.c — incremental parser for the Engine's 8-byte multiplexed stream framing (see
 * frames.h). The payload goes straight to the sink; only the header is ever buffered.
 */
#include "frames.h"

#include <string.h>

void frames_init(struct frames *frames)
{
	memset(frames, 0, sizeof(*frames));
	frames->stream = FRAMES_STDOUT;
}

/* A header is valid when its type is 0..3 and the three reserved bytes are zero: that is
 * what both Docker (stdcopy) and Podman write, and it tells framed output from raw text. */
static bool frames_header_valid(const unsigned char *head)
{
	return head[0] <= 3 && head[1] == 0 && head[2] == 0 && head[3] == 0;
}

static void frames_go_raw(struct frames *frames, const char *data, size_t len, frames_sink_fn *sink,
			  void *arg)
{
	frames->raw = true;
	/* the header bytes we held back were text too */
	if (frames->head_len > 0)
		sink(arg, FRAMES_STDOUT, (const char *)frames->head, frames->head_len);
	frames->head_len = 0;
	if (len > 0)
		sink(arg, FRAMES_STDOUT, data, len);
}

void frames_feed(struct frames *frames, const char *data, size_t len, frames_sink_fn *sink,
		 void *arg)
{
	if (frames->raw) {
		if (len > 0)
			sink(arg, FRAMES_STDOUT, data, len);
		return;
	}
	while (len > 0) {
		if (frames->remaining > 0) {
			size_t take = len < frames->remaining ? len : frames->remaining;
			sink(arg, frames->stream, data, take);
			frames->remaining -= (uint32_t)take;
			data += take;
			len -= take;
			continue;
		}
		size_t want = sizeof(frames->head) - frames->head_len;
		size_t take = len < want ? len : want;
		memcpy(frames->head + frames->head_len, data, take);
		frames->head_len += take;
		data += take;
		len -= take;
		/* reject as early as possible so a short raw message is not held back */
		if (frames->head[0] > 3 || (frames->head_len > 1 && frames->head[1] != 0) ||
		    (frames->head_len > 2 && frames->head[2] != 0) ||
		    (frames->head_len > 3 && frames->head[3] != 0)) {
			frames_go_raw(frames, data, len, sink, arg);
			return;
		}
		if (frames->head_len < sizeof(frames->head))
			continue;
		if (!frames_header_valid(frames->head)) {
			frames_go_raw(frames, data, len, sink, arg);
			return;
		}
		frames->stream =
		    frames->head[0] == 0 ? FRAMES_STDOUT : (enum frames_stream)frames->head[0];
		frames->remaining = (uint32_t)frames->head[4] << 24 |
				    (uint32_t)frames->head[5] << 16 |
				    (uint32_t)frames->head[6] << 8 | (uint32_t)frames->head[7];
		frames->head_len = 0;
	}
}

bool frames_complete(const struct frames *frames)
{
	return frames->raw || (frames->head_len == 0 && frames->remaining == 0);
}
