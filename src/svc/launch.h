/*
 * launch.h — what a service launch needs, resolved from its configuration at launch time
 * (chaperone expands directives late): argv, environment, user, directory, output modes.
 */
#ifndef TEND_SVC_LAUNCH_H
#define TEND_SVC_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct service;

struct launch {
	char **argv;
	char **envp;
	char *directory;
	bool has_user;
	uid_t uid;
	gid_t gid;
	char *user_name;
	char *stdout_mode;
	char *stderr_mode;
};

int launch_prepare(struct service *svc, const char *const *extra_env, struct launch *launch,
		   char *err, size_t errlen);
void launch_free(struct launch *launch);

/* Which user (and group) a service runs as, expanded, before resolution: its uid, else the
 * settings' uid, else --user. Both malloc'd or NULL. */
struct service_env;
char *launch_user_spec(struct service *svc, struct service_env *env, char **group);

/* Resolve a user given by name or number (and an optional group) as chaperone does. */
int launch_resolve_user(const char *user, const char *group, uid_t *uid, gid_t *gid,
			char **name, char **home, char *err, size_t errlen);

#endif
