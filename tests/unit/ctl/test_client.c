/*
 * test_client.c — reading a client's request (src/ctl/client.c, ctl_client_read) over a real
 * non-blocking socket pair: a pause when the client has sent nothing more, a stop at the
 * command's newline for the control socket but not for HTTP, the buffer's bound, EOF, and a
 * failed read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/client.h"

struct pair {
	int tend; /* the side ctl_client_read reads */
	int client;
};

static struct pair open_pair(void)
{
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds),
			 0);
	return (struct pair){.tend = fds[0], .client = fds[1]};
}

static void close_pair(struct pair p)
{
	close(p.tend);
	close(p.client);
}

static void client_sends(struct pair p, const char *text)
{
	assert_int_equal(send(p.client, text, strlen(text), 0), (ssize_t)strlen(text));
}

static void test_pauses_until_the_line_is_complete(void **state)
{
	struct pair p = open_pair();
	char in[64];
	size_t len = 0;
	client_sends(p, "sta");
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), true), CTL_READ_PAUSED);
	assert_int_equal(len, 3);
	client_sends(p, "tus\n");
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), true), CTL_READ_PAUSED);
	assert_int_equal(len, 7);
	assert_memory_equal(in, "status\n", 7);
	close_pair(p);
}

static void test_stops_at_newline_only_when_asked(void **state)
{
	struct pair p = open_pair();
	char in[64];
	size_t len = 0;
	client_sends(p, "GET / HTTP/1.1\r\n");
	shutdown(p.client, SHUT_WR);
	/* HTTP reads on past the first line, to the client's EOF */
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), false), CTL_READ_EOF);
	assert_int_equal(len, 16);
	close_pair(p);

	p = open_pair();
	len = 0;
	client_sends(p, "stop a\n");
	shutdown(p.client, SHUT_WR);
	/* the control socket stops at the newline: the EOF is left for later */
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), true), CTL_READ_PAUSED);
	assert_int_equal(len, 7);
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), true), CTL_READ_EOF);
	assert_int_equal(len, 7);
	close_pair(p);
}

static void test_never_reads_past_the_bound(void **state)
{
	struct pair p = open_pair();
	char in[8] = {0};
	size_t len = 0;
	client_sends(p, "0123456789");
	assert_int_equal(ctl_client_read(p.tend, in, &len, 6, false), CTL_READ_PAUSED);
	assert_int_equal(len, 6);
	assert_int_equal(in[6], 0);
	/* full: nothing more is read, the rest stays in the socket */
	assert_int_equal(ctl_client_read(p.tend, in, &len, 6, false), CTL_READ_PAUSED);
	assert_int_equal(len, 6);
	char rest[8];
	assert_int_equal(recv(p.tend, rest, sizeof(rest), 0), 4);
	close_pair(p);
}

static void test_failed_read(void **state)
{
	struct pair p = open_pair();
	char in[8];
	size_t len = 0;
	close_pair(p);
	assert_int_equal(ctl_client_read(p.tend, in, &len, sizeof(in), true), CTL_READ_FAILED);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pauses_until_the_line_is_complete),
	    cmocka_unit_test(test_stops_at_newline_only_when_asked),
	    cmocka_unit_test(test_never_reads_past_the_bound),
	    cmocka_unit_test(test_failed_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
