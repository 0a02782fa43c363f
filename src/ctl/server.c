/*
 * server.c — the control socket (and the control face's start and stop).
 *
 * The socket speaks chaperone's protocol: one command per connection, the reply is
 * "RESULT\n<text>", "COMMAND-ERROR\n<usage>" or "EXCEPTION\n<why>", then tend closes. A
 * command ends at a newline, at the client's EOF, or (telchap sends neither) after a short
 * pause. Everything is bounded: 32 connections, one line of 4 KiB, 5 s to send it, replies of
 * a few MiB; a client that misbehaves costs tend one closed fd.
 *
 * Security: the socket is 0600 and owned by root (or the --user); settings.control_group
 * makes it 0660 for that group; settings.control_readonly_world makes it 0666 but lets
 * others run only status and dependencies. Permissions alone are not trusted: the peer's
 * credentials (SO_PEERCRED, SO_PEERGROUPS) are checked on every connection.
 *
 * chaperone's command FIFO is in fifo.c.
 */
#include "ctl/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/logring.h"
#include "log/log.h"
#include "system.h"

struct face_handle {
	struct ctl_server server;
};

/* Implemented by the logger (log.h); weak until it is. */
void logger_set_tap(struct logger *logger, logger_tap_fn *fn, void *arg) __attribute__((weak));

static void conn_close(struct ctl_conn *conn);
static void on_ring_entry(const struct logring_entry *entry, void *arg);
static void conn_readable(struct loop *loop, int fd, uint32_t events, void *arg);

/* ---- connections ---- */

static void conn_timer_fired(struct loop *loop, void *arg)
{
	struct ctl_conn *conn = arg;
	if (conn->phase == CONN_READING && conn->in_len > 0 && !conn->in_eof &&
	    !memchr(conn->in, '\n', conn->in_len)) {
		/* telchap: no newline, no EOF; the pause ends the command */
		conn->in_eof = true;
		conn_readable(loop, conn->fd, 0, conn);
		return;
	}
	if (conn->phase == CONN_WAITING && conn->op) {
		ctl_op_forget_conn(conn->op);
		conn->op = NULL;
		ctl_conn_reply(conn, CTL_RESULT,
			       "Command error: timed out waiting for the services");
		return;
	}
	conn_close(conn);
}

static void conn_free(struct ctl_conn *conn)
{
	ctl_buf_free(&conn->out);
	for (size_t i = 0; i < conn->nfollow; i++)
		free(conn->follow_names[i]);
	free(conn->follow_names);
	free(conn);
}

static void sweep_dead(struct loop *loop, void *arg)
{
	struct ctl_server *server = arg;
	while (server->dead) {
		struct ctl_conn *conn = server->dead;
		server->dead = conn->next;
		conn_free(conn);
	}
}

static void conn_close(struct ctl_conn *conn)
{
	struct ctl_server *server = conn->server;
	if (conn->fd < 0)
		return;
	if (conn->phase == CONN_FOLLOWING && --server->nfollowing == 0 && server->ring)
		logring_set_listener(server->ring, NULL, NULL);
	ctl_client_unwatch(server->loop, &conn->fd, &conn->timer);
	if (conn->op) {
		ctl_op_forget_conn(conn->op);
		conn->op = NULL;
	}
	if (server->reload_conn == conn)
		server->reload_conn = NULL; /* the reload goes on; nobody hears how it ended */
	for (struct ctl_conn **p = &server->conns; *p; p = &(*p)->next) {
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	}
	server->nconns--;
	/* freed from a timer: the caller may still be using conn */
	conn->next = server->dead;
	server->dead = conn;
	loop_timer_start(server->loop, &server->sweep_timer, 0);
}

/* What to watch while a command runs or logs stream: a client that only half-closed
 * (shutdown(SHUT_WR) after its command) is still there until EPOLLHUP. */
static uint32_t conn_idle_events(const struct ctl_conn *conn)
{
	return conn->in_eof ? 0 : EPOLLIN | EPOLLRDHUP;
}

/* Write what is queued; close when a reply is complete. */
static void conn_flush(struct ctl_conn *conn)
{
	enum ctl_send_result sent = ctl_client_send(conn->server->loop, conn->fd, &conn->out);
	if (sent == CTL_SEND_FAILED || (sent == CTL_SENT_ALL && conn->phase == CONN_WRITING)) {
		conn_close(conn);
	} else if (sent == CTL_SENT_ALL && conn->phase == CONN_FOLLOWING) {
		/* caught up with the log: back to watching only for the client leaving */
		loop_mod_fd(conn->server->loop, conn->fd, conn_idle_events(conn));
		loop_timer_stop(conn->server->loop, &conn->timer);
	}
}

static const char *reply_head(enum ctl_reply_kind kind)
{
	switch (kind) {
	case CTL_COMMAND_ERROR:
		return "COMMAND-ERROR\n";
	case CTL_EXCEPTION:
		return "EXCEPTION\n";
	default:
		return "RESULT\n";
	}
}

void ctl_conn_reply(struct ctl_conn *conn, enum ctl_reply_kind kind, const char *text)
{
	if (conn->fd < 0)
		return;
	ctl_buf_reset(&conn->out);
	ctl_buf_str(&conn->out, reply_head(kind));
	ctl_buf_str(&conn->out, text);
	conn->phase = CONN_WRITING;
	loop_timer_start(conn->server->loop, &conn->timer, CTL_WRITE_TIMEOUT_MS);
	conn_flush(conn);
}

void ctl_conn_reply_buf(struct ctl_conn *conn, enum ctl_reply_kind kind, struct ctl_buf *text)
{
	if (text->truncated)
		ctl_buf_str(text, "\n(reply truncated)\n");
	ctl_conn_reply(conn, kind, text->data ? text->data : "");
}

void ctl_conn_follow(struct ctl_conn *conn, char *const *names, size_t nnames)
{
	conn->follow_names = calloc(nnames ? nnames : 1, sizeof(char *));
	for (size_t i = 0; conn->follow_names && i < nnames; i++) {
		conn->follow_names[i] = strdup(names[i]);
		if (conn->follow_names[i])
			conn->nfollow++;
	}
	struct ctl_server *server = conn->server;
	if (conn->phase != CONN_FOLLOWING && server->nfollowing++ == 0 && server->ring)
		logring_set_listener(server->ring, on_ring_entry, server);
	conn->phase = CONN_FOLLOWING;
	loop_timer_stop(conn->server->loop, &conn->timer);
	conn_flush(conn);
}

void ctl_conn_stream(struct ctl_conn *conn, const char *text, size_t len)
{
	if (conn->fd < 0)
		return;
	if (conn->out.len + len > CTL_FOLLOW_LIMIT) {
		conn->dropped++;
		return;
	}
	if (conn->dropped) {
		ctl_buf_printf(&conn->out, "(tend: %lu lines dropped: reader too slow)\n",
			       conn->dropped);
		conn->dropped = 0;
	}
	ctl_buf_add(&conn->out, text, len);
	if (conn->phase == CONN_FOLLOWING) {
		conn_flush(conn);
		if (conn->fd >= 0 && conn->out.len)
			loop_timer_start(conn->server->loop, &conn->timer, CTL_WRITE_TIMEOUT_MS);
	}
}

/* ---- reading a command ---- */

static void conn_run(struct ctl_conn *conn)
{
	size_t len = conn->in_len;
	char *newline = memchr(conn->in, '\n', len);
	if (newline)
		len = (size_t)(newline - conn->in);
	struct ctl_command *cmd = malloc(sizeof(*cmd));
	if (!cmd) {
		ctl_conn_reply(conn, CTL_EXCEPTION, "out of memory");
		return;
	}
	char err[256];
	enum ctl_parse_result r = ctl_command_parse(conn->in, len, cmd, err, sizeof(err));
	loop_timer_stop(conn->server->loop, &conn->timer);
	if (r == CTL_PARSE_EMPTY) {
		conn_close(conn);
	} else if (r == CTL_PARSE_SYNTAX) {
		ctl_conn_reply(conn, CTL_EXCEPTION, err);
	} else if (r == CTL_PARSE_USAGE) {
		struct ctl_buf text;
		ctl_buf_init(&text, 8192);
		ctl_buf_printf(&text, "%s\n%s\n", err, ctl_usage());
		ctl_conn_reply_buf(conn, CTL_COMMAND_ERROR, &text);
		ctl_buf_free(&text);
	} else if (!conn->privileged && !conn->server->readonly_world) {
		/* Answered after reading the command: closing with its bytes unread would reset
		 * the connection before the client could read why. */
		tend_log(system_logger(conn->server->system), LOG_SEVERITY_WARNING,
			 "control socket: connection from uid %d refused", (int)conn->uid);
		conn->server->refused++;
		ctl_conn_reply(conn, CTL_EXCEPTION, "access denied\n");
	} else if (!conn->privileged && !ctl_command_read_only(cmd)) {
		char text[200];
		snprintf(text, sizeof(text),
			 "access denied: uid %d may only run status and dependencies",
			 (int)conn->uid);
		tend_log(system_logger(conn->server->system), LOG_SEVERITY_WARNING,
			 "control socket: '%s' refused for uid %d", ctl_verb_name(cmd->verb),
			 (int)conn->uid);
		ctl_conn_reply(conn, CTL_EXCEPTION, text);
	} else {
		conn->phase = CONN_WAITING; /* until ctl_execute replies */
		ctl_execute(conn->server, conn, cmd);
	}
	free(cmd);
}

static void conn_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *conn = arg;
	if (conn->phase == CONN_WRITING || (conn->phase == CONN_FOLLOWING && (events & EPOLLOUT))) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(conn);
			return;
		}
		conn_flush(conn);
		return;
	}
	if (conn->phase != CONN_READING) {
		/* waiting or following: the client leaving (or erring) ends it; input is ignored */
		if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(conn);
			return;
		}
		char sink[256];
		ssize_t n = recv(fd, sink, sizeof(sink), 0);
		if (n == 0) {
			/* only half-closed (shutdown(SHUT_WR) after the command): still listening
			 */
			conn->in_eof = true;
			if (conn->phase != CONN_FOLLOWING || conn->out.len == 0)
				loop_mod_fd(loop, fd, conn_idle_events(conn));
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(conn);
		}
		return;
	}
	if (!conn->in_eof) {
		switch (ctl_client_read(fd, conn->in, &conn->in_len, sizeof(conn->in), true)) {
		case CTL_READ_PAUSED:
			break;
		case CTL_READ_EOF:
			conn->in_eof = true;
			break;
		case CTL_READ_FAILED:
			conn_close(conn);
			return;
		}
	}
	if (conn->in_len >= sizeof(conn->in) && !memchr(conn->in, '\n', conn->in_len)) {
		ctl_conn_reply(conn, CTL_EXCEPTION, "command too long");
		return;
	}
	if (conn->in_eof || memchr(conn->in, '\n', conn->in_len)) {
		if (conn->in_len == 0) {
			conn_close(conn);
			return;
		}
		loop_mod_fd(loop, fd, conn_idle_events(conn));
		conn_run(conn);
		return;
	}
	if (conn->in_len > 0)
		loop_timer_start(loop, &conn->timer, CTL_QUIET_MS);
}

static bool member_of(gid_t group, gid_t primary, const gid_t *groups, size_t ngroups)
{
	if (primary == group)
		return true;
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static bool peer_privileged(struct ctl_server *server, int fd, const struct ucred *cred)
{
	if (cred->uid == 0 || cred->uid == server->owner_uid)
		return true;
	if (!server->has_group)
		return false;
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t ngroups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		ngroups = len / sizeof(gid_t);
	return member_of(server->group_gid, cred->gid, groups, ngroups);
}

static void refuse(struct ctl_server *server, int fd, const char *text)
{
	/* best effort: the socket is fresh, a short reply fits its buffer */
	ssize_t n = send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
	server->refused++;
}

static void conn_open(struct ctl_server *server, int fd, const struct ucred *cred)
{
	struct ctl_conn *conn = ctl_client_alloc(fd, sizeof(*conn));
	if (!conn)
		return;
	conn->server = server;
	conn->fd = fd;
	conn->uid = cred->uid;
	conn->gid = cred->gid;
	conn->pid = cred->pid;
	conn->privileged = peer_privileged(server, fd, cred);
	ctl_buf_init(&conn->out, CTL_REPLY_LIMIT);
	if (ctl_client_watch(server->loop, fd, conn_readable, &conn->timer, conn_timer_fired, conn,
			     CTL_READ_TIMEOUT_MS) < 0) {
		free(conn);
		return;
	}
	conn->next = server->conns;
	server->conns = conn;
	server->nconns++;
}

static void server_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_server *server = arg;
	for (;;) {
		int cfd = ctl_client_accept(fd);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
				tend_log(system_logger(server->system), LOG_SEVERITY_WARNING,
					 "control socket: accept: %s", strerror(errno));
			return;
		}
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			refuse(server, cfd, "EXCEPTION\ncannot read peer credentials\n");
			continue;
		}
		if (server->nconns >= CTL_MAX_CONNECTIONS)
			refuse(server, cfd, "EXCEPTION\ntoo many control connections, try again\n");
		else
			conn_open(server, cfd, &cred);
	}
}

/* ---- the socket ---- */

/* Remove a path only if it is still ours (another tend may have taken it since). */
void ctl_unlink_if_ours(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	if (path && lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}

static int socket_open(struct ctl_server *server, const char *path)
{
	struct logger *logger = system_logger(server->system);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		tend_log(logger, LOG_SEVERITY_WARNING, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* a stale socket from an earlier run */
	/* created 0600: never a moment where others could connect */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0)
		goto fail;
	mode_t mode = server->readonly_world ? 0666 : server->has_group ? 0660 : 0600;
	/* A failed chown only narrows who may connect; tend checks every peer anyway. */
	if ((server->owner_uid != geteuid() || server->has_group) &&
	    chown(path, server->owner_uid, server->has_group ? server->group_gid : (gid_t)-1) < 0)
		tend_log(logger, LOG_SEVERITY_WARNING, "control socket %s: chown: %s", path,
			 strerror(errno));
	if (chmod(path, mode) < 0)
		goto fail_unlink;
	if (listen(fd, 64) < 0 || stat(path, &st) < 0)
		goto fail_unlink;
	if (loop_add_fd(server->loop, fd, EPOLLIN, server_accept, server) < 0)
		goto fail_unlink;
	server->listen_fd = fd;
	server->socket_path = strdup(path);
	server->socket_dev = st.st_dev;
	server->socket_ino = st.st_ino;
	return 0;
fail_unlink:
	unlink(path);
fail:
	tend_log(logger, LOG_SEVERITY_WARNING, "control socket %s cannot be started: %s", path,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void resolve_owner(struct ctl_server *server, const struct settings_conf *settings)
{
	struct logger *logger = system_logger(server->system);
	server->owner_uid = geteuid(); /* root, normally; whoever runs a --force tend otherwise */
	const char *user = system_default_user(server->system);
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			char *end;
			long uid = strtol(user, &end, 10);
			if (*end == '\0' && end != user)
				server->owner_uid = (uid_t)uid;
		} else {
			server->owner_uid = pw->pw_uid;
		}
	}
	if (settings->control_group && settings->control_group[0]) {
		struct group *gr = getgrnam(settings->control_group);
		char *end;
		long gid = strtol(settings->control_group, &end, 10);
		if (gr) {
			server->group_gid = gr->gr_gid;
			server->has_group = true;
		} else if (*end == '\0' && end != settings->control_group) {
			server->group_gid = (gid_t)gid;
			server->has_group = true;
		} else {
			tend_log(
			    logger, LOG_SEVERITY_WARNING,
			    "settings.control_group: no such group '%s'; control stays owner-only",
			    settings->control_group);
		}
	}
	server->readonly_world = settings->control_readonly_world;
}

static void on_log_records(const struct log_record *run, const struct log_line *lines, size_t n,
			   void *arg)
{
	struct ctl_server *server = arg;
	logring_add_run(server->ring, run, lines, n);
}

static void on_ring_entry(const struct logring_entry *entry, void *arg)
{
	struct ctl_server *server = arg;
	char line[LOGRING_TEXT + 1];
	size_t n = 0; /* formatted for the first follower that wants it, and only then */
	/* streaming may close a connection (and relink it to the dead list): take next first */
	for (struct ctl_conn *conn = server->conns, *next; conn; conn = next) {
		next = conn->next;
		if (conn->phase != CONN_FOLLOWING ||
		    !logring_entry_matches(entry, conn->follow_names, conn->nfollow))
			continue;
		if (n == 0) {
			n = logring_format(entry, line, LOGRING_TEXT);
			line[n++] = '\n';
		}
		ctl_conn_stream(conn, line, n);
	}
}

static void on_system_event(struct system *system, enum system_event event, struct service *svc,
			    void *arg)
{
	struct ctl_server *server = arg;
	if (event == SYSTEM_EV_SERVICE_CHANGED)
		ctl_ops_progress(server);
	else if (event == SYSTEM_EV_STOPPING)
		ctl_ops_cancel(server, "Command error: the system is shutting down");
}

struct face_handle *ctl_server_start(struct system *system, const struct config *config);
struct face_handle *ctl_server_start(struct system *system, const struct config *config)
{
	struct face_handle *handle = calloc(1, sizeof(*handle));
	if (!handle)
		return NULL;
	struct ctl_server *server = &handle->server;
	server->system = system;
	server->loop = system_loop(system);
	server->listen_fd = -1;
	server->fifo_fd = -1;
	loop_timer_init(&server->sweep_timer, sweep_dead, server);
	/* before any service starts: room for services a reload may add */
	if (system_reload_prepare && system_reload_prepare(system) < 0)
		tend_log(system_logger(system), LOG_SEVERITY_WARNING,
			 "reload will not be able to add services");
	resolve_owner(server, &config->settings);
	if (config->settings.control_socket && config->settings.control_socket[0])
		socket_open(server, config->settings.control_socket);
	ctl_fifo_open(server, &config->settings);
	server->ring = logring_new(NULL, NULL); /* listened to while `logs -f` streams */
	if (server->ring && logger_set_tap)
		logger_set_tap(system_logger(system), on_log_records, server);
	system_subscribe(system, on_system_event, server);
	return handle;
}

void ctl_server_stop(struct face_handle *handle);
void ctl_server_stop(struct face_handle *handle)
{
	if (!handle)
		return;
	struct ctl_server *server = &handle->server;
	if (logger_set_tap)
		logger_set_tap(system_logger(server->system), NULL, NULL);
	ctl_ops_free(server);
	while (server->conns)
		conn_close(server->conns);
	sweep_dead(server->loop, server);
	loop_timer_stop(server->loop, &server->sweep_timer);
	loop_timer_stop(server->loop, &server->shutdown_timer);
	if (server->listen_fd >= 0) {
		loop_del_fd(server->loop, server->listen_fd);
		close(server->listen_fd);
		ctl_unlink_if_ours(server->socket_path, server->socket_dev, server->socket_ino);
	}
	ctl_fifo_close(server);
	if (system_reload_release)
		system_reload_release(server->system);
	logring_free(server->ring);
	free(server->socket_path);
	free(server->fifo_path);
	free(handle);
}
