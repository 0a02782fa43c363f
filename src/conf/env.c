/*
 * env.c — environment maps and how chaperone builds them level by level (cutil/env.py
 * Environment.__init__), plus the public envp a child receives.
 *
 * Maps are small (tens of variables), so lookups are linear; what matters is that the order
 * of insertion is kept (children see variables in a stable order) and that a replaced value
 * keeps its place, as a Python dict does.
 */
#include "conf/env.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/expand.h"

struct env *env_new(void)
{
	return calloc(1, sizeof(struct env));
}

static void env_drop_expanded(struct env *env)
{
	if (env->expanded) {
		env_free(env->expanded);
		env->expanded = NULL;
	}
}

void env_free(struct env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->count; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
	}
	free(env->vars);
	for (size_t i = 0; i < env->nshadow; i++)
		free(env->shadow[i].name);
	free(env->shadow);
	env_drop_expanded(env);
	free(env);
}

static struct env_var *env_find(const struct env *env, const char *name)
{
	for (size_t i = 0; i < env->count; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return &env->vars[i];
	return NULL;
}

const char *env_get(const struct env *env, const char *name)
{
	const struct env_var *var = env_find(env, name);
	return var ? var->value : NULL;
}

int env_set(struct env *env, const char *name, const char *value)
{
	char *value_copy = strdup(value);
	if (!value_copy)
		return -1;
	struct env_var *var = env_find(env, name);
	if (var) {
		free(var->value);
		var->value = value_copy;
		env_drop_expanded(env);
		return 0;
	}
	if (env->count == env->capacity) {
		size_t capacity = env->capacity ? env->capacity * 2 : 16;
		struct env_var *vars = realloc(env->vars, capacity * sizeof(*vars));
		if (!vars) {
			free(value_copy);
			return -1;
		}
		env->vars = vars;
		env->capacity = capacity;
	}
	char *name_copy = strdup(name);
	if (!name_copy) {
		free(value_copy);
		return -1;
	}
	env->vars[env->count].name = name_copy;
	env->vars[env->count].value = value_copy;
	env->count++;
	env_drop_expanded(env);
	return 0;
}

bool env_unset(struct env *env, const char *name)
{
	struct env_var *var = env_find(env, name);
	if (!var)
		return false;
	size_t index = (size_t)(var - env->vars);
	free(var->name);
	free(var->value);
	memmove(var, var + 1, (env->count - index - 1) * sizeof(*var));
	env->count--;
	env_drop_expanded(env);
	return true;
}

struct env *env_from_environ(char *const *environ)
{
	struct env *env = env_new();
	if (!env)
		return NULL;
	for (; environ && *environ; environ++) {
		const char *equals = strchr(*environ, '=');
		if (!equals || equals == *environ)
			continue;
		char *name = strndup(*environ, (size_t)(equals - *environ));
		if (!name || env_set(env, name, equals + 1) < 0) {
			free(name);
			env_free(env);
			return NULL;
		}
		free(name);
	}
	return env;
}

/* ---- self-reference sources ---- */

static struct env_shadow *env_shadow_find(struct env *env, const char *name)
{
	for (size_t i = 0; i < env->nshadow; i++)
		if (strcmp(env->shadow[i].name, name) == 0)
			return &env->shadow[i];
	return NULL;
}

static int env_shadow_set(struct env *env, const char *name, struct env *source)
{
	struct env_shadow *shadow = env_shadow_find(env, name);
	if (shadow) {
		shadow->source = source;
		return 0;
	}
	if (env->nshadow == env->shadow_capacity) {
		size_t capacity = env->shadow_capacity ? env->shadow_capacity * 2 : 8;
		struct env_shadow *grown = realloc(env->shadow, capacity * sizeof(*grown));
		if (!grown)
			return -1;
		env->shadow = grown;
		env->shadow_capacity = capacity;
	}
	char *name_copy = strdup(name);
	if (!name_copy)
		return -1;
	env->shadow[env->nshadow].name = name_copy;
	env->shadow[env->nshadow].source = source;
	env->nshadow++;
	return 0;
}

static void env_shadow_remove_at(struct env *env, size_t index)
{
	free(env->shadow[index].name);
	memmove(&env->shadow[index], &env->shadow[index + 1],
		(env->nshadow - index - 1) * sizeof(*env->shadow));
	env->nshadow--;
}

/* ---- building a level ---- */

static bool env_glob_any(const struct strlist *globs, const char *name)
{
	for (size_t i = 0; i < globs->count; i++)
		if (fnmatch(globs->items[i], name, FNM_NOESCAPE) == 0)
			return true;
	return false;
}

static int env_build_steps(struct env *env, struct env *parent, const struct env_level *level,
			   const struct env_user *user)
{
	/* 1. inherit (chaperone: `config.get('env_inherit') or ['*']`) */
	bool inherit_all = !level || !level->inherit_set || level->inherit.count == 0;
	for (size_t i = 0; parent && i < parent->count; i++) {
		const struct env_var *var = &parent->vars[i];
		if ((inherit_all || env_glob_any(&level->inherit, var->name)) &&
		    env_set(env, var->name, var->value) < 0)
			return -1;
	}
	/* 2. the user's passwd entry */
	if (user) {
		if (env_set(env, "HOME", user->home ? user->home : "") < 0 ||
		    env_set(env, "USER", user->name ? user->name : "") < 0 ||
		    env_set(env, "LOGNAME", user->name ? user->name : "") < 0)
			return -1;
	}
	if (!level)
		return 0;
	/* 3. env_set; a name the parent had keeps a way back to the parent's value */
	for (size_t i = 0; i < level->set.count; i++) {
		const struct env_pair *pair = &level->set.items[i];
		if (parent && env_get(parent, pair->name) &&
		    env_shadow_set(env, pair->name, parent) < 0)
			return -1;
		if (env_set(env, pair->name, pair->value ? pair->value : "") < 0)
			return -1;
	}
	/* 4. env_unset, in the variables and in the self-reference sources */
	if (level->unset.count == 0)
		return 0;
	for (size_t i = env->count; i-- > 0;)
		if (env_glob_any(&level->unset, env->vars[i].name))
			env_unset(env, env->vars[i].name);
	for (size_t i = env->nshadow; i-- > 0;)
		if (env_glob_any(&level->unset, env->shadow[i].name))
			env_shadow_remove_at(env, i);
	return 0;
}

struct env *env_build_level(struct env *parent, const struct env_level *level,
			    const struct env_user *user)
{
	struct env *env = env_new();
	if (!env)
		return NULL;
	if (parent) {
		for (size_t i = 0; i < parent->nshadow; i++) {
			if (env_shadow_set(env, parent->shadow[i].name, parent->shadow[i].source) <
			    0) {
				env_free(env);
				return NULL;
			}
		}
		env->has_user = parent->has_user;
		env->uid = parent->uid;
		env->gid = parent->gid;
	}
	if (user) {
		env->has_user = true;
		env->uid = user->uid;
		env->gid = user->gid;
	}
	if (env_build_steps(env, parent, level, user) < 0) {
		env_free(env);
		return NULL;
	}
	return env;
}

struct env *env_build_service(struct env *settings, const struct env_level *level,
			      const struct env_user *user, const char *service_name)
{
	struct env *env = env_build_level(settings, level, user);
	if (env && env_set(env, "_CHAP_SERVICE", service_name) < 0) {
		env_free(env);
		return NULL;
	}
	return env;
}

int env_set_launch(struct env *env, unsigned long serial, time_t now)
{
	char number[32];
	snprintf(number, sizeof(number), "%lu", serial);
	if (env_set(env, "_CHAP_SERVICE_SERIAL", number) < 0)
		return -1;
	snprintf(number, sizeof(number), "%" PRIdMAX, (intmax_t)now);
	return env_set(env, "_CHAP_SERVICE_TIME", number);
}

/* ---- expansion and the child's view ---- */

struct env *env_expanded(struct env *env, const struct expand_options *options, char **error)
{
	if (env->final)
		return env;
	const void *syntax = options ? (const void *)options->syntax : NULL;
	const void *backtick = options ? (const void *)options->backtick : NULL;
	if (env->expanded && env->expanded_syntax == syntax && env->expanded_backtick == backtick)
		return env->expanded;
	env_drop_expanded(env);
	struct env *expanded = expand_env(env, options, error);
	if (!expanded)
		return NULL;
	/* What a directive expanded against it needs: the user and the self-reference
	 * sources travel with the values. */
	for (size_t i = 0; i < env->nshadow; i++) {
		if (env_shadow_set(expanded, env->shadow[i].name, env->shadow[i].source) < 0) {
			env_free(expanded);
			*error = strdup("out of memory while expanding");
			return NULL;
		}
	}
	expanded->final = true;
	env->expanded = expanded;
	env->expanded_syntax = syntax;
	env->expanded_backtick = backtick;
	return expanded;
}

char **env_public(const struct env *env)
{
	char **strv = calloc(env->count + 1, sizeof(*strv));
	if (!strv)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < env->count; i++) {
		const struct env_var *var = &env->vars[i];
		if (var->name[0] == '_' || var->value[0] == '\0')
			continue;
		if (asprintf(&strv[n], "%s=%s", var->name, var->value) < 0) {
			strv[n] = NULL;
			env_strv_free(strv);
			return NULL;
		}
		n++;
	}
	return strv;
}

void env_strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **p = strv; *p; p++)
		free(*p);
	free(strv);
}
