/*
 * frames.h — the Docker Engine's multiplexed stream (exec/attach output when Tty is false).
 *
 * Each frame is an 8-byte header {type, 0, 0, 0, size as big-endian uint32} followed by size
 * bytes of payload; type 0 (stdin, treated as stdout), 1 stdout, 2 stderr, 3 a daemon error.
 * The parser is incremental and never buffers payload: it hands each piece to a sink as it
 * arrives, so a frame of any size costs 8 bytes of state. If the bytes are not framed at all
 * (a raw start error from the daemon, a Tty stream), the rest is passed on as stdout.
 */
#ifndef TEND_DOCKER_FRAMES_H
#define TEND_DOCKER_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum frames_stream {
	FRAMES_STDOUT = 1,
	FRAMES_STDERR = 2,
	FRAMES_SYSTEM = 3, /* an error message written by the daemon itself */
};

typedef void frames_sink_fn(void *arg, enum frames_stream stream, const char *data, size_t len);

struct frames {
	unsigned char head[8];
	size_t head_len;    /* header bytes collected so far */
	uint32_t remaining; /* payload bytes left in the current frame */
	enum frames_stream stream;
	bool raw; /* the input turned out not to be framed: everything is stdout */
};

void frames_init(struct frames *frames);
/* Feed len bytes; calls sink for every payload piece. Never fails: unframed input switches
 * the parser to raw mode (see frames.raw). */
void frames_feed(struct frames *frames, const char *data, size_t len, frames_sink_fn *sink,
		 void *arg);
/* True when the input so far ends exactly at a frame boundary (or is raw). */
bool frames_complete(const struct frames *frames);

#endif
