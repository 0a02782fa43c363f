/*
 * sink_remote.c — `syslog_host`: a remote syslog server over UDP (one datagram per record,
 * chaperone's default, port 514) or TCP with RFC 6587 octet-counting frames ("LEN SP MSG").
 *
 * The name is resolved once, when the configuration is applied (start-up). UDP never holds
 * anything back: a datagram the kernel refuses is counted as dropped. TCP is buffered like
 * any sink; a lost connection is retried every SINK_RETRY_MS while the buffer keeps what fits.
 */
#include "log/sink_impl.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/logger_internal.h"

int sink_remote_parse(struct sink *sink, const char *target)
{
	char host[256], port[16] = "514";
	const char *p = target;
	if (strncmp(p, "udp://", 6) == 0) {
		p += 6;
	} else if (strncmp(p, "tcp://", 6) == 0) {
		p += 6;
		sink->tcp = true;
	}
	const char *port_at = NULL;
	size_t host_len;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close)
			goto invalid;
		host_len = (size_t)(close - p - 1);
		p++;
		if (close[1] == ':')
			port_at = close + 2;
		else if (close[1] != '\0')
			goto invalid;
	} else {
		const char *colon = strrchr(p, ':');
		if (colon && strchr(p, ':') == colon) {
			host_len = (size_t)(colon - p);
			port_at = colon + 1;
		} else {
			host_len = strlen(p); /* no port, or a bare IPv6 address */
		}
	}
	if (host_len == 0 || host_len >= sizeof(host))
		goto invalid;
	memcpy(host, p, host_len);
	host[host_len] = '\0';
	if (port_at) {
		if (!*port_at || strlen(port_at) >= sizeof(port) ||
		    strspn(port_at, "0123456789") != strlen(port_at))
			goto invalid;
		strcpy(port, port_at);
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = sink->tcp ? SOCK_STREAM : SOCK_DGRAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *result = NULL;
	int rc = getaddrinfo(host, port, &hints, &result);
	if (rc != 0 || !result) {
		errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	memcpy(&sink->addr, result->ai_addr, result->ai_addrlen);
	sink->addr_len = result->ai_addrlen;
	freeaddrinfo(result);
	sink->datagram = !sink->tcp;
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

int sink_remote_connect(struct sink *sink)
{
	int type = (sink->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
	int fd = socket(sink->addr.ss_family, type, 0);
	if (fd < 0)
		return -1;
	sink->fd = fd;
	sink->pollable = true;
	sink->use_send = true;
	if (connect(fd, (struct sockaddr *)&sink->addr, sink->addr_len) == 0)
		return 0;
	if (errno == EINPROGRESS && sink->tcp) {
		sink->connecting = true;
		sink_watch(sink, true);
		return 0;
	}
	int saved = errno;
	close(fd);
	sink->fd = -1;
	errno = saved;
	return -1;
}

int sink_remote_connected(struct sink *sink)
{
	int error = 0;
	socklen_t len = sizeof(error);
	sink->connecting = false;
	if (getsockopt(sink->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		return -1;
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

void sink_remote_send(struct sink *sink, const char *line, size_t len, enum log_origin origin)
{
	if (sink->fd >= 0 && send(sink->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
		sink_recovered(sink);
		return;
	}
	/* UDP loses quietly by nature; tend at least counts it. ECONNREFUSED only means that
	 * nobody listened to an earlier datagram. */
	unsigned index = (unsigned)origin < 4 ? (unsigned)origin : 0;
	sink->dropped[index]++;
	sink->dropped_total++;
	sink->logger->stats.dropped++;
	if (sink->fd < 0 && !sink->failing)
		sink_fail(sink, EBADF);
	logger_sink_has_report(sink->logger);
}
