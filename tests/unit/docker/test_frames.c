/*
 * test_frames.c — the 8-byte multiplexed stream framing, fed whole and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"

struct collected {
	char out[256], err[256];
	size_t out_len, err_len, calls;
};

static void sink(void *arg, enum frames_stream stream, const char *data, size_t len)
{
	struct collected *c = arg;
	char *buf = stream == FRAMES_STDOUT ? c->out : c->err;
	size_t *n = stream == FRAMES_STDOUT ? &c->out_len : &c->err_len;
	assert_true(*n + len < sizeof(c->out));
	memcpy(buf + *n, data, len);
	*n += len;
	c->calls++;
}

static size_t frame(char *at, int type, const char *payload)
{
	size_t n = strlen(payload);
	at[0] = (char)type;
	at[1] = at[2] = at[3] = 0;
	at[4] = (char)(n >> 24);
	at[5] = (char)(n >> 16);
	at[6] = (char)(n >> 8);
	at[7] = (char)n;
	memcpy(at + 8, payload, n);
	return 8 + n;
}

static size_t sample(char *buf)
{
	size_t n = 0;
	n += frame(buf + n, 1, "hello ");
	n += frame(buf + n, 2, "oops\n");
	n += frame(buf + n, 0, "world\n"); /* stdin is reported as stdout */
	n += frame(buf + n, 1, "");	   /* empty frames are legal */
	n += frame(buf + n, 3, "daemon error");
	return n;
}

static void check_sample(const struct collected *c)
{
	assert_int_equal(c->out_len, 12);
	assert_memory_equal(c->out, "hello world\n", 12);
	assert_int_equal(c->err_len, 17);
	assert_memory_equal(c->err, "oops\ndaemon error", 17);
}

static void test_whole(void **state)
{
	char buf[128];
	size_t n = sample(buf);
	struct frames f;
	struct collected c = {0};
	frames_init(&f);
	frames_feed(&f, buf, n, sink, &c);
	check_sample(&c);
	assert_true(frames_complete(&f));
	assert_false(f.raw);
}

static void test_byte_by_byte(void **state)
{
	char buf[128];
	size_t n = sample(buf);
	struct frames f;
	struct collected c = {0};
	frames_init(&f);
	for (size_t i = 0; i < n; i++) {
		frames_feed(&f, buf + i, 1, sink, &c);
		if (i + 1 < n)
			assert_true(i >= 8 || !frames_complete(&f));
	}
	check_sample(&c);
	assert_true(frames_complete(&f));
}

static void test_truncated(void **state)
{
	char buf[64];
	size_t n = frame(buf, 1, "abcdef");
	struct frames f;
	struct collected c = {0};
	frames_init(&f);
	frames_feed(&f, buf, n - 2, sink, &c);
	assert_false(frames_complete(&f));
	assert_int_equal(c.out_len, 4);
	frames_init(&f);
	frames_feed(&f, buf, 5, sink, &c); /* half a header */
	assert_false(frames_complete(&f));
}

static void test_raw_text_falls_back(void **state)
{
	/* a start error the daemon wrote without framing */
	const char *text = "OCI runtime exec failed: no such file\n";
	struct frames f;
	struct collected c = {0};
	frames_init(&f);
	frames_feed(&f, text, 3, sink, &c);
	frames_feed(&f, text + 3, strlen(text) - 3, sink, &c);
	assert_true(f.raw);
	assert_int_equal(c.out_len, strlen(text));
	assert_memory_equal(c.out, text, strlen(text));
	/* a bad reserved byte after a valid type byte: the held bytes are not lost */
	char odd[] = {1, 0, 'x', 'y', 'z'};
	struct collected d = {0};
	frames_init(&f);
	frames_feed(&f, odd, 2, sink, &d);
	assert_int_equal(d.out_len, 0);
	frames_feed(&f, odd + 2, 3, sink, &d);
	assert_true(f.raw);
	assert_int_equal(d.out_len, 5);
	assert_memory_equal(d.out, odd, 5);
}

static void test_big_frame_is_streamed(void **state)
{
	/* a 4 GiB - 1 frame header: nothing is allocated, payload passes through */
	char head[8] = {2, 0, 0, 0, (char)0xff, (char)0xff, (char)0xff, (char)0xff};
	struct frames f;
	struct collected c = {0};
	frames_init(&f);
	frames_feed(&f, head, 8, sink, &c);
	frames_feed(&f, "abc", 3, sink, &c);
	assert_int_equal(c.err_len, 3);
	assert_int_equal(f.remaining, 0xffffffffu - 3);
	assert_false(frames_complete(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_raw_text_falls_back),
	    cmocka_unit_test(test_big_frame_is_streamed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
