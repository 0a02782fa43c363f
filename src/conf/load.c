/*
 * load.c — conf_load(): a chaperone.d file or directory into a struct config, as chaperone's
 * Configuration.configFromCommandSpec does: a missing path is an empty configuration, a
 * directory means its top-level *.conf and *.yaml files in byte order, and every file's
 * sections are merged before the result is checked (schema.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/graph.h"
#include "conf/schema.h"

/* A configuration file larger than this is certainly a mistake (a log, a binary). */
#define CONF_MAX_FILE_SIZE (16 * 1024 * 1024)

static int load_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Python's os.path.dirname, which chaperone uses for _CHAP_CONFIG_DIR. */
static char *load_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t length = slash ? (size_t)(slash - path) + 1 : 0;
	size_t stripped = length;
	while (stripped > 0 && path[stripped - 1] == '/')
		stripped--;
	if (stripped > 0)
		length = stripped; /* "/a/b/" -> "/a/b", "/a" -> "/" (all slashes are kept) */
	char *result = strndup(path, length);
	if (!result)
		abort();
	return result;
}

/* Reads a whole regular file; NULL with an error reported. */
static char *load_read_file(const char *path, size_t *length, struct conf_errors *errors)
{
	struct conf_origin origin = {path, 0, 0};
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		conf_errors_add(errors, &origin, "cannot open the file: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	const char *problem = NULL;
	if (fstat(fd, &st) < 0)
		problem = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		problem = "not a regular file";
	else if (st.st_size > CONF_MAX_FILE_SIZE)
		problem = "the file is larger than 16 MiB";
	if (problem) {
		conf_errors_add(errors, &origin, "cannot read the file: %s", problem);
		close(fd);
		return NULL;
	}
	size_t capacity = (size_t)st.st_size + 1, used = 0;
	char *text = malloc(capacity);
	if (!text)
		abort();
	for (;;) {
		if (used + 1 >= capacity) {
			if (capacity > CONF_MAX_FILE_SIZE) {
				conf_errors_add(errors, &origin, "the file is larger than 16 MiB");
				free(text);
				close(fd);
				return NULL;
			}
			capacity *= 2;
			char *bigger = realloc(text, capacity);
			if (!bigger)
				abort();
			text = bigger;
		}
		ssize_t n = read(fd, text + used, capacity - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_errors_add(errors, &origin, "cannot read the file: %s",
					strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	text[used] = '\0';
	*length = used;
	return text;
}

/* Reads one file into raw; its name joins config->files, which owns it for the origins. */
static void load_file(const char *path, struct config *config, struct schema_raw *raw,
		      struct conf_errors *errors)
{
	strlist_append(&config->files, path);
	const char *file = config->files.items[config->files.count - 1];
	size_t length;
	char *text = load_read_file(file, &length, errors);
	if (!text)
		return;
	bool failed;
	struct yaml_node *root = yaml_parse(text, length, file, errors, &failed);
	free(text);
	if (!failed)
		schema_raw_add_file(raw, root, file, errors);
	yaml_node_unref(root);
}

static int load_directory(const char *path, struct config *config, struct schema_raw *raw,
			  struct conf_errors *errors)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		struct conf_origin origin = {path, 0, 0};
		conf_errors_add(errors, &origin, "cannot read the directory: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct strlist names = {0};
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		size_t length = strlen(entry->d_name);
		if ((length >= 5 && strcmp(entry->d_name + length - 5, ".conf") == 0) ||
		    (length >= 5 && strcmp(entry->d_name + length - 5, ".yaml") == 0))
			strlist_append(&names, entry->d_name);
	}
	closedir(dir);
	if (names.count > 1)
		qsort(names.items, names.count, sizeof *names.items, load_compare_names);
	size_t path_length = strlen(path);
	bool slash = path_length > 0 && path[path_length - 1] == '/';
	for (size_t i = 0; i < names.count; i++) {
		char *file = NULL;
		if (asprintf(&file, "%s%s%s", path, slash ? "" : "/", names.items[i]) < 0)
			abort();
		load_file(file, config, raw, errors);
		free(file);
	}
	strlist_free(&names);
	return 0;
}

struct load_sort_entry {
	struct conf_error error;
	size_t file_index;
	size_t position; /* keeps the sort stable */
};

static int load_compare_errors(const void *a, const void *b)
{
	const struct load_sort_entry *x = a, *y = b;
	if (x->file_index != y->file_index)
		return x->file_index < y->file_index ? -1 : 1;
	if (x->error.origin.line != y->error.origin.line)
		return x->error.origin.line < y->error.origin.line ? -1 : 1;
	if (x->error.origin.column != y->error.origin.column)
		return x->error.origin.column < y->error.origin.column ? -1 : 1;
	return x->position < y->position ? -1 : x->position > y->position;
}

/* Errors are found in passes (YAML, schema, graph); users read them best in file order. */
static void load_sort_errors(const struct config *config, struct conf_errors *errors, size_t from)
{
	size_t count = errors->count - from;
	if (count < 2)
		return;
	struct load_sort_entry *entries = calloc(count, sizeof *entries);
	if (!entries)
		abort();
	for (size_t i = 0; i < count; i++) {
		entries[i].error = errors->items[from + i];
		entries[i].position = i;
		entries[i].file_index = config->files.count; /* unknown files last */
		for (size_t f = 0; f < config->files.count; f++) {
			if (entries[i].error.origin.file &&
			    strcmp(entries[i].error.origin.file, config->files.items[f]) == 0) {
				entries[i].file_index = f;
				break;
			}
		}
	}
	qsort(entries, count, sizeof *entries, load_compare_errors);
	for (size_t i = 0; i < count; i++)
		errors->items[from + i] = entries[i].error;
	free(entries);
}

int conf_load(const struct conf_load_options *options, struct config *config,
	      struct conf_errors *errors)
{
	size_t errors_before = errors->count;
	if (!options || !options->path || !*options->path) {
		conf_errors_add(errors, NULL, "no configuration path given");
		return -1;
	}
	struct stat st;
	if (stat(options->path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return conf_validate(config,
					     errors); /* chaperone: an empty configuration */
		struct conf_origin origin = {options->path, 0, 0};
		conf_errors_add(errors, &origin, "cannot use the configuration path: %s",
				strerror(errno));
		return -1;
	}
	config->config_dir = load_dirname(options->path);
	struct schema_raw raw = {0};
	if (S_ISDIR(st.st_mode))
		load_directory(options->path, config, &raw, errors);
	else
		load_file(options->path, config, &raw, errors);
	schema_build(&raw, config, errors);
	schema_raw_free(&raw);
	conf_validate(config, errors);
	load_sort_errors(config, errors, errors_before);
	if (errors->count > errors_before)
		return -1;
	return 0;
}

/* "foo.service.after: found IDLE" of "foo.service.after: found IDLE, allowed: ...". */
static size_t load_problem_length(const char *message)
{
	const char *allowed = strstr(message, ", allowed:");
	return allowed ? (size_t)(allowed - message) : strlen(message);
}

/* The schema and the graph both check some rules (after: IDLE, before: INIT); the same
 * problem (same section, key and value) is reported once, with the schema's exact place. */
static bool load_already_reported(const struct conf_errors *errors, const char *message)
{
	size_t length = load_problem_length(message);
	for (size_t i = 0; i < errors->count; i++) {
		const char *other = errors->items[i].message;
		if (load_problem_length(other) == length && strncmp(other, message, length) == 0)
			return true;
	}
	return false;
}

int conf_validate(struct config *config, struct conf_errors *errors)
{
	size_t errors_before = errors->count;
	struct conf_errors graph_errors = {0};
	struct graph graph = {0};
	graph_build(config, &graph, &graph_errors);
	graph_free(&graph);
	for (size_t i = 0; i < graph_errors.count; i++) {
		const struct conf_error *error = &graph_errors.items[i];
		if (!load_already_reported(errors, error->message))
			conf_errors_add(errors, &error->origin, "%s", error->message);
	}
	conf_errors_free(&graph_errors);
	return errors->count > errors_before ? -1 : 0;
}
