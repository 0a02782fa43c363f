/*
 * env.c — environment maps and how chaperone builds them level by level (cutil/env.py
 * Environment.__init__), plus the public envp a child receives.
 *
 * A map keeps the order of insertion (children see variables in a stable order) and a
 * replaced value keeps its place, as a Python dict does. Every launch builds a service level
 * from the settings level and expands it, looking each name up many times, so names are
 * also indexed: a small open-addressing hash table (linear probing, at most half full) maps
 * a name to its place in vars.
 */
#include "conf/env.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/expand.h"

#define ENV_INDEX_MIN 16 /* slots of the smallest index */

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
	free(env->index);
	for (size_t i = 0; i < env->nshadow; i++)
		free(env->shadow[i].name);
	free(env->shadow);
	env_drop_expanded(env);
	free(env);
}

/* ---- the name index ---- */

/* FNV-1a over the first len bytes of name. */
static uint32_t env_hash(const char *name, size_t len)
{
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)name[i]) * 16777619u;
	return hash;
}

/* The slot holding name, or the empty slot where it would go. */
static struct env_slot *env_slot_of(const struct env *env, const char *name, size_t len,
				    uint32_t hash)
{
	size_t mask = env->index_size - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct env_slot *slot = &env->index[i];
		if (slot->position == 0)
			return slot;
		const char *other = env->vars[slot->position - 1].name;
		if (slot->hash == hash && strncmp(other, name, len) == 0 && other[len] == '\0')
			return slot;
	}
}

static void env_index_put(struct env *env, size_t position, uint32_t hash)
{
	size_t mask = env->index_size - 1;
	size_t i = hash & mask;
	while (env->index[i].position != 0)
		i = (i + 1) & mask;
	env->index[i].hash = hash;
	env->index[i].position = (uint32_t)(position + 1);
}

/* A fresh index of size slots for the variables there are. */
static int env_index_rebuild(struct env *env, size_t size)
{
	struct env_slot *index = calloc(size, sizeof(*index));
	if (!index)
		return -1;
	free(env->index);
	env->index = index;
	env->index_size = size;
	for (size_t i = 0; i < env->count; i++)
		env_index_put(env, i, env_hash(env->vars[i].name, strlen(env->vars[i].name)));
	return 0;
}

/* Room in vars and in the index for count variables in all. */
static int env_reserve(struct env *env, size_t count)
{
	if (count >= UINT32_MAX / 2)
		return -1;
	if (count > env->capacity) {
		size_t capacity = env->capacity ? env->capacity : 16;
		while (capacity < count)
			capacity *= 2;
		struct env_var *vars = realloc(env->vars, capacity * sizeof(*vars));
		if (!vars)
			return -1;
		env->vars = vars;
		env->capacity = capacity;
	}
	if (count * 2 > env->index_size) {
		size_t size = env->index_size ? env->index_size : ENV_INDEX_MIN;
		while (count * 2 > size)
			size *= 2;
		if (env_index_rebuild(env, size) < 0)
			return -1;
	}
	return 0;
}

/* Empties a slot, moving later slots of the same probe run back so none gets lost. */
static void env_index_remove(struct env *env, struct env_slot *slot)
{
	size_t mask = env->index_size - 1;
	size_t hole = (size_t)(slot - env->index);
	for (size_t i = (hole + 1) & mask; env->index[i].position != 0; i = (i + 1) & mask) {
		size_t home = env->index[i].hash & mask;
		/* Can the entry at i move back to the hole? Only if its home is not in
		 * (hole, i], cyclically. */
		bool home_after_hole =
		    hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (home_after_hole)
			continue;
		env->index[hole] = env->index[i];
		hole = i;
	}
	env->index[hole].position = 0;
}

static struct env_var *env_find_len(const struct env *env, const char *name, size_t len)
{
	if (env->count == 0)
		return NULL;
	const struct env_slot *slot = env_slot_of(env, name, len, env_hash(name, len));
	return slot->position ? &env->vars[slot->position - 1] : NULL;
}

const char *env_get_len(const struct env *env, const char *name, size_t len)
{
	const struct env_var *var = env_find_len(env, name, len);
	return var ? var->value : NULL;
}

const char *env_get(const struct env *env, const char *name)
{
	return env_get_len(env, name, strlen(name));
}

int env_set(struct env *env, const char *name, const char *value)
{
	char *value_copy = strdup(value);
	if (!value_copy)
		return -1;
	size_t len = strlen(name);
	struct env_var *var = env_find_len(env, name, len);
	if (var) {
		free(var->value);
		var->value = value_copy;
		env_drop_expanded(env);
		return 0;
	}
	char *name_copy = malloc(len + 1);
	if (!name_copy || env_reserve(env, env->count + 1) < 0) {
		free(name_copy);
		free(value_copy);
		return -1;
	}
	memcpy(name_copy, name, len + 1);
	env->vars[env->count].name = name_copy;
	env->vars[env->count].value = value_copy;
	env_index_put(env, env->count, env_hash(name, len));
	env->count++;
	env_drop_expanded(env);
	return 0;
}

bool env_unset(struct env *env, const char *name)
{
	if (env->count == 0)
		return false;
	size_t len = strlen(name);
	struct env_slot *slot = env_slot_of(env, name, len, env_hash(name, len));
	if (slot->position == 0)
		return false;
	size_t position = slot->position - 1;
	struct env_var *var = &env->vars[position];
	free(var->name);
	free(var->value);
	memmove(var, var + 1, (env->count - position - 1) * sizeof(*var));
	env->count--;
	env_index_remove(env, slot);
	for (size_t i = 0; i < env->index_size; i++)
		if (env->index[i].position > position + 1)
			env->index[i].position--;
	env_drop_expanded(env);
	return true;
}

int env_reorder(struct env *env, const struct env *order)
{
	struct env_var *vars = malloc((env->capacity ? env->capacity : 1) * sizeof(*vars));
	bool *moved = calloc(env->count ? env->count : 1, sizeof(*moved));
	if (!vars || !moved) {
		free(vars);
		free(moved);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < order->count; i++) {
		const struct env_var *var =
		    env_find_len(env, order->vars[i].name, strlen(order->vars[i].name));
		if (!var)
			continue;
		vars[n++] = *var;
		moved[var - env->vars] = true;
	}
	for (size_t i = 0; i < env->count; i++)
		if (!moved[i])
			vars[n++] = env->vars[i];
	free(moved);
	free(env->vars);
	env->vars = vars;
	/* Same names, same hashes: only the positions change. */
	if (env->count)
		memset(env->index, 0, env->index_size * sizeof(*env->index));
	for (size_t i = 0; i < env->count; i++)
		env_index_put(env, i, env_hash(env->vars[i].name, strlen(env->vars[i].name)));
	return 0;
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
	if (env_reserve(env, (parent ? parent->count : 0) + (level ? level->set.count : 0) + 3) < 0)
		return -1;
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
		size_t name_len = strlen(var->name), value_len = strlen(var->value);
		char *entry = malloc(name_len + value_len + 2);
		if (!entry) {
			env_strv_free(strv);
			return NULL;
		}
		memcpy(entry, var->name, name_len);
		entry[name_len] = '=';
		memcpy(entry + name_len + 1, var->value, value_len + 1);
		strv[n++] = entry;
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
