/*
 * config.c — the typed configuration's life cycle: defaults, lookup, freeing, the error list,
 * and the small resolvers that apply chaperone's "a service falls back to settings" rule.
 */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config.h"

/* A hostile file could produce millions of errors; nobody reads past the first screens. */
#define CONF_MAX_ERRORS 200

static char *config_xstrdup(const char *text)
{
	if (!text)
		return NULL;
	char *copy = strdup(text);
	if (!copy)
		abort();
	return copy;
}

void conf_errors_add(struct conf_errors *errors, const struct conf_origin *origin, const char *fmt,
		     ...)
{
	if (errors->count > CONF_MAX_ERRORS)
		return;
	char *message = NULL;
	va_list args;
	va_start(args, fmt);
	int length = vasprintf(&message, fmt, args);
	va_end(args);
	if (length < 0)
		abort();
	if (errors->count == CONF_MAX_ERRORS) {
		free(message);
		message = config_xstrdup("too many errors; the rest are not shown");
		origin = NULL;
	}
	struct conf_error *items = reallocarray(errors->items, errors->count + 1, sizeof *items);
	if (!items)
		abort();
	errors->items = items;
	struct conf_error *error = &items[errors->count++];
	error->origin.file = NULL;
	error->origin.line = 0;
	error->origin.column = 0;
	if (origin) {
		/* Errors own their file name, so they outlive the config that produced them. */
		error->origin = *origin;
		error->origin.file = config_xstrdup(origin->file);
	}
	error->message = message;
}

void conf_errors_print(const struct conf_errors *errors, FILE *out)
{
	for (size_t i = 0; i < errors->count; i++) {
		const struct conf_error *error = &errors->items[i];
		if (error->origin.file && error->origin.line > 0)
			fprintf(out, "%s:%d:%d: error: %s\n", error->origin.file,
				error->origin.line, error->origin.column, error->message);
		else if (error->origin.file)
			fprintf(out, "%s: error: %s\n", error->origin.file, error->message);
		else
			fprintf(out, "error: %s\n", error->message);
	}
}

void conf_errors_free(struct conf_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++) {
		free((char *)errors->items[i].origin.file);
		free(errors->items[i].message);
	}
	free(errors->items);
	errors->items = NULL;
	errors->count = 0;
}

void strlist_append(struct strlist *list, const char *text)
{
	char **items = reallocarray(list->items, list->count + 1, sizeof *items);
	if (!items)
		abort();
	list->items = items;
	list->items[list->count++] = config_xstrdup(text);
}

bool strlist_contains(const struct strlist *list, const char *text)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], text) == 0)
			return true;
	return false;
}

void strlist_free(struct strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

void env_map_set(struct env_map *map, const char *name, const char *value,
		 const struct conf_origin *origin)
{
	/* As Python's dict: a name set again keeps its place and takes the new value. */
	for (size_t i = 0; i < map->count; i++) {
		if (strcmp(map->items[i].name, name) == 0) {
			free(map->items[i].value);
			map->items[i].value = config_xstrdup(value);
			if (origin)
				map->items[i].origin = *origin;
			return;
		}
	}
	struct env_pair *items = reallocarray(map->items, map->count + 1, sizeof *items);
	if (!items)
		abort();
	map->items = items;
	struct env_pair *pair = &items[map->count++];
	pair->name = config_xstrdup(name);
	pair->value = config_xstrdup(value);
	pair->origin = origin ? *origin : (struct conf_origin){0};
}

void env_level_free(struct env_level *level)
{
	strlist_free(&level->inherit);
	strlist_free(&level->unset);
	for (size_t i = 0; i < level->set.count; i++) {
		free(level->set.items[i].name);
		free(level->set.items[i].value);
	}
	free(level->set.items);
	level->set.items = NULL;
	level->set.count = 0;
	level->inherit_set = false;
}

void service_conf_init_defaults(struct service_conf *service)
{
	memset(service, 0, sizeof *service);
	service->type = SERVICE_SIMPLE;
	service->enabled = config_xstrdup("true");
	service->ignore_failures = CONF_UNSET;
	strlist_append(&service->service_groups, "default");
	service->restart_limit = 5;
	service->restart_delay = 3;
	service->restart_backoff = 1;
	service->restart_delay_max = 60;
	service->restart_reset_after = 60;
	service->stdout_mode = config_xstrdup("log");
	service->stderr_mode = config_xstrdup("log");
	service->kill_signal = SIGTERM;
	service->setpgrp = true;
	service->process_timeout = -1;
	service->startup_pause = -1;
	service->idle_delay = -1;
	service->debug = CONF_UNSET;
}

void service_conf_free(struct service_conf *service)
{
	free(service->name);
	free(service->command);
	free(service->enabled);
	strlist_free(&service->after);
	strlist_free(&service->before);
	strlist_free(&service->service_groups);
	free(service->uid);
	free(service->gid);
	free(service->directory);
	free(service->stdout_mode);
	free(service->stderr_mode);
	free(service->pidfile);
	free(service->port);
	free(service->interval);
	free(service->notify_socket);
	if (service->exec_args) {
		for (size_t i = 0; service->exec_args[i]; i++)
			free(service->exec_args[i]);
		free(service->exec_args);
	}
	env_level_free(&service->env);
	memset(service, 0, sizeof *service);
}

void logging_conf_init_defaults(struct logging_conf *logging)
{
	memset(logging, 0, sizeof *logging);
	logging->selector = config_xstrdup("*.*");
	logging->enabled = config_xstrdup("true");
	logging->format = config_xstrdup("text");
	logging->rotate_keep = 5;
}

void logging_conf_free(struct logging_conf *logging)
{
	free(logging->name);
	free(logging->selector);
	free(logging->file);
	free(logging->syslog_host);
	free(logging->enabled);
	free(logging->uid);
	free(logging->gid);
	free(logging->logrec_hostname);
	free(logging->format);
	memset(logging, 0, sizeof *logging);
}

static void settings_init_defaults(struct settings_conf *settings)
{
	memset(settings, 0, sizeof *settings);
	settings->idle_delay = 1.0;
	settings->process_timeout = -1;
	settings->startup_pause = 0.5;
	settings->shutdown_timeout = 8;
	settings->detect_exit = true;
	settings->enable_syslog = true;
	settings->status_interval = 30;
	settings->syslog_socket = config_xstrdup("/dev/log");
	settings->control_socket = config_xstrdup("/dev/tend.sock");
	settings->control_fifo = config_xstrdup("/dev/tend");
}

static void settings_free(struct settings_conf *settings)
{
	env_level_free(&settings->env);
	free(settings->uid);
	free(settings->gid);
	free(settings->logrec_hostname);
	free(settings->syslog_socket);
	free(settings->syslog_stream_socket);
	free(settings->control_socket);
	free(settings->control_fifo);
	free(settings->control_group);
	free(settings->http_listen);
	free(settings->http_token_file);
	memset(settings, 0, sizeof *settings);
}

void config_init_defaults(struct config *config)
{
	memset(config, 0, sizeof *config);
	settings_init_defaults(&config->settings);
}

void config_free(struct config *config)
{
	settings_free(&config->settings);
	for (size_t i = 0; i < config->nservices; i++)
		service_conf_free(&config->services[i]);
	free(config->services);
	for (size_t i = 0; i < config->nloggings; i++)
		logging_conf_free(&config->loggings[i]);
	free(config->loggings);
	free(config->config_dir);
	strlist_free(&config->files);
	memset(config, 0, sizeof *config);
}

const struct service_conf *config_find_service(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->nservices; i++)
		if (strcmp(config->services[i].name, name) == 0)
			return &config->services[i];
	return NULL;
}

static const char *const service_type_names[SERVICE_TYPE_COUNT] = {
    [SERVICE_SIMPLE] = "simple", [SERVICE_FORKING] = "forking", [SERVICE_ONESHOT] = "oneshot",
    [SERVICE_NOTIFY] = "notify", [SERVICE_INETD] = "inetd",	[SERVICE_CRON] = "cron",
};

const char *service_type_name(enum service_type type)
{
	if ((unsigned)type >= SERVICE_TYPE_COUNT)
		return "unknown";
	return service_type_names[type];
}

int service_type_from_name(const char *name)
{
	for (int i = 0; i < SERVICE_TYPE_COUNT; i++)
		if (strcmp(service_type_names[i], name) == 0)
			return i;
	return -1;
}

bool service_ignore_failures(const struct service_conf *service,
			     const struct settings_conf *settings)
{
	if (service->ignore_failures != CONF_UNSET)
		return service->ignore_failures;
	return settings->ignore_failures;
}

bool service_debug(const struct service_conf *service, const struct settings_conf *settings)
{
	if (service->debug != CONF_UNSET)
		return service->debug;
	return settings->debug;
}

double service_process_timeout(const struct service_conf *service,
			       const struct settings_conf *settings)
{
	if (service->process_timeout >= 0)
		return service->process_timeout;
	if (settings->process_timeout >= 0)
		return settings->process_timeout;
	switch (service->type) {
	case SERVICE_ONESHOT:
		return 60;
	case SERVICE_NOTIFY:
		return 300;
	default:
		return 30;
	}
}

double service_startup_pause(const struct service_conf *service,
			     const struct settings_conf *settings)
{
	if (service->startup_pause >= 0)
		return service->startup_pause;
	if (settings->startup_pause >= 0)
		return settings->startup_pause;
	return 0.5;
}

double service_idle_delay(const struct service_conf *service, const struct settings_conf *settings)
{
	if (service->idle_delay >= 0)
		return service->idle_delay;
	if (settings->idle_delay >= 0)
		return settings->idle_delay;
	return 1.0;
}

int conf_bool_from_string(const char *text, bool *value)
{
	/* chaperone's _RE_YAML_BOOL: surrounding blanks ignored, case-insensitive, "" is false. */
	static const char *const yes[] = {"y", "yes", "true", "on", NULL};
	static const char *const no[] = {"n", "no", "false", "off", "", NULL};
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r' || *text == '\f' ||
	       *text == '\v')
		text++;
	size_t length = strlen(text);
	while (length > 0 && strchr(" \t\n\r\f\v", text[length - 1]))
		length--;
	for (size_t i = 0; yes[i]; i++) {
		if (strlen(yes[i]) == length && strncasecmp(text, yes[i], length) == 0) {
			*value = true;
			return 0;
		}
	}
	for (size_t i = 0; no[i]; i++) {
		if (strlen(no[i]) == length && strncasecmp(text, no[i], length) == 0) {
			*value = false;
			return 0;
		}
	}
	return -1;
}

int conf_int_from_string(const char *text, long *value)
{
	/* Python's int(): blanks around, an optional sign, decimal digits (underscores between). */
	const char *p = text;
	while (*p && strchr(" \t\n\r\f\v", *p))
		p++;
	bool negative = false;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	long result = 0;
	bool any = false;
	for (; *p >= '0' && *p <= '9'; p++) {
		int digit = *p - '0';
		if (result > (LONG_MAX - digit) / 10)
			return -1;
		result = result * 10 + digit;
		any = true;
		if (p[1] == '_' && p[2] >= '0' && p[2] <= '9')
			p++;
	}
	while (*p && strchr(" \t\n\r\f\v", *p))
		p++;
	if (!any || *p)
		return -1;
	*value = negative ? -result : result;
	return 0;
}
