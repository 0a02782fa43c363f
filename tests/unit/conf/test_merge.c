/*
 * test_merge.c — a directory of files, merged as chaperone merges them: only .conf and
 * .yaml files, byte-sorted; a later .service replaces, settings and .logging merge key by key,
 * nested maps (env_set, http) combine, and errors name the file they are in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "conf_test.h"

static const char *env_value(const struct env_map *map, const char *name)
{
	for (size_t i = 0; i < map->count; i++)
		if (strcmp(map->items[i].name, name) == 0)
			return map->items[i].value;
	return NULL;
}

static void test_directory_merge(void **state)
{
	(void)state;
	char *dir = conf_test_dir();
	free(conf_test_write(dir, "10-base.conf",
			     "settings:\n  env_set: {A: a1, B: b1}\n  idle_delay: 3\n"
			     "  http: {listen: ':1'}\n"
			     "web.service:\n  command: old\n  restart: true\n  bogus: 1\n"
			     "out.logging:\n  stdout: true\n  selector: '*.info'\n"));
	free(conf_test_write(dir, "20-more.yaml",
			     "settings:\n  env_set: {B: b2, C: c2}\n"
			     "  http: {token_file: /t}\n"
			     "web.service:\n  command: new\n"
			     "out.logging:\n  selector: '*.err'\n"
			     "db.service:\n  command: db\n"));
	free(conf_test_write(dir, "05-first.conf", "settings:\n  idle_delay: 1\n  debug: true\n"));
	free(conf_test_write(dir, "README.md", "this: [is not read\n"));
	free(conf_test_write(dir, "30-x.conf.bak", "nor: [this\n"));
	char *sub = NULL;
	if (asprintf(&sub, "%s/sub", dir) < 0)
		abort();
	mkdir(sub, 0755);
	free(conf_test_write(sub, "x.conf", "nor: [this\n")); /* not recursive */
	free(sub);

	struct config config;
	struct conf_errors errors = {0};
	struct conf_load_options options = {.path = dir};
	int result = (config_init_defaults(&config), conf_load(&options, &config, &errors));
	conf_test_dump(&errors);
	assert_int_equal(result, 0); /* web.service's bogus key was replaced away */
	assert_int_equal(config.files.count, 3);
	assert_non_null(strstr(config.files.items[0], "/05-first.conf"));
	assert_non_null(strstr(config.files.items[1], "/10-base.conf"));
	assert_non_null(strstr(config.files.items[2], "/20-more.yaml"));
	/* _CHAP_CONFIG_DIR is the parent of the config path */
	assert_non_null(config.config_dir);
	assert_int_equal(strncmp(config.config_dir, "/tmp", 4), 0);
	assert_null(strstr(config.config_dir, "tend-conf-test"));

	const struct settings_conf *st = &config.settings;
	assert_true(st->idle_delay == 3);
	assert_true(st->debug);
	assert_string_equal(env_value(&st->env.set, "A"), "a1");
	assert_string_equal(env_value(&st->env.set, "B"), "b2");
	assert_string_equal(env_value(&st->env.set, "C"), "c2");
	assert_string_equal(st->env.set.items[1].name, "B"); /* B keeps its place */
	assert_string_equal(st->http_listen, ":1");
	assert_string_equal(st->http_token_file, "/t");

	const struct service_conf *web = config_find_service(&config, "web.service");
	assert_string_equal(web->command, "new");
	assert_false(web->restart); /* replaced whole */
	assert_non_null(strstr(web->origin.file, "20-more.yaml"));
	assert_int_equal(config.nservices, 2);
	assert_string_equal(config.services[0].name, "db.service"); /* name order */

	assert_int_equal(config.nloggings, 1);
	assert_true(config.loggings[0].to_stdout);
	assert_string_equal(config.loggings[0].selector, "*.err");
	config_free(&config);
	conf_test_cleanup(dir);
}

static void test_errors_name_their_file(void **state)
{
	(void)state;
	char *dir = conf_test_dir();
	free(conf_test_write(dir, "a.conf", "settings:\n  debug: 1\n"));
	free(conf_test_write(dir, "b.conf", "x.service:\n  command: x\n  restart: maybe\n"));
	free(conf_test_write(dir, "c.conf", "y.service: {command: [\n"));
	struct config config;
	struct conf_errors errors = {0};
	struct conf_load_options options = {.path = dir};
	config_init_defaults(&config);
	assert_int_equal(conf_load(&options, &config, &errors), -1);
	assert_int_equal(errors.count, 3);
	assert_non_null(strstr(errors.items[0].origin.file, "/a.conf"));
	assert_int_equal(errors.items[0].origin.line, 2);
	assert_non_null(strstr(errors.items[1].origin.file, "/b.conf"));
	assert_int_equal(errors.items[1].origin.line, 3);
	assert_non_null(strstr(errors.items[2].origin.file, "/c.conf"));
	assert_non_null(strstr(errors.items[2].message, "YAML syntax error"));
	/* errors own their file names: they outlive the config */
	config_free(&config);
	conf_test_cleanup(dir);
	assert_int_equal(errors.items[1].origin.column, 12);
	assert_non_null(strstr(errors.items[1].origin.file, "/b.conf"));
	conf_errors_free(&errors);
}

static void test_settings_nested_map_within_one_file(void **state)
{
	(void)state;
	/* inside one file a repeated key replaces (no combining), across files maps combine */
	struct config config;
	struct conf_errors errors = {0};
	assert_int_equal(conf_test_load("settings:\n  env_set: {A: '1'}\n  env_set: {B: '2'}\n",
					&config, &errors),
			 0);
	assert_int_equal(config.settings.env.set.count, 1);
	assert_string_equal(config.settings.env.set.items[0].name, "B");
	config_free(&config);
}

static void test_single_file_and_empty_file(void **state)
{
	(void)state;
	char *dir = conf_test_dir();
	char *path = conf_test_write(dir, "only.yaml", "");
	struct config config;
	struct conf_errors errors = {0};
	struct conf_load_options options = {.path = path};
	config_init_defaults(&config);
	assert_int_equal(conf_load(&options, &config, &errors), 0);
	assert_int_equal(config.files.count, 1);
	assert_int_equal(config.nservices, 0);
	assert_string_equal(config.config_dir, dir);
	config_free(&config);
	free(path);
	conf_test_cleanup(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_directory_merge),
	    cmocka_unit_test(test_errors_name_their_file),
	    cmocka_unit_test(test_settings_nested_map_within_one_file),
	    cmocka_unit_test(test_single_file_and_empty_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
