/*
 * options.h — tend's command line: chaperone's options (same names, same meaning, docopt's
 * unique-prefix matching, options before the command), tend's own long options, and
 * _CHAP_OPTIONS filling in whatever the real command line left unset.
 */
#ifndef TEND_OPTIONS_H
#define TEND_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct options {
	/* chaperone's */
	const char *config;
	const char *user;
	const char *create_user;
	const char *default_home;
	bool exitkills;
	bool no_exitkills;
	bool ignore_failures;
	const char *log_level;
	bool no_console_log;
	bool debug;
	bool force;
	bool disable_services;
	bool no_defaults;
	bool no_syslog;
	bool version;
	bool show_dependencies;
	bool task;
	bool help;
	/* tend's own */
	bool check_config;
	const char *pidzero;
	const char *syslog_socket;
	const char *control_socket;
	/* the controlling command (CONSOLE) */
	char **command; /* NULL-terminated, or NULL */
	size_t ncommand;
	/* storage owned by the options (split _CHAP_OPTIONS) */
	char **owned;
};

/* Parse argv (argv[0] excluded), then _CHAP_OPTIONS unless --no-defaults. On a usage error
 * returns -1 with a message in err. */
int options_parse(struct options *options, int argc, char **argv, const char *chap_options,
		  char *err, size_t errlen);
void options_free(struct options *options);
void options_print_usage(FILE *out);

#endif
