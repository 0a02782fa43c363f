/*
 * environment.c — interim environment building: tend's environment, settings and service
 * env_set/env_unset applied without expansion. Replaced by conf/env.h's full language.
 */
#include "svc/environment.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc/service.h"
#include "system.h"

extern char **environ;

struct simple_env {
	char **vars; /* "NAME=value" */
	size_t count, cap;
};

static void env_put(struct simple_env *e, const char *name, const char *value)
{
	size_t nl = strlen(name);
	char *entry;
	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return;
	for (size_t i = 0; i < e->count; i++)
		if (strncmp(e->vars[i], name, nl) == 0 && e->vars[i][nl] == '=') {
			free(e->vars[i]);
			e->vars[i] = entry;
			return;
		}
	if (e->count + 1 >= e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		char **grown = realloc(e->vars, cap * sizeof(char *));
		if (!grown) {
			free(entry);
			return;
		}
		e->vars = grown;
		e->cap = cap;
	}
	e->vars[e->count++] = entry;
}

static void env_unset_glob(struct simple_env *e, const char *glob)
{
	size_t j = 0;
	for (size_t i = 0; i < e->count; i++) {
		char *eq = strchr(e->vars[i], '=');
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - e->vars[i]), e->vars[i]);
		if (fnmatch(glob, name, 0) == 0)
			free(e->vars[i]);
		else
			e->vars[j++] = e->vars[i];
	}
	e->count = j;
}

static void apply_level(struct simple_env *e, const struct env_level *level)
{
	for (size_t i = 0; i < level->set.count; i++)
		env_put(e, level->set.items[i].name, level->set.items[i].value);
	for (size_t i = 0; i < level->unset.count; i++)
		env_unset_glob(e, level->unset.items[i]);
}

int service_env_build(struct service *svc, struct service_env *env, char *err, size_t errlen)
{
	struct simple_env *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char **p = environ; *p; p++) {
		char *eq = strchr(*p, '=');
		if (!eq)
			continue;
		char *name = strndup(*p, (size_t)(eq - *p));
		if (name)
			env_put(e, name, eq + 1);
		free(name);
	}
	apply_level(e, &system_config(svc->system)->settings.env);
	apply_level(e, &svc->conf->env);
	char num[32];
	env_put(e, "_CHAP_SERVICE", svc->conf->name);
	snprintf(num, sizeof(num), "%u", svc->serial);
	env_put(e, "_CHAP_SERVICE_SERIAL", num);
	snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
	env_put(e, "_CHAP_SERVICE_TIME", num);
	env->impl = e;
	return 0;
}

char *service_env_expand(struct service_env *env, const char *text)
{
	(void)env;
	return strdup(text ? text : "");
}

void service_env_set_user(struct service_env *env, const char *user, const char *home)
{
	struct simple_env *e = env->impl;
	if (home)
		env_put(e, "HOME", home);
	if (user) {
		env_put(e, "USER", user);
		env_put(e, "LOGNAME", user);
	}
}

char **service_env_public(struct service_env *env, const char *const *extra)
{
	struct simple_env *e = env->impl;
	size_t nextra = 0;
	while (extra && extra[nextra])
		nextra++;
	char **out = calloc(e->count + nextra + 1, sizeof(char *));
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < e->count; i++) {
		const char *v = e->vars[i];
		const char *eq = strchr(v, '=');
		if (v[0] == '_' || eq[1] == '\0')
			continue; /* chaperone passes only public, non-empty variables */
		out[n++] = strdup(v);
	}
	for (size_t i = 0; i < nextra; i++)
		out[n++] = strdup(extra[i]);
	return out;
}

void service_env_free(struct service_env *env)
{
	struct simple_env *e = env->impl;
	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++)
		free(e->vars[i]);
	free(e->vars);
	free(e);
	env->impl = NULL;
}
