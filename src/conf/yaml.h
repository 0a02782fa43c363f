/*
 * yaml.h — a YAML file as a small tree (maps, lists, scalars) in which every node remembers
 * file:line:column, so that the schema can name the exact place of every problem.
 *
 * Plain scalars are resolved the way PyYAML's yaml.load does (YAML 1.1): null, booleans
 * (true/false/yes/no/on/off in three spellings), integers (decimal, 0x, 0b, leading-0 octal,
 * underscores, sexagesimal) and floats (which need a dot: "1e3" stays a string). Quoted
 * scalars are always strings. Aliases share their anchor's node; `<<` merge keys are applied.
 */
#ifndef TEND_CONF_YAML_H
#define TEND_CONF_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

enum yaml_kind { YAML_NODE_SCALAR, YAML_NODE_SEQ, YAML_NODE_MAP };

enum yaml_scalar_type { YAML_NULL, YAML_BOOL, YAML_INT, YAML_FLOAT, YAML_STR };

struct yaml_pair;

struct yaml_node {
	enum yaml_kind kind;
	struct conf_origin origin;
	int refs; /* aliases and merged sections share nodes */
	/* scalars */
	enum yaml_scalar_type type;
	char *text; /* the scalar as written (after YAML unescaping) */
	bool bool_value;
	long long int_value;
	double float_value;
	/* sequences */
	struct yaml_node **items;
	size_t count;
	/* maps, in file order; duplicate keys are kept (the schema lets the last one win) */
	struct yaml_pair *pairs;
	size_t npairs;
};

struct yaml_pair {
	struct yaml_node *key;
	struct yaml_node *value;
};

/* Parses a whole buffer (tabs expanded first, as chaperone does). `file` is stored in every
 * origin and must outlive the tree. Returns the document's root (NULL for an empty document,
 * with no error), or NULL with an error in errors. */
struct yaml_node *yaml_parse(const char *text, size_t length, const char *file,
			     struct conf_errors *errors, bool *failed);

struct yaml_node *yaml_node_new(enum yaml_kind kind, const struct conf_origin *origin);
struct yaml_node *yaml_node_ref(struct yaml_node *node);
void yaml_node_unref(struct yaml_node *node);
/* Appends a pair to a map, taking a reference on key and value. */
void yaml_map_append(struct yaml_node *map, struct yaml_node *key, struct yaml_node *value);

/* True when node is a scalar string (not a null, bool or number). */
bool yaml_is_string(const struct yaml_node *node);
/* "a list", "a map", "null", "true", "an integer (5)", "a string (\"x\")": for messages.
 * Writes into buf (always NUL-terminated) and returns it. */
const char *yaml_describe(const struct yaml_node *node, char *buf, size_t size);

/* Python's str.expandtabs(8): malloc'd, length in *out_length. */
char *yaml_expand_tabs(const char *text, size_t length, size_t *out_length);

#endif
