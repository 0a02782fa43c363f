/*
 * options.c — the command line. A table of options drives parsing, usage and the
 * _CHAP_OPTIONS merge, so adding an option is one line.
 */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/argv.h"

enum option_kind { OPT_FLAG, OPT_VALUE };

struct option_def {
	const char *name; /* without the leading "--" */
	enum option_kind kind;
	size_t offset; /* into struct options: bool for flags, const char * for values */
	const char *help;
};

#define FLAG(n, field, h)                                                                          \
	{                                                                                          \
		n, OPT_FLAG, offsetof(struct options, field), h                                    \
	}
#define VALUE(n, field, h)                                                                         \
	{                                                                                          \
		n, OPT_VALUE, offsetof(struct options, field), h                                   \
	}

static const struct option_def option_table[] = {
    VALUE("config", config,
	  "configuration file or directory (default /etc/tend.d, else /etc/chaperone.d)"),
    VALUE("user", user, "run services as this existing user (name or uid)"),
    VALUE("create-user", create_user, "create the user first: name[:/path][:uid][:gid]"),
    VALUE("default-home", default_home, "home directory for --create-user when none exists"),
    FLAG("exitkills", exitkills, "shut down when the command exits"),
    FLAG("no-exitkills", no_exitkills, "keep running after the command exits"),
    FLAG("ignore-failures", ignore_failures, "service failures do not stop the container"),
    VALUE("log-level", log_level, "raise every log selector to at least this level"),
    FLAG("no-console-log", no_console_log, "drop stdout/stderr from every logging section"),
    FLAG("debug", debug, "debug logging; print options and configuration"),
    FLAG("force", force, "run even when not PID 1 (as a child subreaper)"),
    FLAG("disable-services", disable_services, "define services but start none"),
    FLAG("no-defaults", no_defaults, "ignore _CHAP_OPTIONS"),
    FLAG("no-syslog", no_syslog, "do not open the syslog socket"),
    FLAG("version", version, "print the version and exit"),
    FLAG("show-dependencies", show_dependencies, "print the start order and exit"),
    FLAG("task", task, "run the command as a task: no services, exit with it"),
    FLAG("help", help, "this help"),
    FLAG("check-config", check_config, "validate; print the merged configuration as JSON"),
    VALUE("pidzero", pidzero, "run pidzero's daemons.json/config.json from DIR"),
    VALUE("syslog-socket", syslog_socket, "path of the syslog socket (default /dev/log)"),
    VALUE("control-socket", control_socket, "path of the control socket (default /dev/tend.sock)"),
};
#define NOPTIONS (sizeof(option_table) / sizeof(option_table[0]))

void options_print_usage(FILE *out)
{
	fprintf(out, "Usage: tend [options] [--] [COMMAND [ARGS...]]\n\n"
		     "Init and process supervisor for containers (chaperone-compatible).\n\n"
		     "Options:\n");
	for (size_t i = 0; i < NOPTIONS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s", option_table[i].name,
			 option_table[i].kind == OPT_VALUE ? "=VALUE" : "");
		fprintf(out, "  %-26s %s\n", left, option_table[i].help);
	}
	fprintf(out, "\nAlso answers as: tini, docker-init, dumb-init, envcp, tendctl, telchap, "
		     "sdnotify, sdnotify-exec (by argv[0] or as 'tend NAME ...').\n");
}

/* Exact name first, then a unique prefix (docopt accepts `--create` for `--create-user`). */
static const struct option_def *option_find(const char *name, size_t len, char *err, size_t errlen)
{
	const struct option_def *match = NULL;
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strlen(option_table[i].name) == len &&
		    strncmp(option_table[i].name, name, len) == 0)
			return &option_table[i];
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (strncmp(option_table[i].name, name, len) != 0)
			continue;
		if (match) {
			snprintf(err, errlen, "--%.*s is ambiguous (--%s, --%s, ...)", (int)len,
				 name, match->name, option_table[i].name);
			return NULL;
		}
		match = &option_table[i];
	}
	if (!match)
		snprintf(err, errlen, "unknown option --%.*s", (int)len, name);
	return match;
}

static int parse_into(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	int i = 0;
	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "-h") == 0) {
			o->help = true;
			continue;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break; /* options first: the command starts here */
		if (arg[1] != '-') {
			snprintf(err, errlen, "unknown option %s", arg);
			return -1;
		}
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct option_def *def = option_find(name, len, err, errlen);
		if (!def)
			return -1;
		char *field = (char *)o + def->offset;
		if (def->kind == OPT_FLAG) {
			if (eq) {
				snprintf(err, errlen, "--%s takes no value", def->name);
				return -1;
			}
			*(bool *)field = true;
		} else {
			const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!value) {
				snprintf(err, errlen, "--%s requires a value", def->name);
				return -1;
			}
			*(const char **)field = value;
		}
	}
	if (i < argc) {
		o->command = argv + i;
		o->ncommand = (size_t)(argc - i);
	}
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, const char *chap_options, char *err,
		  size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (parse_into(o, argc, argv, err, errlen) < 0)
		return -1;
	if (o->no_defaults || !chap_options || !*chap_options)
		return 0;

	/* _CHAP_OPTIONS: every option false or empty on the real command line takes the
	 * variable's value, the command included (chaperone's options.update rule). */
	size_t n;
	o->owned = argv_split(chap_options, &n, err, errlen);
	struct options defaults = {0};
	if (!o->owned || parse_into(&defaults, (int)n, o->owned, err, errlen) < 0) {
		char detail[256];
		snprintf(detail, sizeof(detail), "_CHAP_OPTIONS: %s", err);
		snprintf(err, errlen, "%s", detail);
		return -1;
	}
	for (size_t k = 0; k < NOPTIONS; k++) {
		char *dst = (char *)o + option_table[k].offset;
		const char *src = (const char *)&defaults + option_table[k].offset;
		if (option_table[k].kind == OPT_FLAG) {
			if (!*(bool *)dst)
				*(bool *)dst = *(const bool *)src;
		} else if (!*(const char **)dst) {
			*(const char **)dst = *(const char *const *)src;
		}
	}
	if (!o->command && defaults.command) {
		o->command = defaults.command;
		o->ncommand = defaults.ncommand;
	}
	return 0;
}

void options_free(struct options *o)
{
	argv_free(o->owned);
	o->owned = NULL;
}
