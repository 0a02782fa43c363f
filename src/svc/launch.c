/*
 * launch.c — resolving a service's launch: the command expanded and argv-split (never a
 * shell, except for pidzero's shell commands), the environment built level by level, the
 * user and group, the working directory.
 */
#include "svc/launch.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/argv.h"
#include "svc/environment.h"
#include "svc/service.h"
#include "system.h"

void launch_free(struct launch *launch)
{
	argv_free(launch->argv);
	argv_free(launch->envp);
	free(launch->directory);
	free(launch->user_name);
	free(launch->stdout_mode);
	free(launch->stderr_mode);
	memset(launch, 0, sizeof(*launch));
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int launch_resolve_user(const char *user, const char *group, uid_t *uid, gid_t *gid, char **name,
			char **home, char *err, size_t errlen)
{
	struct passwd *pw =
	    all_digits(user) ? getpwuid((uid_t)strtoul(user, NULL, 10)) : getpwnam(user);
	if (!pw && !all_digits(user)) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return -1;
	}
	*uid = pw ? pw->pw_uid : (uid_t)strtoul(user, NULL, 10);
	*gid = pw ? pw->pw_gid : (gid_t)*uid;
	if (name)
		*name = pw ? strdup(pw->pw_name) : NULL;
	if (home)
		*home = pw ? strdup(pw->pw_dir) : NULL;
	if (group && *group) {
		if (all_digits(group)) {
			*gid = (gid_t)strtoul(group, NULL, 10);
		} else {
			struct group *gr = getgrnam(group);
			if (!gr) {
				snprintf(err, errlen, "group '%s' does not exist", group);
				return -1;
			}
			*gid = gr->gr_gid;
		}
	}
	return 0;
}

char *launch_user_spec(struct service *svc, struct service_env *env, char **group)
{
	const struct service_conf *conf = svc->conf;
	const struct config *config = system_config(svc->system);
	char *user = NULL;
	*group = NULL;
	if (conf->uid)
		user = service_env_expand(env, conf->uid);
	else if (config->settings.uid)
		user = service_env_expand(env, config->settings.uid);
	else if (system_default_user(svc->system))
		user = strdup(system_default_user(svc->system));
	if (conf->gid)
		*group = service_env_expand(env, conf->gid);
	else if (!conf->uid && config->settings.gid)
		*group = service_env_expand(env, config->settings.gid);
	return user;
}

int launch_prepare(struct service *svc, const char *const *extra_env, struct launch *launch,
		   char *err, size_t errlen)
{
	memset(launch, 0, sizeof(*launch));
	const struct service_conf *conf = svc->conf;
	struct service_env env;
	svc->serial = system_next_serial(svc->system);
	if (service_env_build(svc, &env, err, errlen) < 0)
		return -1;

	char *group = NULL, *home = NULL;
	char *user = launch_user_spec(svc, &env, &group);
	int rc = -1;
	if (user && *user) {
		char why[256];
		if (launch_resolve_user(user, group, &launch->uid, &launch->gid, &launch->user_name,
					&home, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", conf->name, why);
			goto out;
		}
		launch->has_user = true;
		service_env_set_user(&env, launch->user_name, home, launch->uid, launch->gid);
	}

	char *command = NULL;
	if (conf->exec_args) {
		size_t n = 0;
		while (conf->exec_args[n])
			n++;
		launch->argv = calloc(n + 1, sizeof(char *));
		if (!launch->argv)
			goto nomem;
		for (size_t i = 0; i < n; i++)
			launch->argv[i] = service_env_expand(&env, conf->exec_args[i]);
	} else {
		command = service_env_expand(&env, conf->command);
		if (!command)
			goto nomem;
		if (conf->shell_command) {
			/* pidzero runs its command strings through /bin/sh -c: keep that. */
			launch->argv = calloc(4, sizeof(char *));
			if (!launch->argv)
				goto nomem;
			launch->argv[0] = strdup("/bin/sh");
			launch->argv[1] = strdup("-c");
			launch->argv[2] = command;
			command = NULL;
		} else {
			char split_err[128];
			size_t argc;
			launch->argv = argv_split(command, &argc, split_err, sizeof(split_err));
			if (!launch->argv || argc == 0) {
				snprintf(err, errlen, "%s: command '%s': %s", conf->name, command,
					 launch->argv ? "is empty" : split_err);
				free(command);
				goto out;
			}
		}
	}
	free(command);

	if (conf->directory)
		launch->directory = service_env_expand(&env, conf->directory);
	else if (launch->has_user && home && access(home, X_OK) == 0)
		launch->directory = strdup(home); /* a missing home (nobody's) leaves tend's cwd */
	launch->stdout_mode =
	    service_env_expand(&env, conf->stdout_mode ? conf->stdout_mode : "log");
	launch->stderr_mode =
	    service_env_expand(&env, conf->stderr_mode ? conf->stderr_mode : "log");
	launch->envp = service_env_public(&env, extra_env);
	if (!launch->envp)
		goto nomem;
	if (service_env_error(&env)) {
		/* chaperone fails the service on a failed expansion (a `:?` in command...). */
		snprintf(err, errlen, "%s", service_env_error(&env));
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "%s: out of memory", conf->name);
out:
	free(user);
	free(group);
	free(home);
	service_env_free(&env);
	if (rc < 0)
		launch_free(launch);
	return rc;
}
