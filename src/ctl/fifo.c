/*
 * fifo.c — chaperone's command FIFO: the control socket's commands, one per line, without
 * replies (status, dependencies and logs mean nothing there; --wait is ignored; problems are
 * logged). A FIFO has no peer credentials, so its mode is its only protection: 0600, or 0620
 * with settings.control_group. tend opens it read-write itself, so it never sees EOF between
 * writers, and reads a bounded amount per wake-up; an over-long line is skipped whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/server.h"
#include "log/log.h"
#include "system.h"

static void fifo_line(struct ctl_server *server, const char *line, size_t len)
{
	struct ctl_command *cmd = malloc(sizeof(*cmd));
	if (!cmd)
		return;
	char err[256];
	enum ctl_parse_result r = ctl_command_parse(line, len, cmd, err, sizeof(err));
	if (r == CTL_PARSE_OK && ctl_command_read_only(cmd))
		r = CTL_PARSE_EMPTY; /* status, dependencies: nothing to answer to */
	if (r == CTL_PARSE_OK)
		ctl_execute(server, NULL, cmd);
	else if (r != CTL_PARSE_EMPTY)
		tend_log(system_logger(server->system), LOG_SEVERITY_WARNING, "command FIFO: %s",
			 err);
	free(cmd);
}

static void fifo_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_server *server = arg;
	/* A bounded number of reads per wake-up, so that a writer cannot keep tend here. */
	for (int rounds = 0; rounds < 16; rounds++) {
		size_t room = sizeof(server->fifo_buf) - server->fifo_len;
		ssize_t n = read(fd, server->fifo_buf + server->fifo_len, room);
		if (n <= 0)
			return;
		server->fifo_len += (size_t)n;
		char *start = server->fifo_buf;
		char *newline;
		while ((newline = memchr(start, '\n',
					 server->fifo_len - (size_t)(start - server->fifo_buf)))) {
			if (!server->fifo_discarding)
				fifo_line(server, start, (size_t)(newline - start));
			server->fifo_discarding = false;
			start = newline + 1;
		}
		size_t rest = server->fifo_len - (size_t)(start - server->fifo_buf);
		memmove(server->fifo_buf, start, rest);
		server->fifo_len = rest;
		if (server->fifo_len == sizeof(server->fifo_buf)) {
			tend_log(system_logger(server->system), LOG_SEVERITY_WARNING,
				 "command FIFO: line longer than %d bytes ignored", CTL_LINE_MAX);
			server->fifo_len = 0;
			server->fifo_discarding = true;
		}
	}
}

/* chaperone's pair: /dev/chaperone.sock and /dev/chaperone. When the socket was moved
 * (--control-socket) and the FIFO left at its default, the FIFO follows the socket
 * ("<socket path without .sock>.fifo"), so that two tends never share one FIFO. */
static char *fifo_path_for(const struct settings_conf *settings)
{
	const char *fifo = settings->control_fifo;
	const char *sock = settings->control_socket;
	if (!fifo || !fifo[0])
		return NULL;
	if (strcmp(fifo, "/dev/tend") == 0 && sock && strcmp(sock, "/dev/tend.sock") != 0) {
		size_t len = strlen(sock);
		if (len > 5 && strcmp(sock + len - 5, ".sock") == 0)
			len -= 5;
		char *path = malloc(len + 6);
		if (path)
			snprintf(path, len + 6, "%.*s.fifo", (int)len, sock);
		return path;
	}
	return strdup(fifo);
}

void ctl_fifo_open(struct ctl_server *server, const struct settings_conf *settings)
{
	struct logger *logger = system_logger(server->system);
	server->fifo_path = fifo_path_for(settings);
	if (!server->fifo_path)
		return;
	struct stat st;
	if (lstat(server->fifo_path, &st) == 0 && S_ISFIFO(st.st_mode))
		unlink(server->fifo_path);
	mode_t mode = server->has_group ? 0620 : 0600;
	if (mkfifo(server->fifo_path, mode) < 0 && errno != EEXIST) {
		tend_log(logger, LOG_SEVERITY_WARNING, "command FIFO %s cannot be created: %s",
			 server->fifo_path, strerror(errno));
		goto fail;
	}
	/* O_RDWR: tend holds a writer itself, so the FIFO never reports EOF between writers */
	int fd = open(server->fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		tend_log(logger, LOG_SEVERITY_WARNING, "command FIFO %s cannot be opened: %s",
			 server->fifo_path, fd < 0 ? strerror(errno) : "not a FIFO");
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (fchmod(fd, mode) < 0 ||
	    ((server->owner_uid != geteuid() || server->has_group) &&
	     fchown(fd, server->owner_uid, server->has_group ? server->group_gid : (gid_t)-1) < 0))
		tend_log(logger, LOG_SEVERITY_WARNING, "command FIFO %s: %s", server->fifo_path,
			 strerror(errno));
	if (loop_add_fd(server->loop, fd, EPOLLIN, fifo_readable, server) < 0) {
		close(fd);
		goto fail;
	}
	server->fifo_fd = fd;
	return;
fail:
	free(server->fifo_path);
	server->fifo_path = NULL;
}

void ctl_fifo_close(struct ctl_server *server)
{
	if (server->fifo_fd < 0)
		return;
	struct stat st;
	if (fstat(server->fifo_fd, &st) == 0)
		ctl_unlink_if_ours(server->fifo_path, st.st_dev, st.st_ino);
	loop_del_fd(server->loop, server->fifo_fd);
	close(server->fifo_fd);
	server->fifo_fd = -1;
}
