/*
 * config_json.c — config_to_json(): the merged, typed configuration with every default filled
 * in, as `tend --check-config` prints it. Keys come in a fixed order (files, settings,
 * services, logging; inside a section the order of docs/config.md), so the output can be
 * diffed. Values that a service takes from settings are shown resolved.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

/* A JSON string even for bytes that are not UTF-8 (a path can be anything): those become '?'. */
static json_t *json_text(const char *text)
{
	json_t *value = json_string(text);
	if (value)
		return value;
	char *copy = strdup(text);
	if (!copy)
		abort();
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	value = json_string(copy);
	free(copy);
	return value;
}

static json_t *json_string_or_null(const char *text)
{
	return text ? json_text(text) : json_null();
}

static json_t *json_from_strlist(const struct strlist *list)
{
	json_t *array = json_array();
	for (size_t i = 0; i < list->count; i++)
		json_array_append_new(array, json_text(list->items[i]));
	return array;
}

static json_t *json_origin(const struct conf_origin *origin)
{
	if (!origin->file)
		return json_null();
	char *text = NULL;
	if (asprintf(&text, "%s:%d:%d", origin->file, origin->line, origin->column) < 0)
		abort();
	json_t *value = json_text(text);
	free(text);
	return value;
}

static void json_add_env(json_t *object, const struct env_level *env)
{
	if (env->inherit_set) {
		json_object_set_new(object, "env_inherit", json_from_strlist(&env->inherit));
	} else {
		json_t *all = json_array();
		json_array_append_new(all, json_string("*"));
		json_object_set_new(object, "env_inherit", all);
	}
	json_t *set = json_object();
	for (size_t i = 0; i < env->set.count; i++)
		json_object_set_new(set, env->set.items[i].name,
				    json_text(env->set.items[i].value));
	json_object_set_new(object, "env_set", set);
	json_object_set_new(object, "env_unset", json_from_strlist(&env->unset));
}

static json_t *json_settings(const struct settings_conf *settings)
{
	json_t *object = json_object();
	json_add_env(object, &settings->env);
	json_object_set_new(object, "uid", json_string_or_null(settings->uid));
	json_object_set_new(object, "gid", json_string_or_null(settings->gid));
	json_object_set_new(object, "idle_delay", json_real(settings->idle_delay));
	json_object_set_new(object, "ignore_failures", json_boolean(settings->ignore_failures));
	json_object_set_new(object, "process_timeout",
			    settings->process_timeout >= 0 ? json_real(settings->process_timeout)
							   : json_null());
	json_object_set_new(object, "startup_pause", json_real(settings->startup_pause));
	json_object_set_new(object, "debug", json_boolean(settings->debug));
	json_object_set_new(object, "shutdown_timeout", json_real(settings->shutdown_timeout));
	json_object_set_new(object, "detect_exit", json_boolean(settings->detect_exit));
	json_object_set_new(object, "enable_syslog", json_boolean(settings->enable_syslog));
	json_object_set_new(object, "status_interval", json_real(settings->status_interval));
	json_object_set_new(object, "logrec_hostname",
			    json_string_or_null(settings->logrec_hostname));
	json_object_set_new(object, "syslog_socket", json_string_or_null(settings->syslog_socket));
	json_object_set_new(object, "syslog_stream_socket",
			    json_string_or_null(settings->syslog_stream_socket));
	json_object_set_new(object, "control_socket",
			    json_string_or_null(settings->control_socket));
	json_object_set_new(object, "control_fifo", json_string_or_null(settings->control_fifo));
	json_object_set_new(object, "control_group", json_string_or_null(settings->control_group));
	json_object_set_new(object, "control_readonly_world",
			    json_boolean(settings->control_readonly_world));
	json_t *http = json_object();
	json_object_set_new(http, "listen", json_string_or_null(settings->http_listen));
	json_object_set_new(http, "token_file", json_string_or_null(settings->http_token_file));
	json_object_set_new(object, "http", http);
	json_object_set_new(object, "defined_at", json_origin(&settings->origin));
	return object;
}

static json_t *json_service(const struct service_conf *service,
			    const struct settings_conf *settings)
{
	json_t *object = json_object();
	json_object_set_new(object, "type", json_string(service_type_name(service->type)));
	json_object_set_new(object, "command", json_string_or_null(service->command));
	json_object_set_new(object, "enabled", json_string_or_null(service->enabled));
	json_object_set_new(object, "optional", json_boolean(service->optional));
	json_object_set_new(object, "ignore_failures",
			    json_boolean(service_ignore_failures(service, settings)));
	json_object_set_new(object, "after", json_from_strlist(&service->after));
	json_object_set_new(object, "before", json_from_strlist(&service->before));
	json_object_set_new(object, "service_groups", json_from_strlist(&service->service_groups));
	json_object_set_new(object, "restart", json_boolean(service->restart));
	json_object_set_new(object, "restart_limit", json_integer(service->restart_limit));
	json_object_set_new(object, "restart_delay", json_real(service->restart_delay));
	json_object_set_new(object, "restart_backoff", json_real(service->restart_backoff));
	json_object_set_new(object, "restart_delay_max", json_real(service->restart_delay_max));
	json_object_set_new(object, "restart_reset_after", json_real(service->restart_reset_after));
	json_object_set_new(object, "uid", json_string_or_null(service->uid));
	json_object_set_new(object, "gid", json_string_or_null(service->gid));
	json_object_set_new(object, "directory", json_string_or_null(service->directory));
	json_object_set_new(object, "stdout", json_string_or_null(service->stdout_mode));
	json_object_set_new(object, "stderr", json_string_or_null(service->stderr_mode));
	json_object_set_new(object, "exit_kills", json_boolean(service->exit_kills));
	const char *signal = conf_signal_name(service->kill_signal);
	json_object_set_new(object, "kill_signal",
			    signal ? json_string(signal) : json_integer(service->kill_signal));
	json_object_set_new(object, "setpgrp", json_boolean(service->setpgrp));
	json_object_set_new(object, "process_timeout",
			    json_real(service_process_timeout(service, settings)));
	json_object_set_new(object, "startup_pause",
			    json_real(service_startup_pause(service, settings)));
	json_object_set_new(object, "idle_delay", json_real(service_idle_delay(service, settings)));
	json_object_set_new(object, "pidfile", json_string_or_null(service->pidfile));
	json_object_set_new(object, "port", json_string_or_null(service->port));
	json_object_set_new(object, "interval", json_string_or_null(service->interval));
	json_object_set_new(object, "max_instances", json_integer(service->max_instances));
	json_object_set_new(object, "watchdog_sec", json_real(service->watchdog_sec));
	json_object_set_new(object, "notify_socket", json_string_or_null(service->notify_socket));
	json_object_set_new(object, "debug", json_boolean(service_debug(service, settings)));
	json_add_env(object, &service->env);
	if (service->vital || service->shell_command) {
		json_object_set_new(object, "vital", json_boolean(service->vital));
		json_object_set_new(object, "shell_command", json_boolean(service->shell_command));
	}
	json_object_set_new(object, "defined_at", json_origin(&service->origin));
	return object;
}

static json_t *json_logging(const struct logging_conf *logging)
{
	json_t *object = json_object();
	json_object_set_new(object, "selector", json_string_or_null(logging->selector));
	json_object_set_new(object, "file", json_string_or_null(logging->file));
	json_object_set_new(object, "stdout", json_boolean(logging->to_stdout));
	json_object_set_new(object, "stderr", json_boolean(logging->to_stderr));
	json_object_set_new(object, "syslog_host", json_string_or_null(logging->syslog_host));
	json_object_set_new(object, "enabled", json_string_or_null(logging->enabled));
	json_object_set_new(object, "overwrite", json_boolean(logging->overwrite));
	json_object_set_new(object, "extended", json_boolean(logging->extended));
	json_object_set_new(object, "uid", json_string_or_null(logging->uid));
	json_object_set_new(object, "gid", json_string_or_null(logging->gid));
	json_object_set_new(object, "logrec_hostname",
			    json_string_or_null(logging->logrec_hostname));
	json_object_set_new(object, "format", json_string_or_null(logging->format));
	json_object_set_new(object, "rotate_size", json_integer(logging->rotate_size));
	json_object_set_new(object, "rotate_keep", json_integer(logging->rotate_keep));
	json_object_set_new(object, "defined_at", json_origin(&logging->origin));
	return object;
}

char *config_to_json(const struct config *config)
{
	json_t *root = json_object();
	json_object_set_new(root, "files", json_from_strlist(&config->files));
	json_object_set_new(root, "config_dir", json_string_or_null(config->config_dir));
	json_object_set_new(root, "settings", json_settings(&config->settings));
	json_t *services = json_object();
	for (size_t i = 0; i < config->nservices; i++)
		json_object_set_new(services, config->services[i].name,
				    json_service(&config->services[i], &config->settings));
	json_object_set_new(root, "services", services);
	json_t *loggings = json_object();
	for (size_t i = 0; i < config->nloggings; i++)
		json_object_set_new(loggings, config->loggings[i].name,
				    json_logging(&config->loggings[i]));
	json_object_set_new(root, "logging", loggings);
	char *text =
	    json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(root);
	return text;
}
