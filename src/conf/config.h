/*
 * config.h — the typed configuration: what conf/ produces from chaperone.d YAML or pidzero
 * JSON, and what everything above reads. Pure data: no fds, no processes.
 *
 * Strings that chaperone expands with the environment at launch time ("expanded fields":
 * command, enabled, uid, gid, directory, pidfile, port, interval, stdout, stderr for services;
 * selector, file, enabled, logrec_hostname, syslog_host for logging) are kept unexpanded
 * here; the engine expands them with conf/env.h when it launches the service.
 *
 * Every section and every key set in a file remembers where it came from, so that errors
 * found later (at launch, at reload) can still name file:line:column.
 */
#ifndef TEND_CONF_CONFIG_H
#define TEND_CONF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct conf_origin {
	const char *file; /* owned by the config (interned); NULL for defaults */
	int line;         /* 1-based */
	int column;       /* 1-based */
};

struct strlist {
	char **items;
	size_t count;
};

struct env_pair {
	char *name;
	char *value; /* unexpanded */
	struct conf_origin origin;
};

/* env_set keeps file order: later pairs may refer to earlier ones. */
struct env_map {
	struct env_pair *items;
	size_t count;
};

/* One level of environment building (settings, then each service). */
struct env_level {
	bool inherit_set;          /* false: the level inherits everything ('*') */
	struct strlist inherit;    /* env_inherit globs */
	struct env_map set;        /* env_set */
	struct strlist unset;      /* env_unset globs */
};

enum service_type {
	SERVICE_SIMPLE,
	SERVICE_FORKING,
	SERVICE_ONESHOT,
	SERVICE_NOTIFY,
	SERVICE_INETD,
	SERVICE_CRON,
	SERVICE_TYPE_COUNT
};

/* Tri-state for keys that fall back to settings: CONF_UNSET, 0, 1. */
#define CONF_UNSET (-1)

struct service_conf {
	char *name;                /* "foo.service" (as written, with the suffix) */
	struct conf_origin origin; /* of the section key */
	enum service_type type;
	char *command;             /* required, unexpanded; argv-split after expansion */
	char *enabled;             /* unexpanded; "true"/"false" for YAML bools; default "true" */
	bool optional;
	int ignore_failures;       /* CONF_UNSET: from settings */
	struct strlist after;      /* names with .service, or group names; comma lists split */
	struct strlist before;
	struct strlist service_groups; /* default: {"default"} */
	bool restart;
	int restart_limit;         /* default 5 */
	double restart_delay;      /* seconds, default 3 */
	double restart_backoff;    /* tend: multiplier per consecutive restart; 0/1 = constant */
	double restart_delay_max;  /* tend: cap for the backoff, seconds; default 60 */
	double restart_reset_after; /* tend: seconds up after which the counter resets; default 60 */
	char *uid;                 /* unexpanded; NULL: settings uid, then --user */
	char *gid;
	char *directory;
	char *stdout_mode;         /* "log" (default) or "inherit", unexpanded */
	char *stderr_mode;
	bool exit_kills;
	int kill_signal;           /* default SIGTERM */
	bool setpgrp;              /* default true */
	double process_timeout;    /* < 0: type default (simple/forking 30, oneshot 60, notify 300) */
	double startup_pause;      /* < 0: settings, then 0.5 */
	double idle_delay;         /* < 0: settings, then 1.0 */
	char *pidfile;
	char *port;                /* inetd; unexpanded */
	char *interval;            /* cron; unexpanded */
	int max_instances;         /* tend, inetd: concurrent connections; 0: default (64) */
	double watchdog_sec;       /* tend, notify: WATCHDOG_USEC given to the service; 0: off */
	char *notify_socket;       /* tend, notify: "@name" or an absolute path; unexpanded;
	                              NULL: a random abstract name */
	int debug;                 /* CONF_UNSET: from settings */
	struct env_level env;
	bool vital;                /* pidzero: the container stops when this exits */
	bool shell_command;        /* pidzero: run via /bin/sh -c (command is a shell string) */
	char **exec_args;          /* CONSOLE: argv given directly (expanded, never split) */
	struct conf_origin interval_origin; /* where `interval` was written (checked at load) */
};

struct logging_conf {
	char *name;                /* "foo.logging" */
	struct conf_origin origin;
	char *selector;            /* unexpanded; default "*.*" */
	struct conf_origin selector_origin; /* where `selector` was written (checked at load) */
	char *file;                /* unexpanded, strftime-expanded at open */
	bool to_stdout;
	bool to_stderr;
	char *syslog_host;         /* "host[:port]", "udp://h:p" or "tcp://h:p" */
	char *enabled;             /* unexpanded; default "true" */
	bool overwrite;
	bool extended;
	char *uid;
	char *gid;
	char *logrec_hostname;
	char *format;              /* tend: "text" (default), "json", "pidzero-json", "pidzero-map" */
	long rotate_size;          /* tend: bytes; 0 = no size rotation */
	int rotate_keep;           /* tend: files kept by size rotation; default 5 */
};

struct settings_conf {
	struct conf_origin origin;
	struct env_level env;
	char *uid;
	char *gid;
	double idle_delay;         /* default 1.0 */
	bool ignore_failures;      /* default false */
	double process_timeout;    /* < 0: per-type defaults */
	double startup_pause;      /* default 0.5 */
	bool debug;
	double shutdown_timeout;   /* default 8; 0 becomes 0.5 */
	bool detect_exit;          /* default true */
	bool enable_syslog;        /* default true */
	double status_interval;    /* default 30 */
	char *logrec_hostname;
	/* tend's own settings */
	char *syslog_socket;       /* default "/dev/log" */
	char *syslog_stream_socket; /* NULL: off */
	char *control_socket;      /* default "/dev/tend.sock" */
	char *control_fifo;        /* default "/dev/tend" */
	char *control_group;       /* group allowed to use the control socket; NULL: owner only */
	bool control_readonly_world; /* status/dependencies open to every local user */
	char *http_listen;         /* NULL: HTTP off */
	char *http_token_file;
};

struct config {
	struct settings_conf settings;
	struct service_conf *services; /* in name order */
	size_t nservices;
	struct logging_conf *loggings; /* in name order */
	size_t nloggings;
	char *config_dir;              /* _CHAP_CONFIG_DIR, or NULL */
	struct strlist files;          /* the files read, in order (they own the origin strings) */
};

/* A list of problems found while loading: all of them, not just the first. */
struct conf_error {
	struct conf_origin origin;
	char *message; /* "settings.shutdown_timeout: found -1, allowed: a number >= 0" */
};

struct conf_errors {
	struct conf_error *items;
	size_t count;
};

void conf_errors_add(struct conf_errors *errors, const struct conf_origin *origin,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints "file:line:column: error: message" per error. */
void conf_errors_print(const struct conf_errors *errors, FILE *out);
void conf_errors_free(struct conf_errors *errors);

void config_init_defaults(struct config *config);
void config_free(struct config *config);
const struct service_conf *config_find_service(const struct config *config, const char *name);
const char *service_type_name(enum service_type type);

/* Added by the conf layer (helpers other layers need). */
/* The enum value for "simple", "forking"...; -1 when unknown. */
int service_type_from_name(const char *name);
/* A service with every default chaperone gives it (name, command still NULL). Free with
 * service_conf_free(); the same pair exists for logging sections. */
void service_conf_init_defaults(struct service_conf *service);
void service_conf_free(struct service_conf *service);
void logging_conf_init_defaults(struct logging_conf *logging);
void logging_conf_free(struct logging_conf *logging);
/* The effective value of a key that falls back to settings, then to chaperone's default
 * (process_timeout: simple/forking 30, oneshot 60, notify 300; startup_pause 0.5; idle 1.0). */
bool service_ignore_failures(const struct service_conf *service,
			     const struct settings_conf *settings);
bool service_debug(const struct service_conf *service, const struct settings_conf *settings);
double service_process_timeout(const struct service_conf *service,
			       const struct settings_conf *settings);
double service_startup_pause(const struct service_conf *service,
			     const struct settings_conf *settings);
double service_idle_delay(const struct service_conf *service, const struct settings_conf *settings);
/* chaperone's boolean strings, for `enabled` after expansion: y/yes/true/on -> true,
 * n/no/false/off/"" -> false (case-insensitive, blanks around ignored); -1 otherwise. */
int conf_bool_from_string(const char *text, bool *value);
/* Python's int() on a string (for `port` after expansion); -1 when it is not an integer. */
int conf_int_from_string(const char *text, long *value);
/* A signal from "SIGTERM"/"sigterm"/"15" as chaperone accepts it ("TERM" is not); -1 if none. */
int conf_signal_from_name(const char *name);
const char *conf_signal_name(int signo);

void strlist_append(struct strlist *list, const char *text);
bool strlist_contains(const struct strlist *list, const char *text);
void strlist_free(struct strlist *list);
/* Sets name (keeping its place when already set, as a Python dict does). */
void env_map_set(struct env_map *map, const char *name, const char *value,
		 const struct conf_origin *origin);
void env_level_free(struct env_level *level);

#endif
