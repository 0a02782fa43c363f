/*
 * environment.c — a service's environment at launch, over conf/env.h: tend's environ, then
 * the settings level, then the service level (with the user's HOME/USER/LOGNAME once the
 * user is known), _CHAP_SERVICE_SERIAL/_TIME, everything expanded late as chaperone does.
 */
#include "svc/environment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/env.h"
#include "conf/expand.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

struct env_state {
	struct service *svc;
	struct env *level;  /* the service level (unexpanded) */
	struct env *values; /* its expansion, owned by level */
	struct expand_options options;
	struct expand_options directive_options;
	char error[256]; /* the first failed expansion */
};

static int rebuild(struct env_state *st, const struct env_user *user, char *err, size_t errlen)
{
	struct system *system = st->svc->system;
	struct env *level = env_build_service(system_settings_env(system), &st->svc->conf->env,
					      user, st->svc->conf->name);
	if (!level) {
		snprintf(err, errlen, "%s: out of memory", st->svc->conf->name);
		return -1;
	}
	env_set_launch(level, st->svc->serial, time(NULL));
	char *error = NULL;
	struct env *values = env_expanded(level, &st->options, &error);
	if (!values) {
		snprintf(err, errlen, "%s: environment: %s", st->svc->conf->name,
			 error ? error : "out of memory");
		free(error);
		env_free(level);
		return -1;
	}
	env_free(st->level);
	st->level = level;
	st->values = values;
	return 0;
}

int service_env_build(struct service *svc, struct service_env *env, char *err, size_t errlen)
{
	struct env_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->svc = svc;
	st->options.backtick = system_backtick(svc->system);
	st->directive_options = st->options;
	env->impl = st;
	if (rebuild(st, NULL, err, errlen) < 0) {
		service_env_free(env);
		return -1;
	}
	return 0;
}

char *service_env_expand(struct service_env *env, const char *text)
{
	struct env_state *st = env->impl;
	char *error = NULL;
	char *out = expand_text(st->values, text ? text : "", &st->directive_options, &error);
	if (!out) {
		if (!st->error[0])
			snprintf(st->error, sizeof(st->error), "%s: expanding '%s': %s",
				 st->svc->conf->name, text, error ? error : "out of memory");
		free(error);
		out = strdup(text ? text : "");
	}
	return out;
}

const char *service_env_error(const struct service_env *env)
{
	const struct env_state *st = env->impl;
	return st && st->error[0] ? st->error : NULL;
}

void service_env_set_user(struct service_env *env, const char *user, const char *home, uid_t uid,
			  gid_t gid)
{
	struct env_state *st = env->impl;
	struct env_user who = {.name = user, .home = home, .uid = uid, .gid = gid};
	char err[256];
	if (rebuild(st, &who, err, sizeof(err)) < 0)
		tend_log(system_logger(st->svc->system), LOG_SEVERITY_ERR, "%s", err);
}

char **service_env_public(struct service_env *env, const char *const *extra)
{
	struct env_state *st = env->impl;
	char **pub = env_public(st->values);
	if (!pub || !extra || !extra[0])
		return pub;
	size_t n = 0, m = 0;
	while (pub[n])
		n++;
	while (extra[m])
		m++;
	/* An extra entry replaces an inherited one of the same name (a service's own
	 * NOTIFY_SOCKET over tend's): getenv() returns the first of duplicates. */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		size_t name_len = strcspn(pub[i], "=");
		bool replaced = false;
		for (size_t k = 0; k < m && !replaced; k++)
			replaced =
			    strncmp(extra[k], pub[i], name_len) == 0 && extra[k][name_len] == '=';
		if (replaced)
			free(pub[i]);
		else
			pub[kept++] = pub[i];
	}
	n = kept;
	char **out = realloc(pub, (n + m + 1) * sizeof(char *));
	if (!out) {
		for (size_t i = 0; i < n; i++)
			free(pub[i]);
		free(pub);
		return NULL;
	}
	for (size_t i = 0; i < m; i++)
		out[n + i] = strdup(extra[i]);
	out[n + m] = NULL;
	return out;
}

void service_env_free(struct service_env *env)
{
	struct env_state *st = env->impl;
	if (!st)
		return;
	env_free(st->level);
	free(st);
	env->impl = NULL;
}
