/*
 * conf_test.c — see conf_test.h.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_test.h"

char *conf_test_dir(void)
{
	char *dir = strdup("/tmp/tend-conf-test-XXXXXX");
	if (!dir || !mkdtemp(dir))
		abort();
	return dir;
}

void conf_test_cleanup(char *dir)
{
	DIR *handle = opendir(dir);
	if (handle) {
		struct dirent *entry;
		while ((entry = readdir(handle)) != NULL) {
			if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
				continue;
			char *path = NULL;
			if (asprintf(&path, "%s/%s", dir, entry->d_name) < 0)
				abort();
			if (unlink(path) < 0)
				rmdir(path);
			free(path);
		}
		closedir(handle);
	}
	rmdir(dir);
	free(dir);
}

char *conf_test_write(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	FILE *file = fopen(path, "w");
	if (!file)
		abort();
	fputs(text, file);
	fclose(file);
	return path;
}

int conf_test_load(const char *text, struct config *config, struct conf_errors *errors)
{
	char *dir = conf_test_dir();
	char *path = conf_test_write(dir, "test.conf", text);
	struct conf_load_options options = {.path = path};
	int result = (config_init_defaults(config), conf_load(&options, config, errors));
	free(path);
	conf_test_cleanup(dir);
	return result;
}

int conf_test_has_error(const struct conf_errors *errors, int line, int column, const char *message)
{
	for (size_t i = 0; i < errors->count; i++) {
		const struct conf_error *error = &errors->items[i];
		if (strcmp(error->message, message) != 0)
			continue;
		if (line > 0 && (error->origin.line != line || error->origin.column != column))
			continue;
		return 1;
	}
	conf_test_dump(errors);
	fprintf(stderr, "missing: %d:%d: %s\n", line, column, message);
	return 0;
}

void conf_test_dump(const struct conf_errors *errors)
{
	conf_errors_print(errors, stderr);
}
