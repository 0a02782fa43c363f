/*
 * notify_socket.c — binding the socket a notify service reports on (see notify_socket.h).
 *
 * By default the name is "@/tend/<16 hex digits>/<service>" in the abstract namespace, which
 * is shared by everything in a network namespace: several tends (one per container, or per
 * test) may share one, so the name carries 64 random bits. `notify_socket: "@name"` asks for
 * an explicit abstract name; `notify_socket: /path` for a file, which suits services in
 * another network namespace or clients that only take a path. tend replaces a stale socket
 * file there (never a live one, nor anything that is not a socket), creates it with mode
 * 0600, gives it to the service's user (sending to a unix socket needs write permission on
 * its file), creates no directories, and removes the file when the socket is closed.
 */
#include "svc/notify_socket.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/loop.h"
#include "svc/environment.h"
#include "svc/launch.h"
#include "svc/service.h"
#include "system.h"

#define NOTIFY_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

/* Who the service runs as, resolved in the order launch_prepare() uses (its uid, the
 * settings' uid, --user), and its `notify_socket` expanded for that user, as the command is.
 * NULL with err set on failure. */
static char *notify_socket_expand(struct service *svc, bool *has_user, uid_t *uid, gid_t *gid,
				  char *err, size_t errlen)
{
	const struct service_conf *conf = svc->conf;
	struct service_env env;
	if (service_env_build(svc, &env, err, errlen) < 0)
		return NULL;
	char *group = NULL, *name = NULL, *home = NULL, *text = NULL;
	char *user = launch_user_spec(svc, &env, &group);
	*has_user = false;
	if (user && *user) {
		char why[256];
		if (launch_resolve_user(user, group, uid, gid, &name, &home, why, sizeof(why)) <
		    0) {
			snprintf(err, errlen, "%s: %s", conf->name, why);
			goto out;
		}
		*has_user = true;
		service_env_set_user(&env, name, home, *uid, *gid);
	}
	text = service_env_expand(&env, conf->notify_socket);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", conf->name);
	} else if (service_env_error(&env)) {
		snprintf(err, errlen, "%s", service_env_error(&env));
		free(text);
		text = NULL;
	}
out:
	free(user);
	free(group);
	free(name);
	free(home);
	service_env_free(&env);
	return text;
}

/* The default: a random name, retried on the (unlikely) collision. */
static int notify_socket_bind_random(struct service *svc, struct notify_socket *sock)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		uint64_t nonce;
		if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != sizeof(nonce))
			nonce = (loop_now_ms() << 20) ^ ((uint64_t)getpid() << 8) ^
				(uint64_t)attempt ^ (uint64_t)(uintptr_t)svc;
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		/* 108 bytes of sun_path: '\0', "/tend/", 16 hex, '/', then the name, truncated. */
		int len = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "/tend/%016llx/%s",
				   (unsigned long long)nonce, svc->short_name);
		if (len < 0)
			return -1;
		if ((size_t)len > sizeof(addr.sun_path) - 1)
			len = (int)sizeof(addr.sun_path) - 1;
		socklen_t addr_len =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
		if (bind(sock->fd, (struct sockaddr *)&addr, addr_len) == 0) {
			sock->address[0] = '@';
			memcpy(sock->address + 1, addr.sun_path + 1, (size_t)len);
			sock->address[len + 1] = '\0';
			return 0;
		}
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* "@name": that name in the abstract namespace (the caller checked its length). */
static int notify_socket_bind_abstract(struct notify_socket *sock, const char *text)
{
	size_t len = strlen(text + 1);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path + 1, text + 1, len);
	socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	if (bind(sock->fd, (struct sockaddr *)&addr, addr_len) < 0)
		return -1;
	memcpy(sock->address, text, len + 2);
	return 0;
}

/* Whether something is bound at addr: a datagram connect succeeds only then (a file left
 * by a process that is gone gives ECONNREFUSED). */
static bool notify_socket_live(const struct sockaddr_un *addr)
{
	int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return false;
	bool live = connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(probe);
	return live;
}

/* A path: the old socket file replaced, the new one 0600 and the service user's. */
static int notify_socket_bind_path(struct service *svc, struct notify_socket *sock,
				   const char *path, bool has_user, uid_t uid, gid_t gid, char *err,
				   size_t errlen)
{
	const char *name = svc->conf->name;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, path, strlen(path) + 1);
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s: notify_socket %s exists and is not a socket",
				 name, path);
			return -1;
		}
		if (notify_socket_live(&addr)) {
			snprintf(err, errlen, "%s: notify_socket %s is in use by another process",
				 name, path);
			return -1;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot remove the old notify socket %s: %s",
				 name, path, strerror(errno));
			return -1;
		}
	}
	/* Created 0600 from the start (tend has no threads for the umask to surprise). */
	mode_t old_mask = umask(0177);
	int rc = bind(sock->fd, (struct sockaddr *)&addr, sizeof(addr));
	int saved = errno;
	umask(old_mask);
	if (rc < 0) {
		snprintf(err, errlen, "%s: could not create its notify socket %s: %s", name, path,
			 strerror(saved));
		return -1;
	}
	memcpy(sock->address, path, strlen(path) + 1);
	if (lstat(path, &sb) < 0) {
		snprintf(err, errlen, "%s: notify socket %s vanished: %s", name, path,
			 strerror(errno));
		return -1;
	}
	sock->is_path = true;
	sock->dev = sb.st_dev;
	sock->ino = sb.st_ino;
	/* lchown: never follow a link someone put in its place in a shared directory. */
	if (has_user && lchown(path, uid, gid) < 0) {
		snprintf(err, errlen, "%s: cannot give notify socket %s to uid %d: %s", name, path,
			 (int)uid, strerror(errno));
		return -1;
	}
	return 0;
}

int notify_socket_open(struct service *svc, struct notify_socket *sock, char *err, size_t errlen)
{
	memset(sock, 0, sizeof(*sock));
	sock->fd = -1;
	char *text = NULL;
	bool has_user = false;
	uid_t uid = 0;
	gid_t gid = 0;
	if (svc->conf->notify_socket) {
		text = notify_socket_expand(svc, &has_user, &uid, &gid, err, errlen);
		if (!text)
			return -1;
	}
	const char *name = svc->conf->name;
	int rc = -1;
	if (text && *text && *text != '@' && *text != '/') {
		snprintf(err, errlen,
			 "%s: notify_socket '%s' must be an absolute path or '@' and a name", name,
			 text);
		goto out;
	}
	if (text && (strcmp(text, "@") == 0 || strlen(text) >= NOTIFY_SUN_PATH_MAX)) {
		snprintf(err, errlen, "%s: notify_socket '%s' must have 1 to %zu characters%s",
			 name, text, NOTIFY_SUN_PATH_MAX - 1, *text == '@' ? " after '@'" : "");
		goto out;
	}
	sock->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (sock->fd < 0 || setsockopt(sock->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "%s: could not create its notify socket: %s", name,
			 strerror(errno));
		goto out;
	}
	if (!text || !*text) {
		rc = notify_socket_bind_random(svc, sock);
		if (rc < 0)
			snprintf(err, errlen, "%s: could not create its notify socket: %s", name,
				 strerror(errno));
	} else if (*text == '@') {
		rc = notify_socket_bind_abstract(sock, text);
		if (rc < 0)
			snprintf(err, errlen, "%s: could not create its notify socket %s: %s", name,
				 text, strerror(errno));
	} else {
		rc = notify_socket_bind_path(svc, sock, text, has_user, uid, gid, err, errlen);
	}
out:
	free(text);
	if (rc < 0)
		notify_socket_close(sock);
	return rc;
}

void notify_socket_close(struct notify_socket *sock)
{
	if (sock->fd >= 0) {
		close(sock->fd);
		sock->fd = -1;
	}
	if (!sock->is_path)
		return;
	sock->is_path = false;
	/* Only the file tend made: a later tend may have replaced it with its own. A failed
	 * unlink leaves a stale file, which the next start replaces. */
	struct stat sb;
	if (lstat(sock->address, &sb) == 0 && S_ISSOCK(sb.st_mode) && sb.st_dev == sock->dev &&
	    sb.st_ino == sock->ino)
		(void)unlink(sock->address);
}
