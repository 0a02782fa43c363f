/*
 * sdnotify_exec.c — chaperone's sdnotify-exec (also `tend notify-exec`): run COMMAND with a
 * notify socket of its own, and proxy or interpret what arrives there.
 *
 *   sdnotify-exec [options] COMMAND [ARGS ...]
 *     --noproxy      do not forward messages to our own $NOTIFY_SOCKET
 *     --wait-ready   wait for READY=1 (exit 0) or ERRNO=n (exit n) before exiting
 *     --wait-stop    keep proxying after COMMAND exits, until STOPPING=1 or ERRNO=n
 *                    (MAINPID= is not forwarded: this program stays the main one)
 *     --timeout S    give up waiting after S seconds (exit 1)
 *     --socket NAME  the socket to create (default /tmp/sdnotify-proxy-<pid>.sock;
 *                    "@name" is abstract)
 *     --template T   the %{SOCKET_ARGS} template
 *     --verbose      say what arrives
 *
 * %{VAR} in COMMAND and ARGS is expanded, with PID, NOTIFY_SOCKET (the new socket),
 * ORIG_NOTIFY_SOCKET and SOCKET_ARGS (default `--env NOTIFY_SOCKET=/tmp/notify-%{PID}.sock
 * -v %{NOTIFY_SOCKET}:/tmp/notify-%{PID}.sock`, made for `docker run`) besides the
 * environment; the result is split into words again, so %{SOCKET_ARGS} becomes four.
 * COMMAND gets NOTIFY_SOCKET set to the new socket.
 *
 * Exit status: COMMAND's (128+N when killed by signal N), ERRNO=n's n, 0 on READY=1 with
 * --wait-ready, 1 on a timeout or when COMMAND cannot be run, 2 on a usage error. With
 * --wait-ready, a COMMAND that fails before READY=1 ends the wait with its status.
 * A standalone tool: it blocks in poll(), it never runs inside tend.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl/buf.h"
#include "ctl/command.h"
#include "tools/tools.h"

#define DEFAULT_TEMPLATE                                                                           \
	"--env NOTIFY_SOCKET=/tmp/notify-%{PID}.sock -v %{NOTIFY_SOCKET}:/tmp/notify-%{PID}.sock"
#define MAX_WORDS 4096

enum wait_mode { WAIT_NONE, WAIT_READY, WAIT_STOP };

struct notify_exec {
	const char *socket_name;
	const char *parent; /* ORIG_NOTIFY_SOCKET, or NULL */
	bool proxy;
	bool verbose;
	enum wait_mode wait;
	double timeout; /* seconds, 0: none */
	char pid_text[32];
	char *socket_args; /* the template, expanded */
	int listen_fd;
	int parent_fd;
	pid_t child;
	const char *program;
	int exit_code;
	bool exit_code_set; /* by ERRNO= */
	bool done;
};

static void exec_usage(FILE *out)
{
	fputs("Usage: sdnotify-exec [options] COMMAND [ARGS ...]\n\n"
	      "Options:\n"
	      "    --noproxy        Do not forward messages to the inherited NOTIFY_SOCKET\n"
	      "    --wait-ready     Exit when READY=1 (status 0) or ERRNO=n (status n) arrives\n"
	      "    --wait-stop      Keep running after COMMAND exits, until STOPPING=1 or ERRNO=n\n"
	      "    --timeout secs   Give up waiting after secs seconds (exit 1)\n"
	      "    --socket name    Socket to create (default /tmp/sdnotify-proxy-<pid>.sock)\n"
	      "    --template value The %{SOCKET_ARGS} template\n"
	      "    --verbose        Report activity\n\n"
	      "%{VAR} is expanded in the command: PID, NOTIFY_SOCKET, ORIG_NOTIFY_SOCKET,\n"
	      "SOCKET_ARGS (default '" DEFAULT_TEMPLATE "')\n"
	      "and the environment. Example: sdnotify-exec docker run %{SOCKET_ARGS} image\n",
	      out);
}

static void info(const struct notify_exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void info(const struct notify_exec *x, const char *fmt, ...)
{
	if (!x->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("info: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static const char *lookup(const struct notify_exec *x, const char *name)
{
	if (strcmp(name, "PID") == 0)
		return x->pid_text;
	if (strcmp(name, "NOTIFY_SOCKET") == 0)
		return x->socket_name;
	if (strcmp(name, "ORIG_NOTIFY_SOCKET") == 0)
		return x->parent ? x->parent : "";
	if (strcmp(name, "SOCKET_ARGS") == 0 && x->socket_args)
		return x->socket_args;
	const char *value = getenv(name);
	return value ? value : "";
}

/* %{VAR} -> value (unknown: empty); everything else is copied. */
static void expand(const struct notify_exec *x, const char *text, struct ctl_buf *out)
{
	while (*text) {
		const char *start = strstr(text, "%{");
		const char *end = start ? strchr(start + 2, '}') : NULL;
		if (!start || !end) {
			ctl_buf_str(out, text);
			return;
		}
		ctl_buf_add(out, text, (size_t)(start - text));
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(end - start - 2), start + 2);
		ctl_buf_str(out, lookup(x, name));
		text = end + 1;
	}
}

/* chaperone's maybe_quote: words of safe characters stay as they are (so %{...} expands). */
static void add_word(struct ctl_buf *line, const char *word)
{
	bool safe = word[0] != '\0';
	for (const char *p = word; *p && safe; p++)
		safe = isalnum((unsigned char)*p) || strchr("{}_@%+=:,./-", *p);
	if (line->len)
		ctl_buf_str(line, " ");
	if (safe) {
		ctl_buf_str(line, word);
		return;
	}
	size_t need = ctl_quote_word(word, NULL, 0) + 1;
	char *quoted = malloc(need);
	if (quoted) {
		ctl_quote_word(word, quoted, need);
		ctl_buf_str(line, quoted);
		free(quoted);
	}
}

static socklen_t make_address(const char *name, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(addr->sun_path))
		return 0;
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@')
		addr->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '@' ? 0 : 1));
}

static int open_listener(struct notify_exec *x)
{
	struct sockaddr_un addr;
	socklen_t len = make_address(x->socket_name, &addr);
	if (!len) {
		fprintf(stderr, "Error while trying to create socket: bad name '%s'\n",
			x->socket_name);
		return -1;
	}
	struct stat st;
	if (x->socket_name[0] != '@' && lstat(x->socket_name, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(x->socket_name);
	x->listen_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->listen_fd < 0 || bind(x->listen_fd, (struct sockaddr *)&addr, len) < 0) {
		fprintf(stderr, "Error while trying to create socket: %s: %s\n", x->socket_name,
			strerror(errno));
		return -1;
	}
	/* whoever runs inside (a container's own user) must be able to send */
	if (x->socket_name[0] != '@' && chmod(x->socket_name, 0777) < 0)
		fprintf(stderr, "sdnotify-exec: chmod %s: %s\n", x->socket_name, strerror(errno));
	return 0;
}

static void proxy_send(struct notify_exec *x, const char *line)
{
	if (!x->proxy)
		return;
	if (x->parent_fd < 0) {
		struct sockaddr_un addr;
		socklen_t len = make_address(x->parent, &addr);
		x->parent_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (!len || x->parent_fd < 0 ||
		    connect(x->parent_fd, (struct sockaddr *)&addr, len) < 0) {
			info(x, "parent socket %s unusable (%s): proxying stopped", x->parent,
			     strerror(errno));
			x->proxy = false;
			return;
		}
	}
	if (send(x->parent_fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		info(x, "parent socket closed (%s): proxying stopped", strerror(errno));
		x->proxy = false;
	}
}

static void finish(struct notify_exec *x, int code)
{
	x->exit_code = code;
	x->exit_code_set = true;
	x->done = true;
}

/* One NAME=VALUE line (chaperone's ^[A-Za-z]+=(.+)$; others are ignored). */
static void handle_line(struct notify_exec *x, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq || eq == line || !eq[1])
		return;
	for (char *p = line; p < eq; p++)
		if (!isalpha((unsigned char)*p))
			return;
	*eq = '\0';
	const char *name = line, *value = eq + 1;
	bool pass = !(x->wait == WAIT_STOP && strcmp(name, "MAINPID") == 0);
	if (pass) {
		*eq = '=';
		proxy_send(x, line);
		*eq = '\0';
	}
	const char *fate = pass && x->proxy ? " (ignored but passed on)" : " (ignored)";
	if (x->wait != WAIT_NONE) {
		if (strcmp(name, "READY") == 0 && strcmp(value, "1") == 0 &&
		    x->wait == WAIT_READY) {
			info(x, "ready notification received (will exit)");
			{
				finish(x, 0);
				return;
			}
		}
		if (strcmp(name, "ERRNO") == 0) {
			info(x, "error notification (%s) received from %s", value, x->program);
			{
				finish(x, atoi(value));
				return;
			}
		}
		if (strcmp(name, "STOPPING") == 0 && strcmp(value, "1") == 0) {
			info(x, "STOP notification received from %s (will exit)", x->program);
			x->done = true;
			return;
		}
	}
	if (strcmp(name, "READY") == 0)
		info(x, "READY=%s%s", value, fate);
	else if (strcmp(name, "MAINPID") == 0)
		info(x, "Process PID (=%s) notification%s", value, fate);
	else if (strcmp(name, "ERRNO") == 0)
		info(x, "Process ERROR (=%s) notification%s", value, fate);
	else if (strcmp(name, "STATUS") == 0)
		info(x, "Status message = '%s'%s", value, fate);
	else
		info(x, "%s=%s%s", name, value, fate);
}

/* Every datagram waiting (a command may send several just before it exits). */
static void receive(struct notify_exec *x)
{
	char buf[4097];
	ssize_t n;
	while (!x->done && (n = recv(x->listen_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		char *save = NULL;
		for (char *line = strtok_r(buf, "\n", &save); line && !x->done;
		     line = strtok_r(NULL, "\n", &save))
			handle_line(x, line);
	}
}

static int child_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static void reap(struct notify_exec *x)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != x->child)
			continue;
		x->child = 0;
		int code = child_code(status);
		if (!x->exit_code_set)
			x->exit_code = code;
		if (x->wait == WAIT_NONE) {
			info(x, "program %s exit(%d), terminating since --wait not specified",
			     x->program, code);
			x->done = true;
		} else if (x->wait == WAIT_READY && code != 0 && !x->exit_code_set) {
			info(x, "program %s failed (exit %d) before READY=1", x->program, code);
			x->done = true;
		}
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run(struct notify_exec *x, char **argv)
{
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("sdnotify-exec: signalfd");
		return 1;
	}
	info(x, "running: %s", argv[0]);
	x->child = fork();
	if (x->child < 0) {
		perror("sdnotify-exec: fork");
		return 1;
	}
	if (x->child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (x->wait != WAIT_NONE)
			setsid(); /* as chaperone: a waiting proxy's command gets its own session */
		setenv("NOTIFY_SOCKET", x->socket_name, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "Error running command: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	uint64_t deadline =
	    x->wait != WAIT_NONE && x->timeout > 0 ? now_ms() + (uint64_t)(x->timeout * 1000.0) : 0;
	if (deadline)
		info(x, "waiting %g seconds for notification", x->timeout);
	while (!x->done) {
		struct pollfd fds[2] = {{.fd = x->listen_fd, .events = POLLIN},
					{.fd = sfd, .events = POLLIN}};
		int wait_ms = -1;
		if (deadline) {
			uint64_t now = now_ms();
			if (now >= deadline) {
				printf("ERROR: Timeout exceeded while waiting for notification "
				       "from '%s'\n",
				       x->program);
				fflush(stdout);
				finish(x, 1);
				break;
			}
			wait_ms = (int)(deadline - now);
		}
		if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) {
			perror("sdnotify-exec: poll");
			finish(x, 1);
			break;
		}
		if (fds[0].revents & POLLIN)
			receive(x);
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				/* passed on to COMMAND, then we leave as chaperone does */
				if (x->child > 0)
					kill(x->child, (int)si.ssi_signo);
				finish(x, 128 + (int)si.ssi_signo);
			}
			reap(x);
		}
	}
	/* whatever arrived together with the exit still counts */
	x->done = false;
	if (!x->exit_code_set && x->child == 0)
		receive(x);
	close(sfd);
	return x->exit_code;
}

int sdnotify_exec_main(int argc, char **argv)
{
	struct notify_exec x = {.listen_fd = -1, .parent_fd = -1};
	const char *template_text = DEFAULT_TEMPLATE;
	bool noproxy = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
#define IS(name) (name_len == strlen(name) && strncmp(arg, name, name_len) == 0)
#define VALUE()	 (eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL))
		const char *value = NULL;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			exec_usage(stdout);
			return 0;
		} else if (IS("--noproxy")) {
			noproxy = true;
		} else if (IS("--wait-ready")) {
			if (x.wait != WAIT_STOP)
				x.wait = WAIT_READY;
		} else if (IS("--wait-stop")) {
			x.wait = WAIT_STOP;
		} else if (IS("--verbose")) {
			x.verbose = true;
		} else if (IS("--timeout") && (value = VALUE())) {
			char *end;
			x.timeout = strtod(value, &end);
			if (*end || end == value || x.timeout < 0) {
				fprintf(stderr, "sdnotify-exec: bad --timeout '%s'\n", value);
				return 2;
			}
		} else if (IS("--socket") && (value = VALUE())) {
			x.socket_name = value;
		} else if (IS("--template") && (value = VALUE())) {
			template_text = value;
		} else if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "sdnotify-exec: unknown option or missing value: %s\n",
				arg);
			exec_usage(stderr);
			return 2;
		}
#undef IS
#undef VALUE
	}
	if (i >= argc) {
		exec_usage(stderr);
		return 2;
	}
	snprintf(x.pid_text, sizeof(x.pid_text), "%d", (int)getpid());
	char default_socket[64];
	if (!x.socket_name) {
		snprintf(default_socket, sizeof(default_socket), "/tmp/sdnotify-proxy-%d.sock",
			 (int)getpid());
		x.socket_name = default_socket;
	}
	x.parent = getenv("NOTIFY_SOCKET");
	if (x.parent && !x.parent[0])
		x.parent = NULL;
	x.proxy = x.parent && !noproxy;
	x.program = argv[i];

	struct ctl_buf socket_args, line, expanded;
	ctl_buf_init(&socket_args, 1u << 16);
	ctl_buf_init(&line, 1u << 20);
	ctl_buf_init(&expanded, 1u << 20);
	expand(&x, template_text, &socket_args);
	x.socket_args = socket_args.data ? socket_args.data : "";
	for (int k = i; k < argc; k++)
		add_word(&line, argv[k]);
	expand(&x, line.data ? line.data : "", &expanded);
	int rc = 1;
	char *storage = malloc(expanded.len + 1);
	char **words = calloc(MAX_WORDS + 1, sizeof(char *));
	const char *err = NULL;
	long nwords = storage && words
			  ? ctl_split_words(expanded.data ? expanded.data : "", expanded.len, words,
					    MAX_WORDS, storage, &err)
			  : -1;
	if (nwords <= 0) {
		fprintf(stderr, "sdnotify-exec: cannot split the command: %s\n",
			err ? err : "nothing to run");
		goto out;
	}
	words[nwords] = NULL;
	x.program = words[0];
	if (open_listener(&x) < 0)
		goto out;
	rc = run(&x, words);
out:
	if (x.listen_fd >= 0) {
		close(x.listen_fd);
		if (x.socket_name[0] != '@')
			unlink(x.socket_name);
	}
	if (x.parent_fd >= 0)
		close(x.parent_fd);
	free(storage);
	free(words);
	ctl_buf_free(&socket_args);
	ctl_buf_free(&line);
	ctl_buf_free(&expanded);
	return rc;
}
