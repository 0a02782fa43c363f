/*
 * schema.c — merged YAML sections checked against chaperone's schema (cutil/config.py) and
 * turned into struct config. Each section kind has a table of its keys (name, kind, field);
 * one loop applies a table, so adding a key is one line. Every problem is reported (not only
 * the first) with the place, the section and key, what was found and what is allowed.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema.h"

enum schema_kind {
	KIND_BOOL,	  /* bool, a YAML boolean */
	KIND_TRISTATE,	  /* int CONF_UNSET/0/1, a YAML boolean */
	KIND_INT,	  /* int, a YAML integer >= 0 */
	KIND_NUMBER,	  /* double, an integer or a float >= 0 */
	KIND_STRING,	  /* char *, a string */
	KIND_ID,	  /* char *, a user or group: a string or an integer */
	KIND_ENABLED,	  /* char *, a boolean or a boolean-like string */
	KIND_PORT,	  /* char *, a port: an integer or a string */
	KIND_CHOICE,	  /* char *, one of the choices */
	KIND_TYPE,	  /* enum service_type */
	KIND_SIGNAL,	  /* int */
	KIND_COMMA_LIST,  /* struct strlist, "a, b, c" */
	KIND_ENV_INHERIT, /* struct env_level: env_inherit */
	KIND_ENV_SET,	  /* struct env_level: env_set */
	KIND_ENV_UNSET,	  /* struct env_level: env_unset */
	KIND_SIZE,	  /* long, bytes */
	KIND_HTTP,	  /* settings: {listen, token_file} */
	KIND_DOUBLE_HALF, /* double >= 0 where 0 means 0.5 (shutdown_timeout) */
};

struct schema_key {
	const char *name;
	enum schema_kind kind;
	size_t offset;
	const char *const *choices;
};

static const char *const schema_stdio_choices[] = {"log", "inherit", NULL};
static const char *const schema_format_choices[] = {"text", "json", "pidzero-json", "pidzero-map",
						    NULL};

#define SERVICE_KEY(name, kind, field, choices)                                                    \
	{                                                                                          \
		name, kind, offsetof(struct service_conf, field), choices                          \
	}
#define SETTINGS_KEY(name, kind, field)                                                            \
	{                                                                                          \
		name, kind, offsetof(struct settings_conf, field), NULL                            \
	}
#define LOGGING_KEY(name, kind, field, choices)                                                    \
	{                                                                                          \
		name, kind, offsetof(struct logging_conf, field), choices                          \
	}

/* In alphabetical order: the order of the "allowed keys" list in messages. */
static const struct schema_key schema_service_keys[] = {
    SERVICE_KEY("after", KIND_COMMA_LIST, after, NULL),
    SERVICE_KEY("before", KIND_COMMA_LIST, before, NULL),
    SERVICE_KEY("command", KIND_STRING, command, NULL),
    SERVICE_KEY("debug", KIND_TRISTATE, debug, NULL),
    SERVICE_KEY("directory", KIND_STRING, directory, NULL),
    SERVICE_KEY("enabled", KIND_ENABLED, enabled, NULL),
    SERVICE_KEY("env_inherit", KIND_ENV_INHERIT, env, NULL),
    SERVICE_KEY("env_set", KIND_ENV_SET, env, NULL),
    SERVICE_KEY("env_unset", KIND_ENV_UNSET, env, NULL),
    SERVICE_KEY("exit_kills", KIND_BOOL, exit_kills, NULL),
    SERVICE_KEY("gid", KIND_ID, gid, NULL),
    SERVICE_KEY("ignore_failures", KIND_TRISTATE, ignore_failures, NULL),
    SERVICE_KEY("interval", KIND_STRING, interval, NULL),
    SERVICE_KEY("kill_signal", KIND_SIGNAL, kill_signal, NULL),
    SERVICE_KEY("max_instances", KIND_INT, max_instances, NULL),
    SERVICE_KEY("notify_socket", KIND_STRING, notify_socket, NULL),
    SERVICE_KEY("optional", KIND_BOOL, optional, NULL),
    SERVICE_KEY("pidfile", KIND_STRING, pidfile, NULL),
    SERVICE_KEY("port", KIND_PORT, port, NULL),
    SERVICE_KEY("process_timeout", KIND_NUMBER, process_timeout, NULL),
    SERVICE_KEY("restart", KIND_BOOL, restart, NULL),
    SERVICE_KEY("restart_backoff", KIND_NUMBER, restart_backoff, NULL),
    SERVICE_KEY("restart_delay", KIND_NUMBER, restart_delay, NULL),
    SERVICE_KEY("restart_delay_max", KIND_NUMBER, restart_delay_max, NULL),
    SERVICE_KEY("restart_limit", KIND_INT, restart_limit, NULL),
    SERVICE_KEY("restart_reset_after", KIND_NUMBER, restart_reset_after, NULL),
    SERVICE_KEY("service_groups", KIND_COMMA_LIST, service_groups, NULL),
    SERVICE_KEY("setpgrp", KIND_BOOL, setpgrp, NULL),
    SERVICE_KEY("startup_pause", KIND_NUMBER, startup_pause, NULL),
    SERVICE_KEY("stderr", KIND_CHOICE, stderr_mode, schema_stdio_choices),
    SERVICE_KEY("stdout", KIND_CHOICE, stdout_mode, schema_stdio_choices),
    SERVICE_KEY("type", KIND_TYPE, type, NULL),
    SERVICE_KEY("uid", KIND_ID, uid, NULL),
    SERVICE_KEY("watchdog_sec", KIND_NUMBER, watchdog_sec, NULL),
    {NULL, 0, 0, NULL},
};

static const struct schema_key schema_settings_keys[] = {
    SETTINGS_KEY("control_fifo", KIND_STRING, control_fifo),
    SETTINGS_KEY("control_group", KIND_ID, control_group),
    SETTINGS_KEY("control_readonly_world", KIND_BOOL, control_readonly_world),
    SETTINGS_KEY("control_socket", KIND_STRING, control_socket),
    SETTINGS_KEY("debug", KIND_BOOL, debug),
    SETTINGS_KEY("detect_exit", KIND_BOOL, detect_exit),
    SETTINGS_KEY("enable_syslog", KIND_BOOL, enable_syslog),
    SETTINGS_KEY("env_inherit", KIND_ENV_INHERIT, env),
    SETTINGS_KEY("env_set", KIND_ENV_SET, env),
    SETTINGS_KEY("env_unset", KIND_ENV_UNSET, env),
    SETTINGS_KEY("gid", KIND_ID, gid),
    SETTINGS_KEY("http", KIND_HTTP, http_listen),
    SETTINGS_KEY("idle_delay", KIND_NUMBER, idle_delay),
    SETTINGS_KEY("ignore_failures", KIND_BOOL, ignore_failures),
    SETTINGS_KEY("logrec_hostname", KIND_STRING, logrec_hostname),
    SETTINGS_KEY("process_timeout", KIND_NUMBER, process_timeout),
    SETTINGS_KEY("shutdown_timeout", KIND_DOUBLE_HALF, shutdown_timeout),
    SETTINGS_KEY("startup_pause", KIND_NUMBER, startup_pause),
    SETTINGS_KEY("status_interval", KIND_NUMBER, status_interval),
    SETTINGS_KEY("syslog_socket", KIND_STRING, syslog_socket),
    SETTINGS_KEY("syslog_stream_socket", KIND_STRING, syslog_stream_socket),
    SETTINGS_KEY("uid", KIND_ID, uid),
    {NULL, 0, 0, NULL},
};

static const struct schema_key schema_logging_keys[] = {
    LOGGING_KEY("enabled", KIND_ENABLED, enabled, NULL),
    LOGGING_KEY("extended", KIND_BOOL, extended, NULL),
    LOGGING_KEY("file", KIND_STRING, file, NULL),
    LOGGING_KEY("format", KIND_CHOICE, format, schema_format_choices),
    LOGGING_KEY("gid", KIND_ID, gid, NULL),
    LOGGING_KEY("logrec_hostname", KIND_STRING, logrec_hostname, NULL),
    LOGGING_KEY("overwrite", KIND_BOOL, overwrite, NULL),
    LOGGING_KEY("rotate_keep", KIND_INT, rotate_keep, NULL),
    LOGGING_KEY("rotate_size", KIND_SIZE, rotate_size, NULL),
    LOGGING_KEY("selector", KIND_STRING, selector, NULL),
    LOGGING_KEY("stderr", KIND_BOOL, to_stderr, NULL),
    LOGGING_KEY("stdout", KIND_BOOL, to_stdout, NULL),
    LOGGING_KEY("syslog_host", KIND_STRING, syslog_host, NULL),
    LOGGING_KEY("uid", KIND_ID, uid, NULL),
    {NULL, 0, 0, NULL},
};

static const char *const schema_http_keys[] = {"listen", "token_file", NULL};

static void schema_key_names(const struct schema_key *table, const char **names)
{
	size_t i = 0;
	for (; table[i].name; i++)
		names[i] = table[i].name;
	names[i] = NULL;
}

static void schema_unknown_key(struct schema_where *where, const struct yaml_node *key,
			       const char *const *names)
{
	where->failures++;
	const char *suggestion = schema_suggest(key->text, names);
	if (suggestion) {
		conf_errors_add(where->errors, &key->origin,
				"%s: found unknown key '%s', allowed: a known key (did you mean "
				"'%s'?)",
				where->section, key->text, suggestion);
		return;
	}
	char list[1024] = "";
	for (size_t i = 0; names[i]; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
	}
	conf_errors_add(where->errors, &key->origin, "%s: found unknown key '%s', allowed: %s",
			where->section, key->text, list);
}

static void schema_http(struct schema_where *where, const struct yaml_node *node,
			struct settings_conf *settings)
{
	if (node->kind != YAML_NODE_MAP) {
		schema_error(where, node, "a map with listen and token_file");
		return;
	}
	for (size_t i = 0; i < node->npairs; i++) {
		const struct yaml_node *key = node->pairs[i].key;
		const struct yaml_node *value = node->pairs[i].value;
		struct schema_where inner = {.section = "settings.http", .errors = where->errors};
		if (!yaml_is_string(key)) {
			schema_error(&inner, key, "listen or token_file");
		} else if (strcmp(key->text, "listen") == 0) {
			inner.key = "listen";
			schema_string(&inner, value, &settings->http_listen);
		} else if (strcmp(key->text, "token_file") == 0) {
			inner.key = "token_file";
			schema_string(&inner, value, &settings->http_token_file);
		} else {
			schema_unknown_key(&inner, key, schema_http_keys);
		}
		where->failures += inner.failures;
	}
}

static void schema_apply_key(struct schema_where *where, const struct schema_key *key,
			     const struct yaml_node *value, char *target)
{
	void *field = target + key->offset;
	long number;
	bool flag;
	switch (key->kind) {
	case KIND_BOOL:
		schema_bool(where, value, (bool *)field);
		break;
	case KIND_TRISTATE:
		if (schema_bool(where, value, &flag) == 0)
			*(int *)field = flag;
		break;
	case KIND_INT:
		if (schema_int(where, value, 0, &number) == 0)
			*(int *)field = (int)number;
		break;
	case KIND_NUMBER:
		schema_number(where, value, (double *)field);
		break;
	case KIND_DOUBLE_HALF:
		if (schema_number(where, value, (double *)field) == 0 && *(double *)field == 0)
			*(double *)field = 0.5; /* chaperone: a zero grace becomes half a second */
		break;
	case KIND_STRING:
		schema_string(where, value, (char **)field);
		break;
	case KIND_ID:
		schema_string_or_int(where, value, (char **)field);
		break;
	case KIND_ENABLED:
		schema_enabled(where, value, (char **)field);
		break;
	case KIND_PORT:
		schema_port(where, value, (char **)field);
		break;
	case KIND_CHOICE:
		schema_choice(where, value, key->choices, (char **)field);
		break;
	case KIND_TYPE: {
		static const char *const types[] = {"simple", "forking", "oneshot", "notify",
						    "inetd",  "cron",	 NULL};
		char *name = NULL;
		if (schema_choice(where, value, types, &name) == 0)
			*(enum service_type *)field =
			    (enum service_type)service_type_from_name(name);
		free(name);
		break;
	}
	case KIND_SIGNAL:
		schema_signal(where, value, (int *)field);
		break;
	case KIND_COMMA_LIST:
		schema_comma_list(where, value, (struct strlist *)field);
		break;
	case KIND_ENV_INHERIT:
		if (schema_string_list(where, value, &((struct env_level *)field)->inherit) == 0)
			((struct env_level *)field)->inherit_set = true;
		break;
	case KIND_ENV_SET:
		schema_env_map(where, value, &((struct env_level *)field)->set);
		break;
	case KIND_ENV_UNSET:
		schema_string_list(where, value, &((struct env_level *)field)->unset);
		break;
	case KIND_SIZE:
		schema_size(where, value, (long *)field);
		break;
	case KIND_HTTP:
		schema_http(where, value, (struct settings_conf *)target);
		break;
	}
}

/* Applies every key of a section through its table; returns the number of failures. */
static int schema_apply_section(const struct schema_section *section,
				const struct schema_key *table, void *target,
				struct conf_errors *errors)
{
	const char *names[64];
	schema_key_names(table, names);
	struct schema_where where = {.section = section->name, .errors = errors};
	for (size_t i = 0; i < section->map->npairs; i++) {
		const struct yaml_node *key = section->map->pairs[i].key;
		const struct yaml_node *value = section->map->pairs[i].value;
		where.key = NULL;
		if (!yaml_is_string(key)) {
			schema_error(&where, key, "a key name (a string)");
			continue;
		}
		const struct schema_key *entry = NULL;
		for (size_t k = 0; table[k].name; k++)
			if (strcmp(table[k].name, key->text) == 0)
				entry = &table[k];
		if (!entry) {
			schema_unknown_key(&where, key, names);
			continue;
		}
		where.key = entry->name;
		schema_apply_key(&where, entry, value, target);
	}
	return where.failures;
}

static const struct yaml_node *schema_lookup(const struct schema_section *section, const char *name)
{
	for (size_t i = 0; i < section->map->npairs; i++) {
		const struct yaml_node *key = section->map->pairs[i].key;
		if (yaml_is_string(key) && strcmp(key->text, name) == 0)
			return section->map->pairs[i].value;
	}
	return NULL;
}

/* Python's s.upper() == s: no lowercase letter at all ("FOO", but also "123"). */
static bool schema_all_uppercase(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (islower((unsigned char)text[i]))
			return false;
	return true;
}

static bool schema_reserved_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && schema_all_uppercase(name, (size_t)(dot - name));
}

static void schema_check_reserved(const struct schema_section *section, struct conf_errors *errors)
{
	if (schema_reserved_name(section->name))
		conf_errors_add(errors, &section->origin,
				"%s: found an all-uppercase name, allowed: a name with a lowercase "
				"letter (all-uppercase names are reserved for the system)",
				section->name);
}

static bool schema_is_one_of(const char *name, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* chaperone's ServiceConfig.post_init checks of after/before/service_groups. */
static void schema_check_references(const struct schema_section *section,
				    const struct service_conf *service, struct conf_errors *errors)
{
	static const char *const system_names[] = {"IDLE", "INIT", "CONSOLE", "MAIN", NULL};
	static const char *const system_groups[] = {"IDLE", "INIT", NULL};
	struct {
		const char *key;
		const struct strlist *list;
	} lists[] = {{"after", &service->after}, {"before", &service->before}};
	for (size_t l = 0; l < 2; l++) {
		const struct yaml_node *node = schema_lookup(section, lists[l].key);
		const struct conf_origin *origin = node ? &node->origin : &section->origin;
		for (size_t i = 0; i < lists[l].list->count; i++) {
			const char *name = lists[l].list->items[i];
			if (l == 0 && strcmp(name, "IDLE") == 0)
				conf_errors_add(
				    errors, origin,
				    "%s.after: found IDLE, allowed: any service or group "
				    "but IDLE (IDLE services start after all others)",
				    section->name);
			else if (l == 1 && strcmp(name, "INIT") == 0)
				conf_errors_add(
				    errors, origin,
				    "%s.before: found INIT, allowed: any service or group "
				    "but INIT (INIT services start before all others)",
				    section->name);
			else if (schema_all_uppercase(name, strlen(name)) &&
				 !schema_is_one_of(name, system_names))
				conf_errors_add(
				    errors, origin,
				    "%s.%s: found '%s', allowed: service or group names "
				    "(the only all-uppercase names are IDLE, INIT, CONSOLE "
				    "and MAIN)",
				    section->name, lists[l].key, name);
		}
	}
	const struct yaml_node *groups = schema_lookup(section, "service_groups");
	for (size_t i = 0; i < service->service_groups.count; i++) {
		const char *name = service->service_groups.items[i];
		if (schema_all_uppercase(name, strlen(name)) &&
		    !schema_is_one_of(name, system_groups))
			conf_errors_add(errors, groups ? &groups->origin : &section->origin,
					"%s.service_groups: found '%s', allowed: group names (the "
					"only all-uppercase groups are IDLE and INIT)",
					section->name, name);
	}
}

/* An array of count items, grown by one; the loaders abort when out of memory. */
static void *schema_grow(void *items, size_t count, size_t size)
{
	void *grown = reallocarray(items, count + 1, size);
	if (!grown)
		abort();
	return grown;
}

struct service_conf *schema_add_service(struct config *config)
{
	config->services =
	    schema_grow(config->services, config->nservices, sizeof(struct service_conf));
	struct service_conf *service = &config->services[config->nservices++];
	service_conf_init_defaults(service);
	return service;
}

/* As in chaperone, a section's gid is only allowed together with its uid. */
static void schema_check_gid_has_uid(const struct schema_section *section,
				     struct conf_errors *errors)
{
	const struct yaml_node *gid = schema_lookup(section, "gid");
	if (gid && !schema_lookup(section, "uid"))
		conf_errors_add(errors, &gid->origin,
				"%s.gid: found 'gid' without 'uid', allowed: 'gid' only together "
				"with 'uid'",
				section->name);
}

static void schema_build_service(const struct schema_section *section, struct config *config,
				 struct conf_errors *errors)
{
	struct service_conf *service = schema_add_service(config);
	service->name = strdup(section->name);
	if (!service->name)
		abort();
	service->origin = section->origin;
	schema_check_reserved(section, errors);
	schema_apply_section(section, schema_service_keys, service, errors);
	if (!schema_lookup(section, "command"))
		conf_errors_add(
		    errors, &section->origin,
		    "%s: found no 'command', allowed: a service with a command (the key "
		    "is required)",
		    section->name);
	schema_check_gid_has_uid(section, errors);
	schema_check_references(section, service, errors);
	const struct yaml_node *interval = schema_lookup(section, "interval");
	if (interval)
		service->interval_origin = interval->origin;
}

static void schema_build_logging(const struct schema_section *section, struct config *config,
				 struct conf_errors *errors)
{
	size_t length = strlen(section->name);
	bool used = length >= 8 && strcmp(section->name + length - 8, ".logging") == 0;
	struct logging_conf scratch;
	struct logging_conf *logging = &scratch;
	if (used) {
		config->loggings =
		    schema_grow(config->loggings, config->nloggings, sizeof(struct logging_conf));
		logging = &config->loggings[config->nloggings++];
	}
	logging_conf_init_defaults(logging);
	logging->name = strdup(section->name);
	if (!logging->name)
		abort();
	logging->origin = section->origin;
	if (used)
		schema_check_reserved(section, errors);
	schema_apply_section(section, schema_logging_keys, logging, errors);
	const struct yaml_node *selector = schema_lookup(section, "selector");
	if (selector)
		logging->selector_origin = selector->origin;
	schema_check_gid_has_uid(section, errors);
	/* "x.logging.old" matches chaperone's (unanchored) pattern and is checked, but only
	 * names ending in .logging are used, as in chaperone. */
	if (!used)
		logging_conf_free(&scratch);
}

static bool schema_ends_with(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);
	return length > suffix_length && strcmp(name + length - suffix_length, suffix) == 0;
}

/* chaperone's `^.+\.logging` (no end anchor): ".logging" after at least one character. */
static bool schema_is_logging(const char *name)
{
	const char *found = strstr(name + (name[0] ? 1 : 0), ".logging");
	return found != NULL;
}

static void schema_unknown_section(const struct schema_section *section, struct conf_errors *errors)
{
	char service[256], logging[256];
	const char *dot = strrchr(section->name, '.');
	int stem = dot ? (int)(dot - section->name) : (int)strlen(section->name);
	snprintf(service, sizeof service, "%.*s.service", stem > 200 ? 200 : stem, section->name);
	snprintf(logging, sizeof logging, "%.*s.logging", stem > 200 ? 200 : stem, section->name);
	const char *candidates[] = {"settings", service, logging, NULL};
	const char *suggestion = schema_suggest(section->name, candidates);
	if (suggestion && stem > 0)
		conf_errors_add(errors, &section->origin,
				"%s: found an unknown section, allowed: settings, NAME.service or "
				"NAME.logging (did you mean '%s'?)",
				section->name, suggestion);
	else
		conf_errors_add(errors, &section->origin,
				"%s: found an unknown section, allowed: settings, NAME.service or "
				"NAME.logging",
				section->name);
}

static int schema_compare_services(const void *a, const void *b)
{
	return strcmp(((const struct service_conf *)a)->name,
		      ((const struct service_conf *)b)->name);
}

static int schema_compare_loggings(const void *a, const void *b)
{
	return strcmp(((const struct logging_conf *)a)->name,
		      ((const struct logging_conf *)b)->name);
}

void schema_sort_by_name(struct config *config)
{
	if (config->nservices > 1)
		qsort(config->services, config->nservices, sizeof *config->services,
		      schema_compare_services);
	if (config->nloggings > 1)
		qsort(config->loggings, config->nloggings, sizeof *config->loggings,
		      schema_compare_loggings);
}

void schema_build(const struct schema_raw *raw, struct config *config, struct conf_errors *errors)
{
	for (size_t i = 0; i < raw->count; i++) {
		const struct schema_section *section = &raw->items[i];
		if (strcmp(section->name, "settings") == 0) {
			config->settings.origin = section->origin;
			schema_apply_section(section, schema_settings_keys, &config->settings,
					     errors);
		} else if (schema_ends_with(section->name, ".service")) {
			schema_build_service(section, config, errors);
		} else if (schema_is_logging(section->name)) {
			schema_build_logging(section, config, errors);
		} else {
			schema_unknown_section(section, errors);
		}
	}
	schema_sort_by_name(config);
	/* logrec_hostname is one of LogConfig's _settings_defaults. */
	for (size_t i = 0; i < config->nloggings; i++) {
		struct logging_conf *logging = &config->loggings[i];
		if (!logging->logrec_hostname && config->settings.logrec_hostname) {
			logging->logrec_hostname = strdup(config->settings.logrec_hostname);
			if (!logging->logrec_hostname)
				abort();
		}
	}
}
