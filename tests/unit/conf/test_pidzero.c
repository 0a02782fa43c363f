/*
 * test_pidzero.c — pidzero's daemons.json and config.json: the shell command string pidzero
 * builds, vital only when JSON true, the log settings, and malformed files with line:column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf_test.h"

struct pidzero_files {
	char *dir, *daemons, *config;
};

static int load(struct pidzero_files *files, const char *daemons, const char *config_text,
		struct config *config, struct conf_errors *errors)
{
	files->dir = conf_test_dir();
	files->daemons = conf_test_write(files->dir, "daemons.json", daemons);
	files->config =
	    config_text ? conf_test_write(files->dir, "config.json", config_text) : NULL;
	return (config_init_defaults(config),
		conf_load_pidzero(files->daemons, files->config, config, errors));
}

static void done(struct pidzero_files *files, struct config *config, struct conf_errors *errors)
{
	config_free(config);
	conf_errors_free(errors);
	free(files->daemons);
	free(files->config);
	conf_test_cleanup(files->dir);
}

static void test_daemons_and_log(void **state)
{
	(void)state;
	struct pidzero_files files;
	struct config config;
	struct conf_errors errors = {0};
	const char *daemons =
	    "[\n"
	    " {\"name\": \"web\", \"command\": \"httpd -f\", \"vital\": true,\n"
	    "  \"comment\": \"shipped key\", \"environment\": [\"A=1\", \"B='x y'\"]},\n"
	    " {\"name\": \"helper\", \"command\": \"sleep 100\", \"vital\": \"yes\","
	    "  \"comments\": \"read by the code\"}\n"
	    "]\n";
	const char *config_text = "{\"log\": {\"json\": true, \"file_path\": \"pzd.log\","
				  " \"log_to_file\": true, \"log_to_stdout\": false},"
				  " \"api\": {\"enable\": true, \"port\": 5000}}";
	assert_int_equal(load(&files, daemons, config_text, &config, &errors), 0);
	assert_int_equal(config.nservices, 2);
	const struct service_conf *web = config_find_service(&config, "web.service");
	assert_non_null(web);
	assert_string_equal(web->command, "A=1 B='x y' httpd -f");
	assert_true(web->shell_command);
	assert_true(web->vital);
	assert_false(web->restart);
	assert_int_equal(web->type, SERVICE_SIMPLE);
	assert_string_equal(web->stdout_mode, "log");
	const struct service_conf *helper = config_find_service(&config, "helper.service");
	assert_string_equal(helper->command, "sleep 100");
	assert_false(helper->vital); /* only JSON true */
	assert_int_equal(config.nloggings, 1);
	assert_string_equal(config.loggings[0].format, "pidzero-json");
	assert_string_equal(config.loggings[0].file, "pzd.log");
	assert_false(config.loggings[0].to_stdout);
	char *json = config_to_json(&config);
	assert_non_null(strstr(json, "\"vital\": true"));
	free(json);
	done(&files, &config, &errors);
}

static void test_map_format_and_defaults(void **state)
{
	(void)state;
	struct pidzero_files files;
	struct config config;
	struct conf_errors errors = {0};
	const char *daemons = "[{\"name\": \"a\", \"command\": \"true\"}]";
	assert_int_equal(load(&files, daemons,
			      "{\"log\": {\"json\": false, \"log_to_stdout\": true}}", &config,
			      &errors),
			 0);
	assert_string_equal(config.loggings[0].format, "pidzero-map");
	assert_true(config.loggings[0].to_stdout);
	assert_null(config.loggings[0].file);
	done(&files, &config, &errors);

	/* no config.json: JSON records on stdout */
	assert_int_equal(load(&files, daemons, NULL, &config, &errors), 0);
	assert_string_equal(config.loggings[0].format, "pidzero-json");
	assert_true(config.loggings[0].to_stdout);
	done(&files, &config, &errors);
}

static void test_errors(void **state)
{
	(void)state;
	struct pidzero_files files;
	struct config config;
	struct conf_errors errors = {0};
	assert_int_equal(load(&files, "[\n  {\"name\": \"a\",\n   \"command\" \"x\"}\n]\n", NULL,
			      &config, &errors),
			 -1);
	assert_int_equal(errors.count, 1);
	assert_int_equal(errors.items[0].origin.line, 3);
	assert_true(errors.items[0].origin.column > 0);
	assert_non_null(strstr(errors.items[0].message, "malformed JSON: "));
	done(&files, &config, &errors);

	assert_int_equal(load(&files, "[]", NULL, &config, &errors), -1);
	assert_string_equal(errors.items[0].message, "There are no daemons to run. Nothing to do!");
	done(&files, &config, &errors);

	assert_int_equal(
	    load(&files, "[{\"name\": \"a\"}, {\"command\": \"b\"}, 5]", NULL, &config, &errors),
	    -1);
	assert_int_equal(errors.count, 3);
	assert_string_equal(errors.items[0].message,
			    "daemon a.command: found nothing, allowed: a string");
	assert_string_equal(errors.items[1].message,
			    "daemon #2.name: found nothing, allowed: a non-empty string");
	done(&files, &config, &errors);

	assert_int_equal(load(&files, "[{\"name\": \"a\", \"command\": \"b\"}]",
			      "{\"log\": {\"log_to_file\": true}}", &config, &errors),
			 -1);
	assert_string_equal(errors.items[0].message,
			    "log.file_path: found nothing, allowed: a file name (log_to_file is "
			    "true)");
	done(&files, &config, &errors);

	assert_int_equal(load(&files,
			      "[{\"name\": \"a\", \"command\": \"b\"},"
			      "{\"name\": \"a\", \"command\": \"c\"}]",
			      "{,}", &config, &errors),
			 -1);
	assert_int_equal(errors.count, 2);
	done(&files, &config, &errors);

	config_init_defaults(&config);
	assert_int_equal(conf_load_pidzero("/nonexistent/daemons.json", NULL, &config, &errors),
			 -1);
	assert_non_null(strstr(errors.items[0].message, "Unable to open daemons definition at "
							"/nonexistent/daemons.json"));
	config_free(&config);
	conf_errors_free(&errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemons_and_log),
	    cmocka_unit_test(test_map_format_and_defaults),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
