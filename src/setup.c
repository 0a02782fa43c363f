/*
 * setup.c — what tend does before its loop starts and after it ends: the PID 1 check,
 * interactive mode, users, configuration (chaperone.d or pidzero), the CONSOLE service for
 * the controlling command, then the loop, and the exit code.
 */
#include "setup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/graph.h"
#include "core/child.h"
#include "core/loop.h"
#include "faces.h"
#include "log/log.h"
#include "log/selector.h"
#include "options.h"
#include "svc/cron_expr.h"
#include "svc/launch.h"
#include "system.h"
#include "users.h"

static bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int level_from_name(const char *name)
{
	static const char *const levels[] = {"emerg", "alert",	"crit", "err",
					     "warn",  "notice", "info", "debug"};
	if (strcmp(name, "warning") == 0)
		return 4;
	if (strcmp(name, "error") == 0)
		return 3;
	for (int i = 0; i < 8; i++)
		if (strcmp(name, levels[i]) == 0)
			return i;
	return -1;
}

/* pidzero: --pidzero DIR, or auto-detected when no chaperone config exists. (Not inlined,
 * like the two below, to keep its buffer out of its caller's frame.) */
static __attribute__((noinline)) const char *
pidzero_dir(const struct options *o, const char *config_path, char *buf, size_t len)
{
	if (o->pidzero)
		return o->pidzero;
	if (o->config || path_exists(config_path))
		return NULL;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/daemons.json", self);
			if (path_exists(buf)) {
				snprintf(buf, len, "%s", self);
				return buf;
			}
		}
	}
	if (path_exists("/etc/pidzero/daemons.json"))
		return "/etc/pidzero";
	return NULL;
}

/* Values conf/ keeps as strings because they may need expansion at launch: when they are
 * literal, check them now, so a bad selector or cron interval is a configuration error
 * (before anything starts, and in --check-config) rather than a failure at run time. */
static void check_literal_values(const struct config *config, struct conf_errors *errors)
{
	char why[256];
	for (size_t i = 0; i < config->nloggings; i++) {
		const struct logging_conf *l = &config->loggings[i];
		if (!l->selector || strpbrk(l->selector, "$`"))
			continue;
		struct selector *sel = selector_compile(l->selector, why, sizeof(why));
		if (sel)
			selector_free(sel);
		else
			conf_errors_add(errors, l->selector_origin.file ? &l->selector_origin : &l->origin,
					"%s.selector: found '%s': %s; allowed: [!]facility.[!][=]priority "
					"items separated by ';' (see docs/logging.md)",
					l->name, l->selector, why);
	}
	for (size_t i = 0; i < config->nservices; i++) {
		const struct service_conf *svc = &config->services[i];
		if (svc->type != SERVICE_CRON || !svc->interval || strpbrk(svc->interval, "$`"))
			continue;
		struct cron_expr expr;
		if (cron_expr_parse(svc->interval, &expr, why, sizeof(why)) < 0)
			conf_errors_add(errors,
					svc->interval_origin.file ? &svc->interval_origin : &svc->origin,
					"%s.interval: found '%s': %s", svc->name, svc->interval, why);
	}
}

static __attribute__((noinline)) int load_pidzero(const char *dir, struct config *config,
						  struct conf_errors *errors)
{
	char daemons[4096], conf[4096];
	snprintf(daemons, sizeof(daemons), "%s/daemons.json", dir);
	snprintf(conf, sizeof(conf), "%s/config.json", dir);
	return conf_load_pidzero(daemons, path_exists(conf) ? conf : NULL, config, errors);
}

/* Not inlined: its path buffers would otherwise stay in setup_and_run's frame, under which
 * the whole loop runs (PID 1's stack pages, once touched, stay). */
static __attribute__((noinline)) int load_configuration(const struct options *o, const char *home,
							struct config *config, char *loaded,
							size_t loaded_len, bool *loaded_pidzero)
{
	struct conf_errors errors = {0};
	char path[4096], pz[4096];
	const char *spec = o->config;
	if (!spec)
		spec = path_exists("/etc/tend.d") ? "/etc/tend.d" : "/etc/chaperone.d";
	/* chaperone: relative to the --user's home (or /). */
	if (spec[0] == '/')
		snprintf(path, sizeof(path), "%s", spec);
	else
		snprintf(path, sizeof(path), "%s/%s", home ? home : "", spec);

	int rc;
	const char *dir = pidzero_dir(o, path, pz, sizeof(pz));
	/* remembered for `tendctl reload` */
	snprintf(loaded, loaded_len, "%s", dir ? dir : path);
	*loaded_pidzero = dir != NULL;
	if (dir) {
		rc = load_pidzero(dir, config, &errors);
	} else {
		/* chaperone runs with no services when the path is missing; say so when the user
		 * named it, since a relative --config is relative to the user's home (or /). */
		if (o->config && !path_exists(path)) {
			if (o->config[0] == '/')
				fprintf(stderr, "tend: warning: configuration %s does not exist; no "
						"services configured\n", path);
			else
				fprintf(stderr, "tend: warning: configuration %s does not exist (a relative "
						"--config is resolved against %s, as chaperone does); no services "
						"configured\n", path, home ? home : "/");
		}
		struct conf_load_options load = {.path = path};
		rc = conf_load(&load, config, &errors);
	}
	if (rc == 0)
		check_literal_values(config, &errors);
	if (rc < 0 || errors.count) {
		conf_errors_print(&errors, stderr);
		fprintf(stderr, "Configuration Error: %zu problem%s found; nothing was started\n",
			errors.count, errors.count == 1 ? "" : "s");
		conf_errors_free(&errors);
		return -1;
	}
	return 0;
}

/* The controlling command becomes the CONSOLE service, as chaperone defines it. */
static int add_console(struct config *config, char **command, bool tty, bool kill_switch, bool task)
{
	struct service_conf *grown =
	    realloc(config->services, (config->nservices + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	config->services = grown;
	struct service_conf *c = &config->services[config->nservices++];
	service_conf_init_defaults(c);
	c->name = strdup("CONSOLE");
	c->type = SERVICE_SIMPLE;
	size_t n = 0;
	while (command[n])
		n++;
	c->exec_args = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c->exec_args[i] = strdup(command[i]);
	c->command = strdup(command[0]);
	c->ignore_failures = !task;
	strlist_free(&c->service_groups);
	strlist_append(&c->service_groups, "IDLE");
	c->exit_kills = kill_switch;
	c->kill_signal = tty ? SIGHUP : SIGTERM;
	c->setpgrp = !tty;
	c->startup_pause = 0; /* the command is running once spawned */
	free(c->stdout_mode);
	free(c->stderr_mode);
	c->stdout_mode = strdup("inherit");
	c->stderr_mode = strdup("inherit");
	return 0;
}

static void apply_options(const struct options *o, struct config *config)
{
	if (o->ignore_failures)
		config->settings.ignore_failures = true;
	if (o->no_syslog)
		config->settings.enable_syslog = false;
	if (o->debug)
		config->settings.debug = true;
	if (o->syslog_socket) {
		free(config->settings.syslog_socket);
		config->settings.syslog_socket = strdup(o->syslog_socket);
	}
	if (o->control_socket) {
		free(config->settings.control_socket);
		config->settings.control_socket = strdup(o->control_socket);
	}
	if (o->no_console_log)
		for (size_t i = 0; i < config->nloggings; i++)
			config->loggings[i].to_stdout = config->loggings[i].to_stderr = false;
}

/* --debug, as chaperone: the options in effect and the merged configuration, on stderr. */
static void debug_dump(const struct options *o, const struct config *config)
{
	fprintf(stderr, "COMMAND OPTIONS {config: %s, user: %s, create-user: %s, default-home: %s, "
			"exitkills: %d, no-exitkills: %d, ignore-failures: %d, log-level: %s, "
			"no-console-log: %d, force: %d, disable-services: %d, no-syslog: %d, task: %d, "
			"command:",
		o->config ? o->config : "-", o->user ? o->user : "-",
		o->create_user ? o->create_user : "-", o->default_home ? o->default_home : "-",
		o->exitkills, o->no_exitkills, o->ignore_failures, o->log_level ? o->log_level : "-",
		o->no_console_log, o->force, o->disable_services, o->no_syslog, o->task);
	for (size_t i = 0; i < o->ncommand; i++)
		fprintf(stderr, " %s", o->command[i]);
	fprintf(stderr, "%s}\n", o->ncommand ? "" : " -");
	char *json = config_to_json(config);
	if (json)
		fprintf(stderr, "CONFIGURATION %s\n", json);
	free(json);
}

static int print_dependencies(struct config *config)
{
	struct graph graph;
	struct conf_errors errors = {0};
	if (graph_build(config, &graph, &errors) < 0) {
		conf_errors_print(&errors, stderr);
		conf_errors_free(&errors);
		return EXIT_CONFIG;
	}
	char *text = graph_describe(config, &graph);
	fputs(text ? text : "", stdout);
	free(text);
	graph_free(&graph);
	return EXIT_OK;
}

int setup_and_run(struct options *o)
{
	if (o->log_level && level_from_name(o->log_level) < 0) {
		fprintf(stderr, "tend: --log-level: unknown level '%s' (allowed: emerg alert crit err "
				"warn notice info debug)\n",
			o->log_level);
		return EXIT_USAGE;
	}
	bool is_pid1 = getpid() == 1;
	bool inspect_only = o->check_config || o->show_dependencies;
	if (!is_pid1 && !o->force && !inspect_only) {
		fprintf(stderr, "Normally, tend expects to run as PID 1 in the 'init' role.\n"
				"If you want to run it as a supervisor anyway, use --force "
				"(it then becomes a child subreaper).\n");
		return EXIT_CONFIG;
	}
	bool tty = isatty(0);
	setenv("_CHAP_INTERACTIVE", tty ? "1" : "0", 1);
	if (o->task) {
		if (!o->command) {
			fprintf(stderr, "tend: --task requires a command\n");
			return EXIT_CONFIG;
		}
		o->disable_services = true;
		if (!o->debug)
			o->no_console_log = true;
		o->exitkills = true;
		setenv("_CHAP_TASK_MODE", "1", 1);
	}
	if (o->disable_services && !o->command && !inspect_only) {
		fprintf(stderr, "tend: --disable-services requires a command\n");
		return EXIT_CONFIG;
	}
	bool kill_switch = o->exitkills || (!o->no_exitkills && tty);

	struct user_setup user = {0};
	if (users_setup(o, &user) < 0)
		return EXIT_CONFIG;

	struct config config;
	config_init_defaults(&config);
	char loaded[4096];
	bool loaded_pidzero = false;
	if (load_configuration(o, user.home, &config, loaded, sizeof(loaded), &loaded_pidzero) <
	    0) {
		config_free(&config);
		users_free(&user);
		return EXIT_CONFIG;
	}
	apply_options(o, &config);
	if (o->debug && !o->check_config)
		debug_dump(o, &config);
	if (o->check_config) {
		char *json = config_to_json(&config);
		puts(json ? json : "{}");
		free(json);
		config_free(&config);
		users_free(&user);
		return EXIT_OK;
	}
	if (o->show_dependencies) {
		int rc = print_dependencies(&config);
		config_free(&config);
		users_free(&user);
		return rc;
	}
	if (o->command && add_console(&config, o->command, tty, kill_switch, o->task) < 0) {
		config_free(&config);
		return EXIT_INTERNAL;
	}
	if (config.nservices == 0) {
		fprintf(
		    stderr,
		    "tend: nothing to do: no services are configured and no command was given\n");
		config_free(&config);
		users_free(&user);
		return EXIT_CONFIG;
	}
	if (!is_pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("tend: prctl(PR_SET_CHILD_SUBREAPER)");
		return EXIT_INTERNAL;
	}

	struct loop *loop = loop_new();
	if (!loop) {
		perror("tend: event loop");
		return EXIT_INTERNAL;
	}
	struct logger_options log_options = {
	    .forced_level = o->log_level ? level_from_name(o->log_level) : -1,
	    .no_console_log = o->no_console_log,
	    .debug = o->debug,
	    .enable_syslog = config.settings.enable_syslog && !o->no_syslog,
	    .program = "tend",
	};
	struct logger *logger = logger_new(loop, &log_options);
	struct system_params params = {
	    .config = &config,
	    .tty = tty,
	    .kill_switch = kill_switch,
	    .task = o->task,
	    .disable_services = o->disable_services,
	    .ignore_failures = o->ignore_failures,
	    .debug = o->debug,
	    .is_pid1 = is_pid1,
	    .default_user = user.name,
	    .command = o->command,
	    .config_path = loaded_pidzero ? NULL : loaded,
	    .pidzero_dir = loaded_pidzero ? loaded : NULL,
	};
	struct system *system = logger ? system_new(loop, logger, &params) : NULL;
	if (!system) {
		fprintf(stderr, "tend: could not set up the system\n");
		return EXIT_INTERNAL;
	}
	logger_configure(logger, &config);
	struct faces *faces = faces_start(system, &config);
	tend_log(logger, LOG_SEVERITY_INFO, "tend version %s, ready.", TEND_VERSION);
	system_start(system);
	if (loop_run(loop) < 0)
		tend_log(logger, LOG_SEVERITY_ERR, "event loop failed: %s", strerror(errno));
	int code = system_exit_code(system);
	faces_stop(faces);
	logger_flush(logger, 2000);
	system_free(system);
	logger_free(logger);
	loop_free(loop);
	config_free(&config);
	users_free(&user);
	return code;
}
