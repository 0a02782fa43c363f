/*
 * users.c — --user and --create-user. Creating a user runs the system's own tools
 * (useradd/groupadd, or busybox adduser/addgroup), once, before the event loop starts.
 */
#include "users.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"

static int run_tool(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* name[:/path][:uid][:gid] with "\:" escaping a colon inside the path. */
static int parse_create_spec(const char *spec, char **name, char **path, char **uid, char **gid)
{
	char *fields[4] = {0};
	size_t nf = 0;
	char *buf = malloc(strlen(spec) + 1);
	if (!buf)
		return -1;
	size_t bl = 0;
	for (const char *p = spec;; p++) {
		if (*p == '\\' && p[1] == ':') {
			buf[bl++] = ':';
			p++;
			continue;
		}
		if (*p == ':' || *p == '\0') {
			if (nf == 4) {
				free(buf);
				for (size_t i = 0; i < nf; i++)
					free(fields[i]);
				return -1;
			}
			fields[nf++] = strndup(buf, bl);
			bl = 0;
			if (!*p)
				break;
			continue;
		}
		buf[bl++] = *p;
	}
	free(buf);
	size_t i = 0;
	*name = fields[i++];
	*path = (i < nf && fields[i][0] == '/') ? fields[i++] : NULL;
	*uid = i < nf ? fields[i++] : NULL;
	*gid = i < nf ? fields[i++] : NULL;
	for (; i < nf; i++)
		free(fields[i]);
	return (*name && **name) ? 0 : -1;
}

static int create_user(const struct options *o)
{
	char *name, *path, *uid, *gid;
	if (parse_create_spec(o->create_user, &name, &path, &uid, &gid) < 0) {
		fprintf(stderr,
			"tend: --create-user: expected name[:/path][:uid][:gid], got '%s'\n",
			o->create_user);
		return -1;
	}
	struct stat st;
	char num_uid[32], num_gid[32];
	if (path && stat(path, &st) == 0) {
		/* Missing uid/gid are taken from the path's owner, as chaperone. */
		if (!uid || !*uid) {
			snprintf(num_uid, sizeof(num_uid), "%u", (unsigned)st.st_uid);
			free(uid);
			uid = strdup(num_uid);
		}
		if (!gid || !*gid) {
			snprintf(num_gid, sizeof(num_gid), "%u", (unsigned)st.st_gid);
			free(gid);
			gid = strdup(num_gid);
		}
	}
	int rc = 0;
	struct passwd *pw = getpwnam(name);
	if (pw) {
		if ((uid && *uid && (uid_t)strtoul(uid, NULL, 10) != pw->pw_uid) ||
		    (gid && digits(gid) && (gid_t)strtoul(gid, NULL, 10) != pw->pw_gid)) {
			fprintf(stderr,
				"tend: --create-user: user '%s' exists with a different uid/gid\n",
				name);
			rc = -1;
		}
		goto out;
	}
	if (gid && digits(gid) && !getgrgid((gid_t)strtoul(gid, NULL, 10))) {
		char *groupadd[] = {"groupadd", "-g", gid, name, NULL};
		char *addgroup[] = {"addgroup", "-g", gid, name, NULL};
		if (run_tool(groupadd) != 0 && run_tool(addgroup) != 0) {
			fprintf(stderr, "tend: --create-user: could not create group %s\n", gid);
			rc = -1;
			goto out;
		}
	}
	char home[4096];
	const char *home_dir = path;
	if (!home_dir && o->default_home) {
		snprintf(home, sizeof(home), "/home/%s", name);
		if (stat(home, &st) != 0)
			home_dir = o->default_home;
	}
	char *argv[16];
	size_t n = 0;
	argv[n++] = "useradd";
	argv[n++] = "--no-create-home";
	if (uid && *uid) {
		argv[n++] = "-u";
		argv[n++] = uid;
	}
	if (gid && *gid) {
		argv[n++] = "-g";
		argv[n++] = gid;
	}
	if (home_dir) {
		argv[n++] = "--home-dir";
		argv[n++] = (char *)home_dir;
	}
	argv[n++] = name;
	argv[n] = NULL;
	int rc_useradd = run_tool(argv);
	/* busybox images have adduser instead; Debian's adduser is another program, so only
	 * fall back when useradd itself is missing. */
	if (rc_useradd == 127) {
		char *bb[16];
		size_t m = 0;
		bb[m++] = "adduser";
		bb[m++] = "-D";
		bb[m++] = "-H";
		if (uid && *uid) {
			bb[m++] = "-u";
			bb[m++] = uid;
		}
		if (gid && *gid) {
			bb[m++] = "-G";
			bb[m++] = gid;
		}
		if (home_dir) {
			bb[m++] = "-h";
			bb[m++] = (char *)home_dir;
		}
		bb[m++] = name;
		bb[m] = NULL;
		rc_useradd = run_tool(bb);
	}
	if (rc_useradd != 0) {
		fprintf(stderr, "tend: --create-user: could not create user '%s'\n", name);
		rc = -1;
	}
out:
	free(name);
	free(path);
	free(uid);
	free(gid);
	return rc;
}

int users_setup(const struct options *o, struct user_setup *user)
{
	memset(user, 0, sizeof(*user));
	const char *who = o->user;
	if (o->create_user) {
		if (create_user(o) < 0)
			return -1;
		user->name = strndup(o->create_user, strcspn(o->create_user, ":"));
	} else if (who) {
		struct passwd *pw =
		    digits(who) ? getpwuid((uid_t)strtoul(who, NULL, 10)) : getpwnam(who);
		if (!pw) {
			fprintf(stderr, "tend: --user: user '%s' does not exist\n", who);
			return -1;
		}
		user->name = strdup(pw->pw_name);
	}
	if (user->name) {
		struct passwd *pw = getpwnam(user->name);
		if (pw)
			user->home = strdup(pw->pw_dir);
	}
	return 0;
}

void users_free(struct user_setup *user)
{
	free(user->name);
	free(user->home);
	user->name = user->home = NULL;
}
