/*
 * tendctl.c — the control client (also answering as telchap and `tend ctl`): quote the
 * arguments as a shell would, send one command line to tend's control socket, print the
 * reply, and turn it into an exit status scripts can rely on:
 *
 *   0  done (RESULT)                      3  tend is not listening (not running?)
 *   1  the command failed ("Command      4  access denied (socket mode or tend refused)
 *      error: ..."), or status --check     5  tend answered EXCEPTION, or garbage
 *      found something unhealthy           2  usage error (here or COMMAND-ERROR)
 *
 * The socket: --socket PATH, else $TEND_CONTROL_SOCKET, else /dev/tend.sock, falling back to
 * chaperone's /dev/chaperone.sock when only that one exists. This is a plain blocking client:
 * it never runs inside tend's loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/command.h"
#include "tools/tools.h"

enum {
	TENDCTL_OK = 0,
	TENDCTL_FAILED = 1,
	TENDCTL_USAGE = 2,
	TENDCTL_NOT_RUNNING = 3,
	TENDCTL_DENIED = 4,
	TENDCTL_PROTOCOL = 5
};

static void tendctl_usage(FILE *out)
{
	fprintf(out,
		"Usage: tendctl [--socket PATH] <command> [<args> ...]\n"
		"Sends one command to a running tend and prints its reply.\n\n%s\n\n"
		"Exit status: 0 done, 1 command failed or unhealthy, 2 usage error, 3 tend not\n"
		"listening, 4 access denied, 5 unexpected reply.\n"
		"Socket: --socket, $TEND_CONTROL_SOCKET, /dev/tend.sock, /dev/chaperone.sock.\n",
		ctl_usage());
}

static const char *default_socket(void)
{
	const char *env = getenv("TEND_CONTROL_SOCKET");
	if (env && env[0])
		return env;
	struct stat st;
	if (stat("/dev/tend.sock", &st) < 0 && stat("/dev/chaperone.sock", &st) == 0)
		return "/dev/chaperone.sock";
	return "/dev/tend.sock";
}

static int tendctl_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "tendctl: socket path too long: %s\n", path);
		return -TENDCTL_USAGE;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("tendctl: socket");
		return -TENDCTL_PROTOCOL;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	int err = errno;
	close(fd);
	if (err == EACCES || err == EPERM) {
		fprintf(stderr, "tendctl: access denied to %s (%s)\n", path, strerror(err));
		return -TENDCTL_DENIED;
	}
	fprintf(stderr, "tend does not seem to be listening, is it running?\n(Error is: %s: %s)\n",
		path, strerror(err));
	return -TENDCTL_NOT_RUNNING;
}

/* The command line: verb then every argument quoted. NULL when too long. */
static char *build_line(int argc, char **argv)
{
	size_t size = CTL_LINE_MAX + 2, used = 0;
	char *line = malloc(size);
	if (!line)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			line[used++] = ' ';
		size_t n = i == 0 ? (size_t)snprintf(line + used, size - used, "%s", argv[0])
				  : ctl_quote_word(argv[i], line + used, size - used);
		if (used + n + 2 > size) {
			free(line);
			return NULL;
		}
		used += n;
	}
	line[used++] = '\n';
	line[used] = '\0';
	return line;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read the reply head ("RESULT\n"...) and stream the body to stdout as it arrives. */
static int read_reply(int fd, bool check, bool *failed)
{
	char head[64];
	size_t head_len = 0;
	char buf[8192];
	bool in_body = false;
	bool first_body = true;
	int kind = -1; /* 0 RESULT, 1 COMMAND-ERROR, 2 EXCEPTION */
	FILE *out = stdout;
	char last = '\n';
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("tendctl: read");
			return TENDCTL_PROTOCOL;
		}
		if (n == 0)
			break;
		size_t off = 0;
		while (!in_body && off < (size_t)n) {
			char c = buf[off++];
			if (c == '\n') {
				head[head_len] = '\0';
				if (strcmp(head, "RESULT") == 0)
					kind = 0;
				else if (strcmp(head, "COMMAND-ERROR") == 0)
					kind = 1;
				else if (strcmp(head, "EXCEPTION") == 0)
					kind = 2;
				else
					return fprintf(stderr, "tendctl: unexpected reply '%s'\n",
						       head),
					       TENDCTL_PROTOCOL;
				out = kind == 0 ? stdout : stderr;
				in_body = true;
			} else if (head_len + 1 < sizeof(head)) {
				head[head_len++] = c;
			} else {
				fprintf(stderr, "tendctl: unexpected reply\n");
				return TENDCTL_PROTOCOL;
			}
		}
		if (!in_body || off >= (size_t)n)
			continue;
		const char *body = buf + off;
		size_t len = (size_t)n - off;
		if (first_body) {
			first_body = false;
			if (kind == 0 && strncmp(body, "Command error:", 14) == 0)
				*failed = true;
			if (kind == 0 && check && strncmp(body, "unhealthy", 9) == 0)
				*failed = true;
			if (kind == 2 && strncmp(body, "access denied", 13) == 0)
				kind = 3;
		}
		fwrite(body, 1, len, out);
		fflush(out);
		last = body[len - 1];
	}
	if (kind < 0) {
		fprintf(stderr, "tendctl: tend closed the connection without a reply%s\n",
			head_len ? " (incomplete)" : "");
		return TENDCTL_PROTOCOL;
	}
	if (last != '\n')
		fputc('\n', out);
	switch (kind) {
	case 0:
		return *failed ? TENDCTL_FAILED : TENDCTL_OK;
	case 1:
		return TENDCTL_USAGE;
	case 3:
		return TENDCTL_DENIED;
	default:
		return TENDCTL_PROTOCOL;
	}
}

int tendctl_main(int argc, char **argv)
{
	const char *socket_path = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			tendctl_usage(stdout);
			return TENDCTL_OK;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			socket_path = argv[++i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			socket_path = argv[i] + 9;
		} else {
			fprintf(stderr, "tendctl: unknown option %s\n", argv[i]);
			tendctl_usage(stderr);
			return TENDCTL_USAGE;
		}
	}
	if (i >= argc) {
		tendctl_usage(stderr);
		return TENDCTL_USAGE;
	}
	char *line = build_line(argc - i, argv + i);
	if (!line) {
		fprintf(stderr, "tendctl: command longer than %d bytes\n", CTL_LINE_MAX);
		return TENDCTL_USAGE;
	}
	bool check = strcmp(argv[i], "status") == 0;
	bool has_check = false;
	for (int k = i + 1; check && k < argc; k++)
		if (strcmp(argv[k], "--check") == 0)
			has_check = true;
	int fd = tendctl_connect(socket_path ? socket_path : default_socket());
	if (fd < 0) {
		free(line);
		return -fd;
	}
	int rc;
	bool failed = false;
	/* A refused client may find the connection closed under its send: the refusal is
	 * still there to read. */
	if (send_all(fd, line, strlen(line)) == 0)
		shutdown(fd, SHUT_WR);
	rc = read_reply(fd, has_check, &failed);
	free(line);
	close(fd);
	return rc;
}
