/*
 * client.c — socket chores shared by the control socket and the HTTP face (client.h): one
 * copy of accepting, reading, sending and closing, with their EINTR and EAGAIN handling.
 */
#include "ctl/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int ctl_client_accept(int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0 || errno != EINTR)
			return fd;
	}
}

void *ctl_client_alloc(int fd, size_t size)
{
	void *conn = calloc(1, size);
	if (!conn)
		close(fd);
	return conn;
}

int ctl_client_watch(struct loop *loop, int fd, loop_fd_fn *on_event, struct loop_timer *timer,
		     loop_timer_fn *on_timeout, void *conn, uint64_t timeout_ms)
{
	loop_timer_init(timer, on_timeout, conn);
	if (loop_add_fd(loop, fd, EPOLLIN | EPOLLRDHUP, on_event, conn) < 0) {
		close(fd);
		return -1;
	}
	loop_timer_start(loop, timer, timeout_ms);
	return 0;
}

void ctl_client_unwatch(struct loop *loop, int *fd, struct loop_timer *timer)
{
	loop_del_fd(loop, *fd);
	close(*fd);
	*fd = -1;
	loop_timer_stop(loop, timer);
}

enum ctl_client_read ctl_client_read(int fd, char *in, size_t *len, size_t cap,
				     bool stop_at_newline)
{
	while (*len < cap) {
		ssize_t n = recv(fd, in + *len, cap - *len, 0);
		if (n > 0) {
			*len += (size_t)n;
			if (stop_at_newline && memchr(in + *len - (size_t)n, '\n', (size_t)n))
				return CTL_READ_PAUSED;
			continue;
		}
		if (n == 0)
			return CTL_READ_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return CTL_READ_PAUSED;
		return CTL_READ_FAILED;
	}
	return CTL_READ_PAUSED;
}

enum ctl_send_result ctl_client_send(struct loop *loop, int fd, struct ctl_buf *out)
{
	enum ctl_send_result result = ctl_buf_send(out, fd);
	if (result == CTL_SEND_BLOCKED)
		loop_mod_fd(loop, fd, EPOLLOUT);
	return result;
}
