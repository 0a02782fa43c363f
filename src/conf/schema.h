/*
 * schema.h — inside conf/: from YAML trees to the typed config.
 *
 * Loading happens in two steps, as in chaperone: the sections of every file are first merged
 * as YAML (schema_merge.c: a later .service replaces, settings and .logging merge key by key,
 * nested maps combine), then the merged sections are checked and converted (schema.c, with
 * the value converters of schema_values.c). So a mistake in a section that a later file
 * replaces is not an error, exactly as in chaperone.
 */
#ifndef TEND_CONF_SCHEMA_H
#define TEND_CONF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "conf/yaml.h"

struct schema_section {
	char *name;
	struct conf_origin origin; /* of the section's key (the last file that set it) */
	struct yaml_node *map;	   /* a reference; keys unique (last one wins) */
};

struct schema_raw {
	struct schema_section *items;
	size_t count;
};

/* Merges one file's root node (a map of sections, or a list of names) into raw. */
void schema_raw_add_file(struct schema_raw *raw, struct yaml_node *root, const char *file,
			 struct conf_errors *errors);
void schema_raw_free(struct schema_raw *raw);

/* Checks every merged section and fills config (which holds the defaults already). */
void schema_build(const struct schema_raw *raw, struct config *config, struct conf_errors *errors);

/* Shared with pidzero.c, which fills the same struct config from JSON: a new service with
 * the defaults at the end of config->services (aborts when out of memory, as the loaders
 * do), and services and logging sections in name order, the order the rest of tend sees. */
struct service_conf *schema_add_service(struct config *config);
void schema_sort_by_name(struct config *config);

/* Where a value is being read, for messages: "foo.service.restart: found ..., allowed: ...". */
struct schema_where {
	const char *section;
	const char *key;
	struct conf_errors *errors;
	int failures; /* counted, so a section can tell whether it is valid */
};

void schema_error(struct schema_where *where, const struct yaml_node *node, const char *allowed);
void schema_error_text(struct schema_where *where, const struct yaml_node *node, const char *found,
		       const char *allowed);

/* Value converters: 0 and the value, or -1 after reporting the error. */
int schema_bool(struct schema_where *where, const struct yaml_node *node, bool *out);
int schema_int(struct schema_where *where, const struct yaml_node *node, long min, long *out);
int schema_number(struct schema_where *where, const struct yaml_node *node, double *out);
int schema_string(struct schema_where *where, const struct yaml_node *node, char **out);
int schema_string_or_int(struct schema_where *where, const struct yaml_node *node, char **out);
int schema_enabled(struct schema_where *where, const struct yaml_node *node, char **out);
int schema_port(struct schema_where *where, const struct yaml_node *node, char **out);
int schema_choice(struct schema_where *where, const struct yaml_node *node,
		  const char *const *choices, char **out);
int schema_signal(struct schema_where *where, const struct yaml_node *node, int *out);
int schema_comma_list(struct schema_where *where, const struct yaml_node *node,
		      struct strlist *out);
int schema_string_list(struct schema_where *where, const struct yaml_node *node,
		       struct strlist *out);
int schema_env_map(struct schema_where *where, const struct yaml_node *node, struct env_map *out);
int schema_size(struct schema_where *where, const struct yaml_node *node, long *out);

/* Levenshtein distance, for "did you mean". */
size_t schema_edit_distance(const char *a, const char *b);
/* The closest of names (NULL-terminated) to word, or NULL when none is close. */
const char *schema_suggest(const char *word, const char *const *names);
/* True when the text will be expanded at launch ($(...), ${...} or a backquote). */
bool schema_has_expansion(const char *text);

#endif
