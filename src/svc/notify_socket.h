/*
 * notify_socket.h — the datagram socket a `type: notify` service reports on: a random
 * abstract name by default, or what the service's `notify_socket` key says ("@name" in the
 * abstract namespace, or an absolute filesystem path).
 */
#ifndef TEND_SVC_NOTIFY_SOCKET_H
#define TEND_SVC_NOTIFY_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

struct service;

struct notify_socket {
	int fd;							       /* -1 when closed */
	char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* NOTIFY_SOCKET's value */
	bool is_path; /* address is a file tend created (and removes) */
	dev_t dev;    /* the file, so that only tend's own is removed */
	ino_t ino;
};

/* Opens the socket (non-blocking, close-on-exec, SO_PASSCRED) for svc, expanding its
 * `notify_socket` as other directives are. On failure returns -1 with a message for the
 * user (naming the service and the address) in err. */
int notify_socket_open(struct service *svc, struct notify_socket *sock, char *err, size_t errlen);
/* Closes the socket and removes its file, if tend created one. Safe on a closed socket. */
void notify_socket_close(struct notify_socket *sock);

#endif
