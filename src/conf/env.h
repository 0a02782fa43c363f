/*
 * env.h — environments as chaperone builds them: ordered maps of unexpanded variables,
 * built level by level (tend's own environ -> settings -> service), expanded late (at
 * launch) with the $(...) language of conf/expand.h, and filtered into the envp a child gets.
 *
 * How the engine uses it when it launches a service:
 *
 *	struct backtick *bt = backtick_new(backtick_shell_run, &shell); // once per run: the cache
 *	struct expand_options options = {NULL, bt};
 *	struct env *base = env_from_environ(environ);                 // once, at start-up
 *	struct env *settings = env_build_level(base, &config->settings.env, settings_user);
 *	...
 *	struct env *svc = env_build_service(settings, &service->env, service_user, service->name);
 *	env_set_launch(svc, ++serial, time(NULL));                    // at every launch
 *	char *error = NULL;
 *	struct env *values = env_expanded(svc, &options, &error);      // owned by svc
 *	char *command = expand_text(values, service->command, &options, &error); // no bare `...`
 *	char **envp = env_public(values);                               // free with env_strv_free
 *	...
 *	env_free(svc);
 *
 * A level keeps pointers to the levels above it (for self-references such as
 * `PATH: /x:$(PATH)`), so a parent must outlive every level built from it.
 * Nothing here touches the process environment, files or sockets; only backticks run
 * commands, through the runner the caller gives (conf/backtick.h).
 */
#ifndef TEND_CONF_ENV_H
#define TEND_CONF_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "conf/config.h"

struct expand_options;

/* name and value are owned by the env and may be shared with other envs (see env.c):
 * read them, never change or free them. */
struct env_var {
	char *name;
	char *value; /* unexpanded, except in an env returned by env_expanded() */
};

/* Where a self-reference of `name` finds its value: the level that held it before this
 * level's env_set replaced it (chaperone's "shadow" environment). */
struct env_shadow {
	char *name;
	struct env *source; /* not owned: an ancestor level */
};

/* One slot of an env's name index (open addressing, linear probing): the hash of a name
 * and where the variable is in vars, plus one (0: an empty slot). */
struct env_slot {
	uint32_t hash;
	uint32_t position;
};

struct env {
	struct env_var *vars; /* insertion order; a replaced value keeps its place */
	size_t count;
	size_t capacity;
	struct env_slot *index; /* finds a name in vars; at most half full */
	size_t index_size;	/* a power of two; 0 while there is no variable */
	uint32_t *by_name;	/* positions in vars sorted by name (strcmp), kept up to date
				   once env_by_name() made it; NULL until then */
	struct env_shadow *shadow;
	size_t nshadow;
	size_t shadow_capacity;
	bool has_user; /* backticks run as uid/gid (inherited from the parent level) */
	uid_t uid;
	gid_t gid;
	struct env *expanded;	     /* cache of env_expanded(), dropped when a variable changes */
	const void *expanded_syntax; /* ...and the options it was made with: other */
	const void *expanded_backtick; /* options (envcp's syntax, no backticks) expand again */
	bool final; /* this is an expanded env: env_expanded() returns it as is */
};

/* The passwd entry of the user a level runs as: it adds HOME, USER and LOGNAME, and its
 * uid/gid are what backticks of this level (and of levels below without a user) run as. */
struct env_user {
	const char *name;
	const char *home;
	uid_t uid;
	gid_t gid;
};

struct env *env_new(void);
/* A level-0 environment from a NULL-terminated "NAME=value" array (tend's own environ).
 * Entries without '=' are skipped; a later duplicate replaces an earlier one. */
struct env *env_from_environ(char *const *environ);
void env_free(struct env *env);

/* Raw (unexpanded) access. env_set copies both strings; it returns -1 only when out of
 * memory. env_unset returns whether the variable existed. */
const char *env_get(const struct env *env, const char *name);
int env_set(struct env *env, const char *name, const char *value);
bool env_unset(struct env *env, const char *name);

/* One level, built exactly as chaperone's Environment(parent, config, user):
 *  1. inherit the parent's variables whose names match an env_inherit glob (an absent or
 *     empty list means '*'); level == NULL inherits everything and sets nothing;
 *  2. add HOME, USER and LOGNAME from user when user != NULL (otherwise the level runs as
 *     the parent's user, for backticks);
 *  3. apply env_set (values stay unexpanded; a name that existed in the parent remembers
 *     the parent, so that a self-reference `$(NAME)` in its value reads the parent's value);
 *  4. remove the variables whose names match an env_unset glob.
 * Globs are fnmatch(3) patterns, case-sensitive, backslash literal (as Python's fnmatch).
 * Returns NULL when out of memory. parent must outlive the result. */
struct env *env_build_level(struct env *parent, const struct env_level *level,
			    const struct env_user *user);

/* A service level: env_build_level plus _CHAP_SERVICE = service_name. */
struct env *env_build_service(struct env *settings, const struct env_level *level,
			      const struct env_user *user, const char *service_name);
/* Sets _CHAP_SERVICE_SERIAL and _CHAP_SERVICE_TIME (decimal); call at every launch. */
int env_set_launch(struct env *env, unsigned long serial, time_t now);

/* Every variable expanded, chaperone's Environment.expanded(): names are expanded in sorted
 * order (this decides where a cycle stops), values may use bare backticks. The result is
 * cached in env for the same options (do not free it; it is dropped when env changes, is
 * expanded with other options, or is freed) and keeps the order of env. NULL with *error set
 * (malloc'd) when an expansion fails (`:?`, a bad
 * `:/regex/`, too deep or too large) or when out of memory. */
struct env *env_expanded(struct env *env, const struct expand_options *options, char **error);

/* The envp a child receives (chaperone's get_public_environment): "NAME=value" for every
 * variable except names starting with '_' and empty values, in the order of env. Give it
 * the result of env_expanded(). NULL-terminated, malloc'd; free with env_strv_free. */
char **env_public(const struct env *env);
void env_strv_free(char **strv);

/* ---- for conf/expand.c ---- */

#define ENV_NONE ((size_t)-1)
/* Where the variable named by the first len bytes of name is in env->vars, or ENV_NONE. */
size_t env_position(const struct env *env, const char *name, size_t len);
/* A new env with env's names in env's order, values[i] being the value of the i-th. Strings
 * are shared, not copied: the names, and each value that is env's own (same pointer). Only
 * the variables: no shadows, no user. NULL when out of memory. */
struct env *env_with_values(const struct env *env, const char *const *values);
/* The positions of env's variables sorted by name (strcmp), env->count of them; kept in env
 * (a level built from env derives its own from it). NULL when out of memory. */
const uint32_t *env_by_name(struct env *env);

#endif
