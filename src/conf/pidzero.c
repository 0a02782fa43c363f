/*
 * pidzero.c — pidzero's daemons.json and config.json into the same struct config.
 *
 * Each daemon becomes a service that runs as pidzero ran it: the string
 * "<environment entries joined by spaces> <command>" given to /bin/sh -c (shell_command),
 * never restarted, `vital` only when it is JSON true. A failing daemon is not a start-up
 * failure in pidzero (sh simply exits 127), so these services ignore failures. config.json's
 * "log" object becomes one logging section in pidzero's own record format.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf.h"
#include "conf/schema.h"

static const char *pidzero_remember_file(struct config *config, const char *path)
{
	strlist_append(&config->files, path);
	return config->files.items[config->files.count - 1];
}

static json_t *pidzero_load_json(const char *file, struct conf_errors *errors)
{
	json_error_t error;
	json_t *root = json_load_file(file, JSON_DECODE_ANY, &error);
	if (!root) {
		struct conf_origin origin = {file, error.line > 0 ? error.line : 0,
					     error.column > 0 ? error.column : 1};
		conf_errors_add(errors, &origin, "malformed JSON: %s", error.text);
	}
	return root;
}

static char *pidzero_xstrdup(const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		abort();
	return copy;
}

/* pidzero: new Process('${environment.join(" ")} ${command}'). */
static char *pidzero_command(const json_t *environment, const char *command)
{
	size_t length = strlen(command) + 1;
	size_t index;
	const json_t *entry;
	json_array_foreach(environment, index, entry) length +=
	    strlen(json_string_value(entry)) + 1;
	char *text = malloc(length);
	if (!text)
		abort();
	text[0] = '\0';
	json_array_foreach(environment, index, entry)
	{
		strcat(text, json_string_value(entry));
		strcat(text, " ");
	}
	strcat(text, command);
	return text;
}

static void pidzero_daemon(struct config *config, const char *file, size_t index,
			   const json_t *daemon, struct conf_errors *errors)
{
	struct conf_origin origin = {file, 0, 0};
	if (!json_is_object(daemon)) {
		conf_errors_add(errors, &origin,
				"daemon #%zu: found a JSON %s, allowed: an object with name and "
				"command",
				index + 1, json_is_array(daemon) ? "array" : "value");
		return;
	}
	const json_t *name = json_object_get(daemon, "name");
	const json_t *command = json_object_get(daemon, "command");
	const json_t *environment = json_object_get(daemon, "environment");
	const char *label = json_is_string(name) ? json_string_value(name) : NULL;
	bool ok = true;
	if (!label || !*label) {
		conf_errors_add(errors, &origin,
				"daemon #%zu.name: found %s, allowed: a non-empty string",
				index + 1, name ? "a value that is not a string" : "nothing");
		ok = false;
	}
	if (!json_is_string(command)) {
		conf_errors_add(errors, &origin, "daemon %s.command: found %s, allowed: a string",
				label ? label : "?",
				command ? "a value that is not a string" : "nothing");
		ok = false;
	}
	if (environment && !json_is_null(environment)) {
		size_t i;
		const json_t *entry;
		bool strings = json_is_array(environment);
		json_array_foreach(environment, i, entry) strings =
		    strings && json_is_string(entry);
		if (!strings) {
			conf_errors_add(
			    errors, &origin,
			    "daemon %s.environment: found a value that is not a list of "
			    "strings, allowed: a list of \"NAME=value\" strings",
			    label ? label : "?");
			ok = false;
		}
	} else {
		environment = NULL;
	}
	if (!ok)
		return;
	char *service_name = NULL;
	if (asprintf(&service_name, "%s.service", label) < 0)
		abort();
	if (config_find_service(config, service_name)) {
		conf_errors_add(errors, &origin,
				"daemon %s.name: found a second daemon with this name, allowed: "
				"unique names",
				label);
		free(service_name);
		return;
	}
	struct service_conf *service = schema_add_service(config);
	service->name = service_name;
	service->origin = origin;
	json_t *empty = json_array();
	service->command =
	    pidzero_command(environment ? environment : empty, json_string_value(command));
	json_decref(empty);
	service->shell_command = true;
	service->vital = json_is_true(json_object_get(daemon, "vital"));
	service->restart = false;
	service->ignore_failures = 1;
}

static void pidzero_daemons(struct config *config, const char *file, struct conf_errors *errors)
{
	struct conf_origin origin = {file, 0, 0};
	struct stat st;
	if (stat(file, &st) < 0) {
		conf_errors_add(
		    errors, &origin,
		    "Unable to open daemons definition at %s; make sure the file exists "
		    "at this path (%s)",
		    file, strerror(errno));
		return;
	}
	json_t *root = pidzero_load_json(file, errors);
	if (!root)
		return;
	if (!json_is_array(root)) {
		conf_errors_add(errors, &origin,
				"found a JSON %s, allowed: a list of daemons ([{\"name\": ..., "
				"\"command\": ...}])",
				json_is_object(root) ? "object" : "value");
	} else if (json_array_size(root) == 0) {
		conf_errors_add(errors, &origin, "There are no daemons to run. Nothing to do!");
	} else {
		size_t index;
		const json_t *daemon;
		json_array_foreach(root, index, daemon)
		    pidzero_daemon(config, file, index, daemon, errors);
	}
	json_decref(root);
}

static void pidzero_logging(struct config *config, const char *file, struct conf_errors *errors)
{
	bool as_json = true, to_file = false, to_stdout = true;
	const char *file_path = NULL;
	json_t *root = NULL;
	struct conf_origin origin = {file, 0, 0};
	if (file) {
		struct stat st;
		if (stat(file, &st) == 0) {
			root = pidzero_load_json(file, errors);
			if (!root)
				return;
		} else if (errno != ENOENT) {
			conf_errors_add(errors, &origin, "cannot read the file: %s",
					strerror(errno));
			return;
		}
	}
	const json_t *log = root ? json_object_get(root, "log") : NULL;
	if (root && !json_is_object(root)) {
		conf_errors_add(errors, &origin,
				"found a JSON value that is not an object, allowed: an object with "
				"\"log\"");
	} else if (log && !json_is_object(log)) {
		conf_errors_add(errors, &origin,
				"log: found a value that is not an object, allowed: {\"json\", "
				"\"file_path\", \"log_to_file\", \"log_to_stdout\"}");
	} else if (log) {
		/* pidzero compares with `== true`: anything but JSON true is false. */
		as_json = json_is_true(json_object_get(log, "json"));
		to_file = json_is_true(json_object_get(log, "log_to_file"));
		to_stdout = json_is_true(json_object_get(log, "log_to_stdout"));
		const json_t *path = json_object_get(log, "file_path");
		if (json_is_string(path) && *json_string_value(path))
			file_path = json_string_value(path);
		else if (to_file)
			conf_errors_add(
			    errors, &origin,
			    "log.file_path: found %s, allowed: a file name (log_to_file "
			    "is true)",
			    path ? "a value that is not a non-empty string" : "nothing");
	}
	struct logging_conf *logging = calloc(1, sizeof *logging);
	if (!logging)
		abort();
	logging_conf_init_defaults(logging);
	logging->name = pidzero_xstrdup("pidzero.logging");
	logging->origin = origin;
	logging->to_stdout = to_stdout;
	if (to_file && file_path)
		logging->file = pidzero_xstrdup(file_path);
	free(logging->format);
	logging->format = pidzero_xstrdup(as_json ? "pidzero-json" : "pidzero-map");
	if (!logging->to_stdout && !logging->file) {
		free(logging->enabled);
		logging->enabled = pidzero_xstrdup("false");
	}
	config->loggings = logging;
	config->nloggings = 1;
	json_decref(root);
}

int conf_load_pidzero(const char *daemons_json, const char *config_json, struct config *config,
		      struct conf_errors *errors)
{
	size_t errors_before = errors->count;
	if (!daemons_json) {
		conf_errors_add(errors, NULL, "no daemons.json given");
		return -1;
	}
	const char *daemons_file = pidzero_remember_file(config, daemons_json);
	const char *config_file = config_json ? pidzero_remember_file(config, config_json) : NULL;
	pidzero_daemons(config, daemons_file, errors);
	pidzero_logging(config, config_file, errors);
	schema_sort_by_name(config);
	if (conf_validate(config, errors) < 0 || errors->count > errors_before)
		return -1;
	return 0;
}
