/*
 * env.c — environment maps and how chaperone builds them level by level (cutil/env.py
 * Environment.__init__), plus the public envp a child receives.
 *
 * A map keeps the order of insertion (children see variables in a stable order) and a
 * replaced value keeps its place, as a Python dict does. Every launch builds a service level
 * from the settings level and expands it, so three things keep that cheap however many
 * variables tend inherited:
 *  - names are indexed: a small open-addressing hash table (linear probing, at most half
 *    full) maps a name to its place in vars;
 *  - the expansion takes the names in sorted order: a level keeps that order once asked
 *    for it, and a level built from it starts from its parent's instead of sorting again;
 *  - strings are shared, not copied: a level built from another, and the expansion of a
 *    level, point to the same name and value strings. Each string carries a count of the
 *    maps that hold it (and, for a name, its hash), so it is freed with the last of them.
 *    The strings never change once made (a new value is a new string).
 */
#include "conf/env.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/expand.h"

#define ENV_INDEX_MIN 16 /* slots of the smallest index */

/* ---- shared strings ---- */

struct env_string {
	size_t holders; /* maps that point to text */
	uint32_t hash;	/* env_hash of text, when it is a name */
	char text[];
};

static struct env_string *env_string_of(const char *text)
{
	return (struct env_string *)(void *)((char *)(uintptr_t)text -
					     offsetof(struct env_string, text));
}

/* FNV-1a over the first len bytes of name. */
static uint32_t env_hash(const char *name, size_t len)
{
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)name[i]) * 16777619u;
	return hash;
}

/* A new string of the first len bytes of text, held once. */
static char *env_string_new(const char *text, size_t len, uint32_t hash)
{
	struct env_string *string = malloc(sizeof(*string) + len + 1);
	if (!string)
		return NULL;
	string->holders = 1;
	string->hash = hash;
	memcpy(string->text, text, len);
	string->text[len] = '\0';
	return string->text;
}

static char *env_string_hold(char *text)
{
	env_string_of(text)->holders++;
	return text;
}

static void env_string_release(char *text)
{
	if (text && --env_string_of(text)->holders == 0)
		free(env_string_of(text));
}

static uint32_t env_name_hash(const char *name)
{
	return env_string_of(name)->hash;
}

/* ---- maps ---- */

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
		env_string_release(env->vars[i].name);
		env_string_release(env->vars[i].value);
	}
	free(env->vars);
	free(env->index);
	free(env->by_name);
	for (size_t i = 0; i < env->nshadow; i++)
		free(env->shadow[i].name);
	free(env->shadow);
	env_drop_expanded(env);
	free(env);
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

static void env_index_put(struct env *env, size_t position)
{
	uint32_t hash = env_name_hash(env->vars[position].name);
	size_t mask = env->index_size - 1;
	size_t i = hash & mask;
	while (env->index[i].position != 0)
		i = (i + 1) & mask;
	env->index[i].hash = hash;
	env->index[i].position = (uint32_t)(position + 1);
}

/* Room in vars (and by_name) and in the index for count variables in all. */
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
		if (env->by_name) { /* a cache: without room, dropped (made again if asked) */
			uint32_t *by_name = realloc(env->by_name, capacity * sizeof(*env->by_name));
			if (!by_name)
				free(env->by_name);
			env->by_name = by_name;
		}
	}
	if (count * 2 > env->index_size) {
		size_t size = env->index_size ? env->index_size : ENV_INDEX_MIN;
		while (count * 2 > size)
			size *= 2;
		struct env_slot *index = calloc(size, sizeof(*index));
		if (!index)
			return -1;
		free(env->index);
		env->index = index;
		env->index_size = size;
		for (size_t i = 0; i < env->count; i++)
			env_index_put(env, i);
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
		/* The entry at i may fill the hole unless its home is in (hole, i], cyclically. */
		bool home_after_hole =
		    hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (home_after_hole)
			continue;
		env->index[hole] = env->index[i];
		hole = i;
	}
	env->index[hole].position = 0;
}

/* ---- the order by name ---- */

static int env_by_name_compare(const void *a, const void *b, void *arg)
{
	const struct env *env = arg;
	return strcmp(env->vars[*(const uint32_t *)a].name, env->vars[*(const uint32_t *)b].name);
}

const uint32_t *env_by_name(struct env *env)
{
	if (env->by_name)
		return env->by_name;
	env->by_name = malloc((env->capacity ? env->capacity : 1) * sizeof(*env->by_name));
	if (!env->by_name)
		return NULL;
	for (size_t i = 0; i < env->count; i++)
		env->by_name[i] = (uint32_t)i;
	qsort_r(env->by_name, env->count, sizeof(*env->by_name), env_by_name_compare, env);
	return env->by_name;
}

/* The last variable of vars is new: its place in the order (binary search). */
static void env_by_name_add(struct env *env)
{
	size_t added = env->count - 1;
	const char *name = env->vars[added].name;
	size_t low = 0, high = added;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (strcmp(env->vars[env->by_name[middle]].name, name) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	memmove(&env->by_name[low + 1], &env->by_name[low], (added - low) * sizeof(*env->by_name));
	env->by_name[low] = (uint32_t)added;
}

/* The variable that was at position is gone, and those after it moved down one place. */
static void env_by_name_remove(struct env *env, size_t position)
{
	size_t kept = 0;
	for (size_t i = 0; i <= env->count; i++) {
		uint32_t at = env->by_name[i];
		if (at != position)
			env->by_name[kept++] = at > position ? at - 1 : at;
	}
}

/* ---- lookups and changes ---- */

size_t env_position(const struct env *env, const char *name, size_t len)
{
	if (env->count == 0)
		return ENV_NONE;
	const struct env_slot *slot = env_slot_of(env, name, len, env_hash(name, len));
	return slot->position ? slot->position - 1 : ENV_NONE;
}

const char *env_get(const struct env *env, const char *name)
{
	size_t position = env_position(env, name, strlen(name));
	return position == ENV_NONE ? NULL : env->vars[position].value;
}

/* Adds name (an env string env does not have) with value (an env string); takes one hold
 * of each. */
static int env_append(struct env *env, char *name, char *value)
{
	if (env_reserve(env, env->count + 1) < 0) {
		env_string_release(name);
		env_string_release(value);
		return -1;
	}
	env->vars[env->count].name = name;
	env->vars[env->count].value = value;
	env_index_put(env, env->count);
	env->count++;
	if (env->by_name)
		env_by_name_add(env);
	env_drop_expanded(env);
	return 0;
}

/* Sets name (an env string) to value (an env string); takes one hold of each. */
static int env_put(struct env *env, char *name, char *value)
{
	if (env->count) {
		struct env_slot *slot = env_slot_of(env, name, strlen(name), env_name_hash(name));
		if (slot->position) {
			struct env_var *var = &env->vars[slot->position - 1];
			env_string_release(var->value);
			var->value = value;
			env_string_release(name);
			env_drop_expanded(env);
			return 0;
		}
	}
	return env_append(env, name, value);
}

int env_set(struct env *env, const char *name, const char *value)
{
	size_t len = strlen(name);
	char *name_string = env_string_new(name, len, env_hash(name, len));
	char *value_string = env_string_new(value, strlen(value), 0);
	if (!name_string || !value_string) {
		env_string_release(name_string);
		env_string_release(value_string);
		return -1;
	}
	return env_put(env, name_string, value_string);
}

/* The value string for the variable var of another env: shared when it is var's own. */
static char *env_string_for(const struct env_var *var, const char *value)
{
	return value == var->value ? env_string_hold(var->value)
				   : env_string_new(value, strlen(value), 0);
}

struct env *env_with_values(const struct env *env, const char *const *values)
{
	struct env *copy = env_new();
	if (!copy)
		return NULL;
	/* Same names at the same places: the index is the same too. */
	copy->capacity = env->count ? env->count : 1;
	copy->vars = malloc(copy->capacity * sizeof(*copy->vars));
	if (env->index_size)
		copy->index = malloc(env->index_size * sizeof(*copy->index));
	if (!copy->vars || (env->index_size && !copy->index)) {
		env_free(copy);
		return NULL;
	}
	copy->index_size = env->index_size;
	if (env->index_size)
		memcpy(copy->index, env->index, env->index_size * sizeof(*copy->index));
	for (size_t i = 0; i < env->count; i++) {
		char *value = env_string_for(&env->vars[i], values[i]);
		if (!value) {
			env_free(copy);
			return NULL;
		}
		copy->vars[i].name = env_string_hold(env->vars[i].name);
		copy->vars[i].value = value;
		copy->count = i + 1;
	}
	return copy;
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
	env_string_release(var->name);
	env_string_release(var->value);
	memmove(var, var + 1, (env->count - position - 1) * sizeof(*var));
	env->count--;
	env_index_remove(env, slot);
	for (size_t i = 0; i < env->index_size; i++)
		if (env->index[i].position > position + 1)
			env->index[i].position--;
	if (env->by_name)
		env_by_name_remove(env, position);
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

/* Step 1 into an env without variables: the parent's variables that level inherits
 * (chaperone: `config.get('env_inherit') or ['*']`), in the parent's order. Their order by
 * name is the parent's, less what is not inherited: no need to sort them again. */
static int env_inherit(struct env *env, struct env *parent, const struct env_level *level)
{
	bool inherit_all = !level || !level->inherit_set || level->inherit.count == 0;
	const uint32_t *parent_by_name = env_by_name(parent); /* NULL: sorted when needed */
	uint32_t *inherited_at = NULL; /* parent position -> env position + 1, 0: not inherited */
	if (parent_by_name && !inherit_all &&
	    !(inherited_at = calloc(parent->count ? parent->count : 1, sizeof(*inherited_at))))
		return -1;
	for (size_t i = 0; i < parent->count; i++) {
		const struct env_var *var = &parent->vars[i];
		if (!inherit_all && !env_glob_any(&level->inherit, var->name))
			continue;
		/* env had no variables and the parent's names differ: nothing to replace */
		if (env_append(env, env_string_hold(var->name), env_string_hold(var->value)) < 0) {
			free(inherited_at);
			return -1;
		}
		if (inherited_at)
			inherited_at[i] = (uint32_t)env->count;
	}
	if (parent_by_name) {
		env->by_name = malloc(env->capacity * sizeof(*env->by_name));
		if (env->by_name && inherit_all) {
			memcpy(env->by_name, parent_by_name, env->count * sizeof(*env->by_name));
		} else if (env->by_name) {
			size_t n = 0;
			for (size_t i = 0; i < parent->count; i++)
				if (inherited_at[parent_by_name[i]])
					env->by_name[n++] = inherited_at[parent_by_name[i]] - 1;
		}
	}
	free(inherited_at);
	return 0;
}

static int env_build_steps(struct env *env, struct env *parent, const struct env_level *level,
			   const struct env_user *user)
{
	if (env_reserve(env, (parent ? parent->count : 0) + (level ? level->set.count : 0) + 3) < 0)
		return -1;
	/* 1. inherit */
	if (parent && env_inherit(env, parent, level) < 0)
		return -1;
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
