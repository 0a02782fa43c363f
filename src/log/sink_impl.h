/*
 * sink_impl.h — the sink structure, shared by sink.c (buffer, writing, failure handling),
 * sink_file.c (opening, reopening after rotation, size rotation) and sink_remote.c (remote
 * syslog over UDP or TCP). Nothing outside these files sees it.
 */
#ifndef TEND_LOG_SINK_IMPL_H
#define TEND_LOG_SINK_IMPL_H

#include <sys/socket.h>
#include <sys/types.h>

#include "core/loop.h"
#include "log/sink.h"

struct sink {
	enum sink_kind kind;
	char *key;
	struct logger *logger;
	struct log_format format;
	char *default_hostname; /* owned copy behind format.default_hostname */
	char *hostname;		/* owned copy behind format.hostname */

	/* The buffer holds whole formatted lines (or frames) at data[start, end). */
	char *data;
	size_t start, end, cap;

	int fd;		     /* -1: not open (failing, connecting, closed) */
	bool on_loop;	     /* fd is registered with the loop (EPOLLOUT wanted) */
	bool use_send;	     /* a socket shared with others: send(MSG_DONTWAIT) */
	bool check_writable; /* a shared blocking pipe/tty: poll before each small write */
	bool pollable;	     /* can go on epoll (not a regular file) */
	bool whole_lines;    /* a pipe: never leave part of a line in it (see write_some) */
	int pipe_size;	     /* its capacity (F_GETPIPE_SZ), 0 when unknown */
	bool datagram;	     /* UDP: one record per send, nothing buffered */

	bool holding; /* told a source to wait: must say when it drains */
	bool failing;
	int failure_errno;
	bool report_failure;  /* a failure not reported yet */
	bool report_recovery; /* writing again after a failure, not reported yet */
	struct loop_timer retry_timer;
	uint64_t dropped[4]; /* per enum log_origin, since the last report */
	uint64_t dropped_total;

	/* file */
	struct sink_file_options file;
	char *file_template;
	char *path; /* the current expanded name */
	dev_t dev;
	ino_t ino;
	off_t size;
	uint64_t next_check_ms;

	/* remote */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool tcp;
	bool connecting;
};

/* sink.c */
void sink_fail(struct sink *sink, int error);
void sink_recovered(struct sink *sink);
void sink_watch(struct sink *sink, bool want_write);
void sink_unwatch(struct sink *sink);

/* sink_file.c */
int sink_file_open(struct sink *sink);
void sink_file_close(struct sink *sink);
/* Reopen when the name's expansion changed or the file was renamed or deleted. */
void sink_file_check(struct sink *sink);
/* How many of the next n buffered bytes may be written before rotating (whole lines). */
size_t sink_file_room(struct sink *sink, const char *data, size_t n);
void sink_file_wrote(struct sink *sink, size_t n);

/* sink_remote.c */
int sink_remote_parse(struct sink *sink, const char *target);
int sink_remote_connect(struct sink *sink);
/* The connection finished (EPOLLOUT while connecting): 0 or -1 with errno. */
int sink_remote_connected(struct sink *sink);
void sink_remote_send(struct sink *sink, const char *line, size_t len, enum log_origin origin);

#endif
