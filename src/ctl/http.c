/*
 * http.c — the HTTP face: health, status and metrics for probes and scrapers. Off unless
 * settings.http.listen is set ("ADDR:PORT", "[v6]:PORT", ":PORT", or a unix socket path).
 *
 * One request per connection (Connection: close), read-only (GET and HEAD; anything else is
 * 405), and everything bounded so that a bad client costs tend nothing: at most
 * HTTP_MAX_CONNECTIONS at once (more are closed at accept), a request head of 8 KiB (413),
 * HTTP_REQUEST_TIMEOUT_MS to send it (then 408 and close), a body never read. Parsing is
 * http_parse.c, answers are http_routes.c; docs/architecture.md says why there is no library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "ctl/client.h"
#include "ctl/http_parse.h"
#include "ctl/http_routes.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

#define HTTP_MAX_CONNECTIONS	32
#define HTTP_REQUEST_TIMEOUT_MS 5000
#define HTTP_WRITE_TIMEOUT_MS	10000
#define HTTP_LINGER_MS		1000
#define HTTP_RESPONSE_LIMIT	(8u << 20)

enum http_phase { HTTP_READING, HTTP_WRITING, HTTP_LINGERING };

struct http_conn {
	struct face_handle *face;
	struct http_conn **slot; /* where the face holds it while open */
	struct http_conn *next;	 /* closed, waiting to be freed */
	int fd;
	enum http_phase phase;
	char in[HTTP_HEAD_MAX + 1];
	size_t in_len;
	struct ctl_buf out;
	struct loop_timer timer;
};

struct face_handle {
	struct system *system;
	struct loop *loop;
	int listen_fd;
	char *unix_path;
	struct http_conn *open[HTTP_MAX_CONNECTIONS]; /* a free slot admits a connection */
	struct http_conn *dead;
	struct loop_timer sweep_timer;
	struct http_stats stats;
	pid_t *last_pids; /* per service index: the pid seen at the last event (exit counting) */
	size_t nlast;
};

static void conn_close(struct http_conn *conn)
{
	struct face_handle *face = conn->face;
	if (conn->fd < 0)
		return;
	ctl_client_unwatch(face->loop, &conn->fd, &conn->timer);
	*conn->slot = NULL;
	conn->next = face->dead;
	face->dead = conn;
	loop_timer_start(face->loop, &face->sweep_timer, 0);
}

static void sweep(struct loop *loop, void *arg)
{
	struct face_handle *face = arg;
	while (face->dead) {
		struct http_conn *conn = face->dead;
		face->dead = conn->next;
		ctl_buf_free(&conn->out);
		free(conn);
	}
}

/* After the response: stop sending, read (and drop) whatever the client still sends until it
 * closes, so that closing never resets a connection whose response is still in flight. */
static void conn_linger(struct http_conn *conn)
{
	shutdown(conn->fd, SHUT_WR);
	conn->phase = HTTP_LINGERING;
	loop_mod_fd(conn->face->loop, conn->fd, EPOLLIN | EPOLLRDHUP);
	loop_timer_start(conn->face->loop, &conn->timer, HTTP_LINGER_MS);
}

/* Send what is queued; once all of it is out, linger. */
static void conn_flush(struct http_conn *conn)
{
	enum ctl_send_result sent = ctl_client_send(conn->face->loop, conn->fd, &conn->out);
	if (sent == CTL_SEND_FAILED)
		conn_close(conn);
	else if (sent == CTL_SENT_ALL)
		conn_linger(conn);
}

static void respond(struct http_conn *conn, struct http_response *resp, bool head_only,
		    const char *extra_headers)
{
	struct face_handle *face = conn->face;
	int klass = resp->status / 100;
	if (klass >= 1 && klass <= 5)
		face->stats.requests[klass]++;
	ctl_buf_reset(&conn->out);
	ctl_buf_printf(&conn->out,
		       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
		       resp->status, http_reason(resp->status),
		       resp->content_type ? resp->content_type : "text/plain; charset=utf-8",
		       resp->body.len, extra_headers ? extra_headers : "");
	if (!head_only && resp->body.len)
		ctl_buf_add(&conn->out, resp->body.data, resp->body.len);
	conn->phase = HTTP_WRITING;
	loop_timer_start(face->loop, &conn->timer, HTTP_WRITE_TIMEOUT_MS);
	conn_flush(conn);
}

static void respond_error(struct http_conn *conn, int status, const char *why,
			  const char *extra_headers)
{
	struct http_response resp = {.status = status, .content_type = "application/json"};
	ctl_buf_init(&resp.body, 1024);
	ctl_buf_printf(&resp.body, "{\"error\": \"%s\"}\n", why);
	respond(conn, &resp, false, extra_headers);
	ctl_buf_free(&resp.body);
}

static void handle_request(struct http_conn *conn, const struct http_request *req)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	if (!head && strcmp(req->method, "GET") != 0) {
		respond_error(conn, 405, "only GET and HEAD are served", "Allow: GET, HEAD\r\n");
		return;
	}
	if (req->has_body) {
		respond_error(conn, 400, "requests with a body are not served", NULL);
		return;
	}
	struct http_response resp = {0};
	ctl_buf_init(&resp.body, HTTP_RESPONSE_LIMIT);
	http_routes_handle(conn->face->system, &conn->face->stats, req, &resp);
	if (resp.body.truncated) {
		ctl_buf_free(&resp.body);
		{
			respond_error(conn, 500, "response too large", NULL);
			return;
		}
	}
	respond(conn, &resp, head, NULL);
	ctl_buf_free(&resp.body);
}

static void conn_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct http_conn *conn = arg;
	if (conn->phase == HTTP_WRITING) {
		if (events & (EPOLLERR | EPOLLHUP))
			conn_close(conn);
		else
			conn_flush(conn);
		return;
	}
	if (conn->phase == HTTP_LINGERING) {
		char sink[1024];
		ssize_t n;
		while ((n = recv(fd, sink, sizeof(sink), 0)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    (events & (EPOLLERR | EPOLLHUP)))
			conn_close(conn);
		return;
	}
	enum ctl_client_read got =
	    ctl_client_read(fd, conn->in, &conn->in_len, HTTP_HEAD_MAX, false);
	if (got == CTL_READ_FAILED) {
		conn_close(conn);
		return;
	}
	bool eof = got == CTL_READ_EOF;
	struct http_request req;
	enum http_parse_result r = http_parse_request(conn->in, conn->in_len, &req);
	if (r == HTTP_PARSE_INCOMPLETE) {
		if (eof || (events & (EPOLLERR | EPOLLHUP)))
			conn_close(conn); /* gone before finishing: nobody to answer */
		return;
	}
	if (r != HTTP_PARSE_OK) {
		respond_error(conn, http_parse_status_code(r),
			      req.error ? req.error : "bad request", NULL);
		return;
	}
	handle_request(conn, &req);
}

static void conn_timeout(struct loop *loop, void *arg)
{
	struct http_conn *conn = arg;
	if (conn->phase == HTTP_READING) {
		conn->face->stats.timeouts++;
		respond_error(conn, 408, "request not received in time", NULL);
		return;
	}
	conn_close(conn);
}

static struct http_conn **free_slot(struct face_handle *face)
{
	for (size_t i = 0; i < HTTP_MAX_CONNECTIONS; i++)
		if (!face->open[i])
			return &face->open[i];
	return NULL;
}

static void conn_open(struct face_handle *face, struct http_conn **slot, int fd)
{
	struct http_conn *conn = ctl_client_alloc(fd, sizeof(*conn));
	if (!conn)
		return;
	conn->face = face;
	conn->slot = slot;
	conn->fd = fd;
	ctl_buf_init(&conn->out, HTTP_RESPONSE_LIMIT + 1024);
	if (ctl_client_watch(face->loop, fd, conn_event, &conn->timer, conn_timeout, conn,
			     HTTP_REQUEST_TIMEOUT_MS) < 0)
		free(conn);
	else
		*slot = conn;
}

static void on_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct face_handle *face = arg;
	int cfd;
	while ((cfd = ctl_client_accept(fd)) >= 0) {
		struct http_conn **slot = free_slot(face);
		if (slot) {
			conn_open(face, slot, cfd);
		} else {
			face->stats.refused++;
			close(cfd);
		}
	}
}

/* Count each process exit once, when an event shows a service's pid gone. */
static void on_event(struct system *system, enum system_event event, struct service *svc, void *arg)
{
	struct face_handle *face = arg;
	if (event != SYSTEM_EV_SERVICE_CHANGED || !svc)
		return;
	if (svc->index >= face->nlast) { /* a reload added services */
		size_t n = system_service_count(system);
		pid_t *grown = n > svc->index ? realloc(face->last_pids, n * sizeof(pid_t)) : NULL;
		if (!grown)
			return;
		memset(grown + face->nlast, 0, (n - face->nlast) * sizeof(pid_t));
		face->last_pids = grown;
		face->nlast = n;
	}
	pid_t before = face->last_pids[svc->index];
	face->last_pids[svc->index] = svc->pid;
	if (before && before != svc->pid && svc->last_status != -1) {
		int status = svc->last_status;
		if (WIFSIGNALED(status) && WTERMSIG(status) < HTTP_EXIT_SIGNALS)
			face->stats.exits_by_signal[WTERMSIG(status)]++;
		else if (WIFEXITED(status))
			face->stats.exits_by_code[WEXITSTATUS(status)]++;
	}
}

/* "ADDR:PORT", "[v6]:PORT", ":PORT" (all addresses) or a path ("/..." or "unix:/..."). */
static int http_listen(struct face_handle *face, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	int family;
	if (strncmp(spec, "unix:", 5) == 0)
		spec += 5;
	if (spec[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		if (strlen(spec) >= sizeof(un->sun_path))
			return snprintf(err, errlen, "path too long"), -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, spec);
		len = sizeof(*un);
		family = AF_UNIX;
		struct stat st;
		if (lstat(spec, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(spec);
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon)
			return snprintf(err, errlen, "expected ADDR:PORT or a path"), -1;
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || port < 0 || port > 65535)
			return snprintf(err, errlen, "bad port"), -1;
		char host[64];
		size_t hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host))
			return snprintf(err, errlen, "bad address"), -1;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
			host[hlen - 1] = '\0';
			if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
				return snprintf(err, errlen, "bad IPv6 address"), -1;
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)port);
			family = AF_INET6;
			len = sizeof(*in6);
		} else {
			in4->sin_family = AF_INET;
			in4->sin_port = htons((uint16_t)port);
			if (hlen && strcmp(host, "*") != 0 &&
			    inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
				      &in4->sin_addr) != 1)
				return snprintf(err, errlen,
						"bad IPv4 address (names are not resolved)"),
				       -1;
			family = AF_INET;
			len = sizeof(*in4);
		}
	}
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return snprintf(err, errlen, "%s", strerror(errno)), -1;
	int one = 1;
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0 ||
	    loop_add_fd(face->loop, fd, EPOLLIN, on_accept, face) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	face->listen_fd = fd;
	if (family == AF_UNIX)
		face->unix_path = strdup(spec);
	return 0;
}

struct face_handle *http_start(struct system *system, const struct config *config);
struct face_handle *http_start(struct system *system, const struct config *config)
{
	const char *spec = config->settings.http_listen;
	if (!spec || !spec[0])
		return NULL;
	struct face_handle *face = calloc(1, sizeof(*face));
	if (!face)
		return NULL;
	face->system = system;
	face->loop = system_loop(system);
	face->listen_fd = -1;
	loop_timer_init(&face->sweep_timer, sweep, face);
	char err[200];
	if (http_listen(face, spec, err, sizeof(err)) < 0) {
		tend_log(system_logger(system), LOG_SEVERITY_ERR, "HTTP: cannot listen on %s: %s",
			 spec, err);
		free(face);
		return NULL;
	}
	face->nlast = system_service_count(system);
	face->last_pids = calloc(face->nlast ? face->nlast : 1, sizeof(pid_t));
	if (!face->last_pids)
		face->nlast = 0;
	system_subscribe(system, on_event, face);
	tend_log(system_logger(system), LOG_SEVERITY_INFO, "HTTP: listening on %s", spec);
	return face;
}

void http_stop(struct face_handle *face);
void http_stop(struct face_handle *face)
{
	if (!face)
		return;
	for (size_t i = 0; i < HTTP_MAX_CONNECTIONS; i++)
		if (face->open[i])
			conn_close(face->open[i]);
	sweep(face->loop, face);
	loop_timer_stop(face->loop, &face->sweep_timer);
	if (face->listen_fd >= 0) {
		loop_del_fd(face->loop, face->listen_fd);
		close(face->listen_fd);
	}
	if (face->unix_path)
		unlink(face->unix_path);
	free(face->unix_path);
	free(face->last_pids);
	free(face);
}
