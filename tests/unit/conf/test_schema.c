/*
 * test_schema.c — chaperone's keys, types, defaults and coercions, and every class of
 * configuration error with its exact message and file:line:column.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf_test.h"

static void test_defaults(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	assert_int_equal(conf_test_load("foo.service:\n  command: sleep 1\n", &config, &errors), 0);
	assert_int_equal(config.nservices, 1);
	const struct service_conf *s = config_find_service(&config, "foo.service");
	assert_non_null(s);
	assert_int_equal(s->type, SERVICE_SIMPLE);
	assert_string_equal(s->command, "sleep 1");
	assert_string_equal(s->enabled, "true");
	assert_false(s->optional);
	assert_int_equal(s->ignore_failures, CONF_UNSET);
	assert_int_equal(s->service_groups.count, 1);
	assert_string_equal(s->service_groups.items[0], "default");
	assert_false(s->restart);
	assert_int_equal(s->restart_limit, 5);
	assert_true(s->restart_delay == 3);
	assert_string_equal(s->stdout_mode, "log");
	assert_string_equal(s->stderr_mode, "log");
	assert_int_equal(s->kill_signal, SIGTERM);
	assert_true(s->setpgrp);
	assert_false(s->exit_kills);
	assert_true(service_process_timeout(s, &config.settings) == 30);
	assert_true(service_startup_pause(s, &config.settings) == 0.5);
	assert_true(service_idle_delay(s, &config.settings) == 1.0);
	assert_false(service_ignore_failures(s, &config.settings));
	assert_false(s->env.inherit_set);
	assert_true(config.settings.shutdown_timeout == 8);
	assert_true(config.settings.detect_exit);
	assert_true(config.settings.enable_syslog);
	assert_true(config.settings.status_interval == 30);
	assert_null(config_find_service(&config, "bar.service"));
	config_free(&config);
	assert_int_equal(errors.count, 0);
}

static void test_every_key_and_coercion(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	const char *text =
	    "settings:\n"
	    "  env_inherit: ['PATH', 'LANG*']\n"
	    "  env_set: {A: '1', B: '$(A)2'}\n"
	    "  env_unset: ['X*']\n"
	    "  uid: 1000\n  gid: staff\n"
	    "  idle_delay: 2\n  ignore_failures: yes\n  process_timeout: 12.5\n"
	    "  startup_pause: 0\n  debug: on\n  shutdown_timeout: 0\n"
	    "  detect_exit: false\n  enable_syslog: no\n  status_interval: 5\n"
	    "  logrec_hostname: box\n  syslog_socket: /tmp/log\n"
	    "  syslog_stream_socket: /tmp/logs\n  control_socket: /tmp/c.sock\n"
	    "  control_fifo: /tmp/fifo\n  control_group: wheel\n"
	    "  control_readonly_world: true\n"
	    "  http: {listen: '127.0.0.1:8080', token_file: /run/token}\n"
	    "web.service:\n"
	    "  type: inetd\n  command: /bin/cat\n  enabled: 'Off'\n  optional: true\n"
	    "  ignore_failures: false\n  after: 'db.service ,  cache'\n"
	    "  before: z.service\n  service_groups: web, INIT\n  restart: true\n"
	    "  restart_limit: 0\n  restart_delay: 0.25\n  restart_backoff: 2\n"
	    "  restart_delay_max: 30\n  restart_reset_after: 10\n"
	    "  uid: www\n  gid: 33\n  directory: /srv\n  stdout: inherit\n"
	    "  stderr: log\n  exit_kills: true\n  kill_signal: sighup\n"
	    "  setpgrp: false\n  process_timeout: 1\n  startup_pause: 2\n"
	    "  pidfile: /run/w.pid\n  port: 8080\n  interval: '@daily'\n  debug: true\n"
	    "  env_set: {C: c}\n"
	    "cron.service:\n  type: cron\n  command: x\n  interval: '* * * * *'\n"
	    "  kill_signal: 9\n  port: '$(PORT)'\n  enabled: $(E:-y)\n"
	    "out.logging:\n"
	    "  selector: '*.info'\n  file: /var/log/x-%d.log\n  stdout: true\n"
	    "  stderr: true\n  syslog_host: 'udp://h:514'\n  enabled: true\n"
	    "  overwrite: true\n  extended: true\n  uid: 1\n  gid: 2\n"
	    "  format: json\n  rotate_size: 10M\n  rotate_keep: 3\n"
	    "other.logging: {}\n";
	int result = conf_test_load(text, &config, &errors);
	conf_test_dump(&errors);
	assert_int_equal(result, 0);
	const struct settings_conf *st = &config.settings;
	assert_true(st->env.inherit_set);
	assert_int_equal(st->env.inherit.count, 2);
	assert_int_equal(st->env.set.count, 2);
	assert_string_equal(st->env.set.items[1].name, "B");
	assert_string_equal(st->env.set.items[1].value, "$(A)2");
	assert_int_equal(st->env.set.items[1].origin.line, 3);
	assert_string_equal(st->env.unset.items[0], "X*");
	assert_string_equal(st->uid, "1000");
	assert_string_equal(st->gid, "staff");
	assert_true(st->idle_delay == 2);
	assert_true(st->ignore_failures);
	assert_true(st->process_timeout == 12.5);
	assert_true(st->startup_pause == 0);
	assert_true(st->debug);
	assert_true(st->shutdown_timeout == 0.5); /* chaperone: 0 becomes 0.5 */
	assert_false(st->detect_exit);
	assert_false(st->enable_syslog);
	assert_true(st->status_interval == 5);
	assert_string_equal(st->logrec_hostname, "box");
	assert_string_equal(st->syslog_socket, "/tmp/log");
	assert_string_equal(st->syslog_stream_socket, "/tmp/logs");
	assert_string_equal(st->control_socket, "/tmp/c.sock");
	assert_string_equal(st->control_fifo, "/tmp/fifo");
	assert_string_equal(st->control_group, "wheel");
	assert_true(st->control_readonly_world);
	assert_string_equal(st->http_listen, "127.0.0.1:8080");
	assert_string_equal(st->http_token_file, "/run/token");

	const struct service_conf *w = config_find_service(&config, "web.service");
	assert_int_equal(w->type, SERVICE_INETD);
	assert_string_equal(w->enabled, "Off");
	assert_true(w->optional);
	assert_int_equal(w->ignore_failures, 0);
	assert_int_equal(w->after.count, 2);
	assert_string_equal(w->after.items[0], "db.service");
	assert_string_equal(w->after.items[1], "cache");
	assert_string_equal(w->before.items[0], "z.service");
	assert_int_equal(w->service_groups.count, 2);
	assert_string_equal(w->service_groups.items[1], "INIT");
	assert_true(w->restart);
	assert_int_equal(w->restart_limit, 0);
	assert_true(w->restart_delay == 0.25);
	assert_true(w->restart_backoff == 2);
	assert_true(w->restart_delay_max == 30);
	assert_true(w->restart_reset_after == 10);
	assert_string_equal(w->uid, "www");
	assert_string_equal(w->gid, "33");
	assert_string_equal(w->directory, "/srv");
	assert_string_equal(w->stdout_mode, "inherit");
	assert_true(w->exit_kills);
	assert_int_equal(w->kill_signal, SIGHUP);
	assert_false(w->setpgrp);
	assert_true(service_process_timeout(w, st) == 1);
	assert_true(service_startup_pause(w, st) == 2);
	assert_string_equal(w->pidfile, "/run/w.pid");
	assert_string_equal(w->port, "8080");
	assert_string_equal(w->interval, "@daily");
	assert_int_equal(w->debug, 1);
	assert_string_equal(w->env.set.items[0].name, "C");

	const struct service_conf *c = config_find_service(&config, "cron.service");
	assert_int_equal(c->kill_signal, 9);
	assert_string_equal(c->port, "$(PORT)");
	assert_string_equal(c->enabled, "$(E:-y)");
	/* settings values a service did not set */
	assert_true(service_ignore_failures(c, st));
	assert_true(service_debug(c, st));
	assert_true(service_process_timeout(c, st) == 12.5);
	assert_true(service_startup_pause(c, st) == 0);
	assert_true(service_idle_delay(c, st) == 2);

	assert_int_equal(config.nloggings, 2);
	const struct logging_conf *o = &config.loggings[1];
	assert_string_equal(o->name, "out.logging");
	assert_string_equal(o->selector, "*.info");
	assert_string_equal(o->file, "/var/log/x-%d.log");
	assert_true(o->to_stdout && o->to_stderr && o->overwrite && o->extended);
	assert_string_equal(o->syslog_host, "udp://h:514");
	assert_string_equal(o->enabled, "true");
	assert_string_equal(o->uid, "1");
	assert_string_equal(o->format, "json");
	assert_int_equal(o->rotate_size, 10 * 1024 * 1024);
	assert_int_equal(o->rotate_keep, 3);
	assert_string_equal(o->logrec_hostname, "box");
	assert_string_equal(config.loggings[0].logrec_hostname, "box"); /* from settings */
	config_free(&config);
}

struct error_case {
	const char *yaml;
	int line, column;
	const char *message;
};

static void test_error_messages(void **state)
{
	(void)state;
	static const struct error_case cases[] = {
	    /* unknown key, with and without a suggestion */
	    {"foo.service:\n  command: x\n  comand: y\n", 3, 3,
	     "foo.service: found unknown key 'comand', allowed: a known key (did you mean "
	     "'command'?)"},
	    {"x.logging:\n  colour: red\n", 2, 3,
	     "x.logging: found unknown key 'colour', allowed: enabled, extended, file, format, "
	     "gid, logrec_hostname, overwrite, rotate_keep, rotate_size, selector, stderr, "
	     "stdout, syslog_host, uid"},
	    {"settings:\n  http: {listen: x, tokenfile: y}\n", 2, 21,
	     "settings.http: found unknown key 'tokenfile', allowed: a known key (did you mean "
	     "'token_file'?)"},
	    /* unknown section */
	    {"setings: {}\n", 1, 1,
	     "setings: found an unknown section, allowed: settings, NAME.service or "
	     "NAME.logging (did you mean 'settings'?)"},
	    {"foo.servce: {}\n", 1, 1,
	     "foo.servce: found an unknown section, allowed: settings, NAME.service or "
	     "NAME.logging (did you mean 'foo.service'?)"},
	    {"foo: {}\n", 1, 1,
	     "foo: found an unknown section, allowed: settings, NAME.service or NAME.logging"},
	    /* wrong types */
	    {"foo.service:\n  command: x\n  restart: 'yes'\n", 3, 12,
	     "foo.service.restart: found the string \"yes\", allowed: true or false"},
	    {"foo.service:\n  command: 5\n", 2, 12,
	     "foo.service.command: found the integer 5, allowed: a string (write it in quotes: "
	     "\"5\")"},
	    {"foo.service:\n  command: [a, b]\n", 2, 12,
	     "foo.service.command: found a list, allowed: a string"},
	    {"foo.service:\n  command: x\n  restart_limit: 2.5\n", 3, 18,
	     "foo.service.restart_limit: found the number 2.5, allowed: an integer >= 0"},
	    {"foo.service:\n  command: x\n  process_timeout: soon\n", 3, 20,
	     "foo.service.process_timeout: found the string \"soon\", allowed: a number >= 0"},
	    {"settings:\n  env_set:\n    PORT: 8080\n", 3, 11,
	     "settings.env_set: found the integer 8080 for PORT, allowed: a string (write it "
	     "in quotes: \"8080\")"},
	    {"settings:\n  env_inherit: '*'\n", 2, 16,
	     "settings.env_inherit: found the string \"*\", allowed: a list of strings"},
	    {"foo.service: [x]\n", 1, 14, "foo.service: found a list, allowed: a map of keys"},
	    {"- settings\n- 5\n", 2, 3,
	     "top level: found the integer 5, allowed: a section name (a string)"},
	    {"just text\n", 1, 1,
	     "top level: found the string \"just text\", allowed: a map of sections (settings, "
	     "NAME.service, NAME.logging)"},
	    /* bad values */
	    {"foo.service:\n  command: x\n  type: daemon\n", 3, 9,
	     "foo.service.type: found the string \"daemon\", allowed: one of simple, forking, "
	     "oneshot, notify, inetd, cron"},
	    {"foo.service:\n  command: x\n  stdout: file\n", 3, 11,
	     "foo.service.stdout: found the string \"file\", allowed: one of log, inherit"},
	    {"foo.service:\n  command: x\n  enabled: maybe\n", 3, 12,
	     "foo.service.enabled: found the string \"maybe\", allowed: true or false, or a "
	     "string y/yes/true/on or n/no/false/off/\"\" (any case)"},
	    {"foo.service:\n  command: x\n  port: http\n", 3, 9,
	     "foo.service.port: found the string \"http\", allowed: a port number from 1 to "
	     "65535"},
	    {"x.logging:\n  format: xml\n", 2, 11,
	     "x.logging.format: found the string \"xml\", allowed: one of text, json, "
	     "pidzero-json, pidzero-map"},
	    {"x.logging:\n  rotate_size: 10Q\n", 2, 16,
	     "x.logging.rotate_size: found the string \"10Q\", allowed: a size in bytes >= 0, "
	     "or a number with K, M or G"},
	    /* unknown signal */
	    {"foo.service:\n  command: x\n  kill_signal: TERM\n", 3, 16,
	     "foo.service.kill_signal: found the string \"TERM\", allowed: a signal name such "
	     "as \"SIGTERM\" or \"SIGHUP\", or a number (did you mean \"SIGTERM\"?)"},
	    {"foo.service:\n  command: x\n  kill_signal: SIGNOPE\n", 3, 16,
	     "foo.service.kill_signal: found the string \"SIGNOPE\", allowed: a signal name "
	     "such as \"SIGTERM\" or \"SIGHUP\", or a number"},
	    /* negative timeouts */
	    {"settings:\n  shutdown_timeout: -1\n", 2, 21,
	     "settings.shutdown_timeout: found the integer -1, allowed: a number >= 0"},
	    {"foo.service:\n  command: x\n  startup_pause: -0.5\n", 3, 18,
	     "foo.service.startup_pause: found the number -0.5, allowed: a number >= 0"},
	    /* required, gid without uid, reserved, system names */
	    {"foo.service:\n  type: simple\n", 1, 1,
	     "foo.service: found no 'command', allowed: a service with a command (the key is "
	     "required)"},
	    {"foo.service:\n  command: x\n  gid: staff\n", 3, 8,
	     "foo.service.gid: found 'gid' without 'uid', allowed: 'gid' only together with "
	     "'uid'"},
	    {"x.logging:\n  gid: 5\n", 2, 8,
	     "x.logging.gid: found 'gid' without 'uid', allowed: 'gid' only together with "
	     "'uid'"},
	    {"FOO.service:\n  command: x\n", 1, 1,
	     "FOO.service: found an all-uppercase name, allowed: a name with a lowercase letter "
	     "(all-uppercase names are reserved for the system)"},
	    {"foo.service:\n  command: x\n  after: IDLE\n", 3, 10,
	     "foo.service.after: found IDLE, allowed: any service or group but IDLE (IDLE "
	     "services start after all others)"},
	    {"foo.service:\n  command: x\n  before: a, INIT\n", 3, 11,
	     "foo.service.before: found INIT, allowed: any service or group but INIT (INIT "
	     "services start before all others)"},
	    {"foo.service:\n  command: x\n  after: DB\n", 3, 10,
	     "foo.service.after: found 'DB', allowed: service or group names (the only "
	     "all-uppercase names are IDLE, INIT, CONSOLE and MAIN)"},
	    {"foo.service:\n  command: x\n  service_groups: web, CORE\n", 3, 19,
	     "foo.service.service_groups: found 'CORE', allowed: group names (the only "
	     "all-uppercase groups are IDLE and INIT)"},
	    /* YAML syntax */
	    {"foo.service:\n  command: \"x\n", 3, 1,
	     "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar "
	     "at 2:12)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config config;
		struct conf_errors errors = {0};
		int result = conf_test_load(cases[i].yaml, &config, &errors);
		if (result != -1 ||
		    !conf_test_has_error(&errors, cases[i].line, cases[i].column, cases[i].message))
			fail_msg("case %zu: %s", i, cases[i].yaml);
		/* one mistake, one message */
		if (errors.count != 1) {
			conf_test_dump(&errors);
			fail_msg("case %zu gave %zu errors", i, errors.count);
		}
		conf_errors_free(&errors);
		config_free(&config);
	}
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	const char *text = "settings:\n  shutdown_timeout: -1\n  idle_delay: x\n"
			   "a.service:\n  command: x\n  restart: 1\n  kill_signal: HUP\n"
			   "b.service: {after: c.service}\n";
	assert_int_equal(conf_test_load(text, &config, &errors), -1);
	assert_int_equal(errors.count, 5);
	/* printed as file:line:column: error: message */
	char *buffer = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buffer, &size);
	conf_errors_print(&errors, out);
	fclose(out);
	assert_non_null(strstr(buffer, "/test.conf:2:21: error: settings.shutdown_timeout: "));
	free(buffer);
	conf_errors_free(&errors);
	config_free(&config);
}

static void test_cycle_is_an_error(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	const char *text = "a.service: {command: a, after: b.service}\n"
			   "b.service: {command: b, after: a.service}\n";
	assert_int_equal(conf_test_load(text, &config, &errors), -1);
	assert_int_equal(errors.count, 1);
	assert_non_null(strstr(errors.items[0].message, "a.service"));
	assert_non_null(strstr(errors.items[0].message, "b.service"));
	assert_int_not_equal(errors.items[0].origin.line, 0);
	conf_errors_free(&errors);
	config_free(&config);
}

static void test_chaperone_quirks(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	/* a top-level list names empty sections; null sections are empty; .logging is not
	 * anchored (checked, but only names ending in .logging are used); duplicate keys: the
	 * last one wins; trailing commas in lists are dropped */
	const char *text = "settings:\n"
			   "foo.service:\n  command: one\n  command: two\n  after: 'a,,b,'\n"
			   "x.logging.old:\n  stdout: true\n"
			   "x.logging:\n  enabled: ''\n";
	assert_int_equal(conf_test_load(text, &config, &errors), 0);
	const struct service_conf *foo = config_find_service(&config, "foo.service");
	assert_string_equal(foo->command, "two");
	assert_int_equal(foo->after.count, 2);
	assert_int_equal(config.nloggings, 1);
	assert_string_equal(config.loggings[0].enabled, "");
	config_free(&config);

	assert_int_equal(conf_test_load("- settings\n- x.logging\n", &config, &errors), 0);
	assert_int_equal(config.nloggings, 1);
	config_free(&config);

	/* x.logging.old is still checked */
	assert_int_equal(conf_test_load("x.logging.old: {stdout: 3}\n", &config, &errors), -1);
	assert_int_equal(errors.count, 1);
	conf_errors_free(&errors);
	config_free(&config);

	/* a section name with no lowercase letter at all is reserved (Python's isupper) */
	assert_int_equal(conf_test_load("123.service: {command: x}\n", &config, &errors), -1);
	conf_errors_free(&errors);
	config_free(&config);
}

static void test_helpers(void **state)
{
	(void)state;
	bool value;
	assert_int_equal(conf_bool_from_string(" Yes ", &value), 0);
	assert_true(value);
	assert_int_equal(conf_bool_from_string("", &value), 0);
	assert_false(value);
	assert_int_equal(conf_bool_from_string("N", &value), 0);
	assert_false(value);
	assert_int_equal(conf_bool_from_string("1", &value), -1);
	long number;
	assert_int_equal(conf_int_from_string(" 8_080 ", &number), 0);
	assert_int_equal(number, 8080);
	assert_int_equal(conf_int_from_string("80a", &number), -1);
	assert_int_equal(conf_int_from_string("", &number), -1);
	assert_int_equal(conf_signal_from_name("SIGTERM"), SIGTERM);
	assert_int_equal(conf_signal_from_name("sigkill"), SIGKILL);
	assert_int_equal(conf_signal_from_name("15"), 15);
	assert_int_equal(conf_signal_from_name("TERM"), -1);
	assert_int_equal(conf_signal_from_name("SIG"), -1);
	assert_int_equal(service_type_from_name("notify"), SERVICE_NOTIFY);
	assert_int_equal(service_type_from_name("daemon"), -1);
	assert_string_equal(service_type_name(SERVICE_CRON), "cron");
}

static void test_missing_path_is_empty(void **state)
{
	(void)state;
	struct config config;
	struct conf_errors errors = {0};
	struct conf_load_options options = {.path = "/nonexistent/tend/config"};
	config_init_defaults(&config);
	assert_int_equal(conf_load(&options, &config, &errors), 0);
	assert_int_equal(config.nservices, 0);
	assert_null(config.config_dir);
	config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	      cmocka_unit_test(test_every_key_and_coercion),
	    cmocka_unit_test(test_error_messages),    cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_cycle_is_an_error), cmocka_unit_test(test_chaperone_quirks),
	    cmocka_unit_test(test_helpers),	      cmocka_unit_test(test_missing_path_is_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
