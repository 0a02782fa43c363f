/*
 * environment.h — a service's environment at launch: the settings level, then the service
 * level (env_inherit, passwd HOME/USER/LOGNAME, env_set, env_unset), _CHAP_SERVICE*, and the
 * expansion of directives against it. An adapter over conf/env.h so the engine depends on
 * one small interface.
 */
#ifndef TEND_SVC_ENVIRONMENT_H
#define TEND_SVC_ENVIRONMENT_H

#include <stddef.h>
#include <sys/types.h>

struct service;

struct service_env {
	void *impl;
};

int service_env_build(struct service *svc, struct service_env *env, char *err, size_t errlen);
/* Expand a directive (no bare backticks). On a failed expansion (`:?`, a bad regex) the
 * text is returned as written and the first error is kept: see service_env_error(). */
char *service_env_expand(struct service_env *env, const char *text);
/* The first expansion error since the build, or NULL. */
const char *service_env_error(const struct service_env *env);
/* Rebuild the service level for the user it runs as (HOME, USER, LOGNAME; backticks run as
 * that uid/gid). */
void service_env_set_user(struct service_env *env, const char *user, const char *home, uid_t uid,
			  gid_t gid);
/* What the child receives: public variables only, plus extra "NAME=value" entries. */
char **service_env_public(struct service_env *env, const char *const *extra);
void service_env_free(struct service_env *env);

#endif
