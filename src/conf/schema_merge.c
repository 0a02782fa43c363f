/*
 * schema_merge.c — the sections of several files merged into one set, by chaperone's rules
 * (Configuration._merge): inside a file a repeated key is replaced by the last one; across
 * files a `.service` section replaces the earlier one whole, while `settings` and `.logging`
 * sections are updated key by key, and a key whose old and new values are both maps
 * (env_set, http) gets the two maps combined.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/schema.h"

static bool merge_keys_equal(const struct yaml_node *a, const struct yaml_node *b)
{
	return a->kind == YAML_NODE_SCALAR && b->kind == YAML_NODE_SCALAR && a->type == b->type &&
	       strcmp(a->text, b->text) == 0;
}

static bool merge_is_service(const char *name)
{
	size_t length = strlen(name);
	return length > 8 && strcmp(name + length - 8, ".service") == 0;
}

/* Adds key: value to map; a key already there keeps its place and takes the value (Python
 * dict semantics); with combine, two maps are combined instead. */
static void merge_put(struct yaml_node *map, struct yaml_node *key, struct yaml_node *value,
		      bool combine)
{
	for (size_t i = 0; i < map->npairs; i++) {
		struct yaml_pair *pair = &map->pairs[i];
		if (!merge_keys_equal(pair->key, key))
			continue;
		struct yaml_node *replacement;
		if (combine && pair->value->kind == YAML_NODE_MAP && value->kind == YAML_NODE_MAP) {
			replacement = yaml_node_new(YAML_NODE_MAP, &value->origin);
			for (size_t j = 0; j < pair->value->npairs; j++)
				merge_put(replacement, pair->value->pairs[j].key,
					  pair->value->pairs[j].value, false);
			for (size_t j = 0; j < value->npairs; j++)
				merge_put(replacement, value->pairs[j].key, value->pairs[j].value,
					  false);
		} else {
			replacement = yaml_node_ref(value);
		}
		yaml_node_unref(pair->value);
		pair->value = replacement;
		return;
	}
	yaml_map_append(map, key, value);
}

/* A copy of map in which every key appears once (the last value wins). */
static struct yaml_node *merge_dedupe(const struct yaml_node *map)
{
	struct yaml_node *result = yaml_node_new(YAML_NODE_MAP, &map->origin);
	for (size_t i = 0; i < map->npairs; i++)
		merge_put(result, map->pairs[i].key, map->pairs[i].value, false);
	return result;
}

static struct schema_section *merge_find(struct schema_raw *raw, const char *name)
{
	for (size_t i = 0; i < raw->count; i++)
		if (strcmp(raw->items[i].name, name) == 0)
			return &raw->items[i];
	return NULL;
}

static struct schema_section *merge_append(struct schema_raw *raw, const char *name)
{
	struct schema_section *items = reallocarray(raw->items, raw->count + 1, sizeof *items);
	if (!items)
		abort();
	raw->items = items;
	struct schema_section *section = &items[raw->count++];
	memset(section, 0, sizeof *section);
	section->name = strdup(name);
	if (!section->name)
		abort();
	return section;
}

static void merge_section(struct schema_raw *file_sections, const struct yaml_node *key,
			  const struct yaml_node *value, struct conf_errors *errors)
{
	struct yaml_node *map;
	if (value && value->kind == YAML_NODE_MAP) {
		map = merge_dedupe(value);
	} else if (!value || (value->kind == YAML_NODE_SCALAR && value->type == YAML_NULL)) {
		map = yaml_node_new(YAML_NODE_MAP, &key->origin); /* "foo.service:" alone */
	} else {
		struct schema_where where = {.section = key->text, .errors = errors};
		schema_error(&where, value, "a map of keys");
		return;
	}
	/* Inside one file a repeated section replaces the earlier one (a YAML duplicate key). */
	struct schema_section *section = merge_find(file_sections, key->text);
	if (!section)
		section = merge_append(file_sections, key->text);
	yaml_node_unref(section->map);
	section->map = map;
	section->origin = key->origin;
}

static void merge_file_sections(struct schema_raw *raw, struct schema_raw *file_sections)
{
	for (size_t i = 0; i < file_sections->count; i++) {
		struct schema_section *incoming = &file_sections->items[i];
		struct schema_section *existing = merge_find(raw, incoming->name);
		if (!existing || merge_is_service(incoming->name)) {
			if (!existing)
				existing = merge_append(raw, incoming->name);
			yaml_node_unref(existing->map);
			existing->map = yaml_node_ref(incoming->map);
		} else {
			struct yaml_node *merged = merge_dedupe(existing->map);
			for (size_t j = 0; j < incoming->map->npairs; j++)
				merge_put(merged, incoming->map->pairs[j].key,
					  incoming->map->pairs[j].value, true);
			yaml_node_unref(existing->map);
			existing->map = merged;
		}
		existing->origin = incoming->origin;
	}
}

void schema_raw_add_file(struct schema_raw *raw, struct yaml_node *root, const char *file,
			 struct conf_errors *errors)
{
	if (!root || (root->kind == YAML_NODE_SCALAR && root->type == YAML_NULL))
		return; /* an empty file adds nothing */
	struct schema_raw file_sections = {0};
	struct schema_where where = {.section = "top level", .errors = errors};
	if (root->kind == YAML_NODE_SEQ) {
		/* chaperone accepts a list of names: each becomes an empty section. */
		for (size_t i = 0; i < root->count; i++) {
			if (yaml_is_string(root->items[i]))
				merge_section(&file_sections, root->items[i], NULL, errors);
			else
				schema_error(&where, root->items[i], "a section name (a string)");
		}
	} else if (root->kind == YAML_NODE_MAP) {
		for (size_t i = 0; i < root->npairs; i++) {
			if (yaml_is_string(root->pairs[i].key))
				merge_section(&file_sections, root->pairs[i].key,
					      root->pairs[i].value, errors);
			else
				schema_error(&where, root->pairs[i].key,
					     "a section name (a string): settings, NAME.service "
					     "or NAME.logging");
		}
	} else {
		schema_error(&where, root,
			     "a map of sections (settings, NAME.service, NAME.logging)");
	}
	(void)file;
	merge_file_sections(raw, &file_sections);
	schema_raw_free(&file_sections);
}

void schema_raw_free(struct schema_raw *raw)
{
	for (size_t i = 0; i < raw->count; i++) {
		free(raw->items[i].name);
		yaml_node_unref(raw->items[i].map);
	}
	free(raw->items);
	raw->items = NULL;
	raw->count = 0;
}
