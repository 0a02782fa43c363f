/*
 * sdnotify.c — chaperone's sdnotify, an alternative to systemd-notify (also `tend notify`):
 *
 *   sdnotify [--pid PID|self] [--status=TEXT] [--ready] [--booted] [--ignore] [VAR=VALUE ...]
 *
 * Sends, one datagram each and in this order, MAINPID=, STATUS=, READY=1, then every
 * VAR=VALUE (the name uppercased) to $NOTIFY_SOCKET (a path, or "@name" for an abstract
 * socket). Without NOTIFY_SOCKET it sends nothing and succeeds. --booted always answers "no"
 * (exit 1): tend is not systemd. Exit status: 0 sent, 1 not sent (or --booted), 2 usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/tools.h"

#define SDNOTIFY_MAX_MESSAGES 256

static void sdnotify_usage(FILE *out)
{
	fputs(
	    "Usage: sdnotify [options] [VARIABLE=VALUE ...]\n\n"
	    "Options:\n"
	    "    --pid PID        Inform tend/systemd of MAINPID (--pid=self: this program's pid)\n"
	    "    --status=STATUS  Inform tend/systemd of status information\n"
	    "    --ready          Send the ready signal (READY=1)\n"
	    "    --booted         Whether we were booted with systemd: always 'no' (exit 1)\n"
	    "    --ignore         Silently ignore inability to send notifications\n"
	    "                     (always ignored when NOTIFY_SOCKET is not set)\n\n"
	    "Messages are sent in the order above, then the VARIABLE=VALUE pairs.\n",
	    out);
}

/* One datagram to NOTIFY_SOCKET; -1 with errno on failure. */
static int sdnotify_send(const char *socket_name, const char *message)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(socket_name);
	if (len >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, socket_name, len);
	if (socket_name[0] == '@')
		addr.sun_path[0] = '\0';
	socklen_t addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
					(socket_name[0] == '@' ? 0 : 1));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n =
	    sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen);
	int err = errno;
	close(fd);
	errno = err;
	return n < 0 ? -1 : 0;
}

static char *sdnotify_format(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *text = malloc(len);
	if (text)
		snprintf(text, len, "%s=%s", name, value);
	return text;
}

/* Options may be given as --opt VALUE or --opt=VALUE. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int sdnotify_main(int argc, char **argv)
{
	const char *pid = NULL, *status = NULL;
	bool ready = false, booted = false, ignore = false;
	char *messages[SDNOTIFY_MAX_MESSAGES];
	size_t count = 0;
	int first_pair = argc;
	for (int i = 1; i < argc; i++) {
		const char *value;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			sdnotify_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--ready") == 0) {
			ready = true;
		} else if (strcmp(argv[i], "--booted") == 0) {
			booted = true;
		} else if (strcmp(argv[i], "--ignore") == 0) {
			ignore = true;
		} else if ((value = option_value(argc, argv, &i, "--pid"))) {
			pid = value;
		} else if ((value = option_value(argc, argv, &i, "--status"))) {
			status = value;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "sdnotify: unknown option or missing value: %s\n", argv[i]);
			sdnotify_usage(stderr);
			return 2;
		} else {
			first_pair = i;
			break;
		}
	}
	int rc = 2;
	char pidtext[32];
	if (pid) {
		char *end;
		long value = strtol(pid, &end, 10);
		if (strcmp(pid, "self") == 0) {
			snprintf(pidtext, sizeof(pidtext), "%d", (int)getpid());
		} else if (*end || end == pid || value <= 0) {
			printf("error: not a valid PID '%s'\n", pid);
			return 1;
		} else {
			snprintf(pidtext, sizeof(pidtext), "%ld", value);
		}
		messages[count++] = sdnotify_format("MAINPID", pidtext);
	}
	if (status)
		messages[count++] = sdnotify_format("STATUS", status);
	if (ready)
		messages[count++] = sdnotify_format("READY", "1");
	for (int i = first_pair; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i] || count == SDNOTIFY_MAX_MESSAGES) {
			printf("error: not a valid format for VARIABLE=VALUE, '%s'\n", argv[i]);
			rc = 1;
			goto out;
		}
		char *name = strndup(argv[i], (size_t)(eq - argv[i]));
		if (!name)
			goto out;
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		messages[count++] = sdnotify_format(name, eq + 1);
		free(name);
	}
	rc = 0;
	const char *socket_name = getenv("NOTIFY_SOCKET");
	for (size_t i = 0; socket_name && socket_name[0] && i < count; i++) {
		if (!messages[i] || sdnotify_send(socket_name, messages[i]) < 0) {
			if (!ignore) {
				printf("error: could not send sd_notify message, %s\n",
				       strerror(errno));
				rc = 1;
				goto out;
			}
		}
	}
	if (booted)
		rc = 1;
out:
	for (size_t i = 0; i < count; i++)
		free(messages[i]);
	return rc;
}
