/*
 * client.h — the socket chores the control socket (server.c) and the HTTP face (http.c) do
 * alike for each client connection: accept it, watch it on the loop, read a bounded request,
 * send a reply without ever blocking, stop watching it. Each face keeps its own connection
 * list, phases and limits; these only touch the fd, the loop and the buffers they are given.
 */
#ifndef TEND_CTL_CLIENT_H
#define TEND_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "ctl/buf.h"

/* Accept one pending connection, non-blocking and close-on-exec. -1 with errno when none is
 * left (EAGAIN) or accept failed. */
int ctl_client_accept(int listen_fd);

/* Zeroed room (size bytes) for a new connection's state. Without memory for it, the
 * connection is closed unanswered and NULL returned. */
void *ctl_client_alloc(int fd, size_t size);

/* Watch a new connection: its socket calls on_event (EPOLLIN, EPOLLRDHUP), its timer calls
 * on_timeout, first after timeout_ms. -1 when the loop cannot take the fd: then it is closed
 * and nothing is armed. */
int ctl_client_watch(struct loop *loop, int fd, loop_fd_fn *on_event, struct loop_timer *timer,
		     loop_timer_fn *on_timeout, void *conn, uint64_t timeout_ms);

/* Stop watching and close the connection; *fd becomes -1. */
void ctl_client_unwatch(struct loop *loop, int *fd, struct loop_timer *timer);

enum ctl_client_read { CTL_READ_PAUSED, CTL_READ_EOF, CTL_READ_FAILED };
/* Read what the socket holds into in[*len..cap). PAUSED: in is full, the client has sent
 * nothing more for now, or (stop_at_newline) a newline came in: reading more than the line
 * would take bytes the command does not need. */
enum ctl_client_read ctl_client_read(int fd, char *in, size_t *len, size_t cap,
				     bool stop_at_newline);

/* Send what out holds. When the socket is full, the connection is watched for EPOLLOUT only
 * (its reader is done reading) until it can take the rest. */
enum ctl_send_result ctl_client_send(struct loop *loop, int fd, struct ctl_buf *out);

#endif
