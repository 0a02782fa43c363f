/*
 * yaml.c — libyaml's event stream folded into a tree of yaml_node, each with its
 * file:line:column. The tree is built without recursion (an explicit stack bounded by
 * YAML_MAX_DEPTH), so hostile input cannot exhaust the C stack; aliases share nodes (reference
 * counted) instead of copying them, so "billion laughs" documents cost no memory.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/yaml.h"
#include "conf/yaml_resolve.h"

#define YAML_MAX_DEPTH	      64
#define YAML_MAX_MERGED_PAIRS 100000

struct yaml_anchor {
	char *name;
	struct yaml_node *node; /* not a reference: the tree keeps it alive */
};

struct yaml_frame {
	struct yaml_node *node;
	struct yaml_node *pending_key; /* maps: the key waiting for its value (a reference) */
};

struct yaml_builder {
	const char *file;
	const char *text; /* for reader errors, which only give a byte offset */
	struct conf_errors *errors;
	struct yaml_frame stack[YAML_MAX_DEPTH];
	size_t depth;
	struct yaml_anchor *anchors;
	size_t nanchors;
	struct yaml_node *root;
	int documents;
	size_t merged_pairs; /* bounded: merge keys over aliases could otherwise explode */
	bool failed;
};

static void *yaml_xrealloc(void *ptr, size_t count, size_t size)
{
	void *result = reallocarray(ptr, count ? count : 1, size);
	if (!result)
		abort(); /* configuration loading runs before anything is started */
	return result;
}

static char *yaml_xstrndup(const char *text, size_t length)
{
	char *copy = strndup(text, length);
	if (!copy)
		abort();
	return copy;
}

struct yaml_node *yaml_node_new(enum yaml_kind kind, const struct conf_origin *origin)
{
	struct yaml_node *node = calloc(1, sizeof *node);
	if (!node)
		abort();
	node->kind = kind;
	node->refs = 1;
	node->type = YAML_NULL;
	if (origin)
		node->origin = *origin;
	return node;
}

struct yaml_node *yaml_node_ref(struct yaml_node *node)
{
	if (node)
		node->refs++;
	return node;
}

void yaml_node_unref(struct yaml_node *node)
{
	/* Iterative: chains of aliases can make a tree far deeper than the file's nesting. */
	struct yaml_node **work = NULL;
	size_t count = 0, capacity = 0;
	while (node) {
		if (--node->refs == 0) {
			size_t more = node->count + 2 * node->npairs;
			if (count + more > capacity) {
				capacity = (count + more) * 2;
				work = yaml_xrealloc(work, capacity, sizeof *work);
			}
			for (size_t i = 0; i < node->count; i++)
				work[count++] = node->items[i];
			for (size_t i = 0; i < node->npairs; i++) {
				work[count++] = node->pairs[i].key;
				work[count++] = node->pairs[i].value;
			}
			free(node->items);
			free(node->pairs);
			free(node->text);
			free(node);
		}
		node = NULL;
		while (!node && count > 0)
			node = work[--count];
	}
	free(work);
}

void yaml_map_append(struct yaml_node *map, struct yaml_node *key, struct yaml_node *value)
{
	map->pairs = yaml_xrealloc(map->pairs, map->npairs + 1, sizeof *map->pairs);
	map->pairs[map->npairs].key = yaml_node_ref(key);
	map->pairs[map->npairs].value = yaml_node_ref(value);
	map->npairs++;
}

bool yaml_is_string(const struct yaml_node *node)
{
	return node && node->kind == YAML_NODE_SCALAR && node->type == YAML_STR;
}

const char *yaml_describe(const struct yaml_node *node, char *buf, size_t size)
{
	if (!node || (node->kind == YAML_NODE_SCALAR && node->type == YAML_NULL)) {
		snprintf(buf, size, "null (no value)");
	} else if (node->kind == YAML_NODE_SEQ) {
		snprintf(buf, size, "a list");
	} else if (node->kind == YAML_NODE_MAP) {
		snprintf(buf, size, "a map");
	} else if (node->type == YAML_BOOL) {
		snprintf(buf, size, "the boolean %s", node->bool_value ? "true" : "false");
	} else if (node->type == YAML_INT) {
		snprintf(buf, size, "the integer %s", node->text);
	} else if (node->type == YAML_FLOAT) {
		snprintf(buf, size, "the number %s", node->text);
	} else {
		int shown = strlen(node->text) > 60 ? 57 : 60;
		snprintf(buf, size, "the string \"%.*s%s\"", shown, node->text,
			 strlen(node->text) > 60 ? "..." : "");
	}
	return buf;
}

char *yaml_expand_tabs(const char *text, size_t length, size_t *out_length)
{
	size_t column = 0, needed = 0;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t') {
			needed += 8 - column % 8;
			column += 8 - column % 8;
			continue;
		}
		needed++;
		if (c == '\n' || c == '\r')
			column = 0;
		else if ((c & 0xC0) != 0x80) /* count characters, not UTF-8 continuation bytes */
			column++;
	}
	char *out = malloc(needed + 1);
	if (!out)
		abort();
	size_t n = 0;
	column = 0;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t') {
			size_t spaces = 8 - column % 8;
			memset(out + n, ' ', spaces);
			n += spaces;
			column += spaces;
			continue;
		}
		out[n++] = (char)c;
		if (c == '\n' || c == '\r')
			column = 0;
		else if ((c & 0xC0) != 0x80)
			column++;
	}
	out[n] = '\0';
	*out_length = n;
	return out;
}

static struct conf_origin yaml_origin(const struct yaml_builder *builder, yaml_mark_t mark)
{
	struct conf_origin origin = {builder->file, (int)mark.line + 1, (int)mark.column + 1};
	return origin;
}

static void yaml_fail(struct yaml_builder *builder, yaml_mark_t mark, const char *message,
		      const char *detail)
{
	struct conf_origin origin = yaml_origin(builder, mark);
	conf_errors_add(builder->errors, &origin, "YAML syntax error: %s%s%s", message,
			detail ? " " : "", detail ? detail : "");
	builder->failed = true;
}

/* Gives a node (its reference) to the innermost open collection, or makes it the root. */
static void yaml_attach(struct yaml_builder *builder, struct yaml_node *node)
{
	if (builder->depth == 0) {
		yaml_node_unref(builder->root);
		builder->root = node;
		return;
	}
	struct yaml_frame *top = &builder->stack[builder->depth - 1];
	if (top->node->kind == YAML_NODE_SEQ) {
		top->node->items =
		    yaml_xrealloc(top->node->items, top->node->count + 1, sizeof *top->node->items);
		top->node->items[top->node->count++] = node;
	} else if (!top->pending_key) {
		top->pending_key = node;
	} else {
		yaml_map_append(top->node, top->pending_key, node);
		yaml_node_unref(top->pending_key);
		yaml_node_unref(node);
		top->pending_key = NULL;
	}
}

static void yaml_remember_anchor(struct yaml_builder *builder, const yaml_char_t *anchor,
				 struct yaml_node *node)
{
	if (!anchor)
		return;
	builder->anchors =
	    yaml_xrealloc(builder->anchors, builder->nanchors + 1, sizeof *builder->anchors);
	builder->anchors[builder->nanchors].name =
	    yaml_xstrndup((const char *)anchor, strlen((const char *)anchor));
	builder->anchors[builder->nanchors].node = node;
	builder->nanchors++;
}

static const char *yaml_tag_suffix(const yaml_char_t *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	if (tag && strncmp((const char *)tag, prefix, sizeof prefix - 1) == 0)
		return (const char *)tag + sizeof prefix - 1;
	return NULL;
}

/* Sets the scalar's type from its tag or, for plain scalars, from its text. */
static void yaml_type_scalar(struct yaml_builder *builder, struct yaml_node *node,
			     const yaml_event_t *event)
{
	const yaml_char_t *tag = event->data.scalar.tag;
	const char *text = node->text;
	if (!tag || strcmp((const char *)tag, "!") == 0) {
		if (event->data.scalar.plain_implicit && !tag)
			node->type = yaml_resolve_plain(text, &node->bool_value, &node->int_value,
							&node->float_value);
		else
			node->type = YAML_STR;
		return;
	}
	const char *suffix = yaml_tag_suffix(tag);
	bool ok = true;
	if (suffix && strcmp(suffix, "str") == 0) {
		node->type = YAML_STR;
	} else if (suffix && strcmp(suffix, "null") == 0) {
		node->type = YAML_NULL;
		ok = yaml_resolve_null(text);
	} else if (suffix && strcmp(suffix, "bool") == 0) {
		node->type = YAML_BOOL;
		ok = yaml_resolve_bool(text, &node->bool_value);
	} else if (suffix && strcmp(suffix, "int") == 0) {
		node->type = YAML_INT;
		ok = yaml_resolve_int(text, &node->int_value);
	} else if (suffix && strcmp(suffix, "float") == 0) {
		node->type = YAML_FLOAT;
		long long whole;
		if (yaml_resolve_int(text, &whole))
			node->float_value = (double)whole;
		else
			ok = yaml_resolve_float(text, &node->float_value);
	} else {
		yaml_fail(builder, event->start_mark, "unsupported tag", (const char *)tag);
		return;
	}
	if (!ok)
		yaml_fail(builder, event->start_mark, "value does not match its tag",
			  (const char *)tag);
}

static void yaml_on_scalar(struct yaml_builder *builder, const yaml_event_t *event)
{
	struct conf_origin origin = yaml_origin(builder, event->start_mark);
	struct yaml_node *node = yaml_node_new(YAML_NODE_SCALAR, &origin);
	node->text =
	    yaml_xstrndup((const char *)event->data.scalar.value, event->data.scalar.length);
	yaml_type_scalar(builder, node, event);
	yaml_remember_anchor(builder, event->data.scalar.anchor, node);
	yaml_attach(builder, node);
}

static void yaml_on_alias(struct yaml_builder *builder, const yaml_event_t *event)
{
	const char *name = (const char *)event->data.alias.anchor;
	struct yaml_node *target = NULL;
	for (size_t i = builder->nanchors; i-- > 0;) {
		if (strcmp(builder->anchors[i].name, name) == 0) {
			target = builder->anchors[i].node;
			break;
		}
	}
	if (!target) {
		yaml_fail(builder, event->start_mark, "found undefined alias", name);
		return;
	}
	for (size_t i = 0; i < builder->depth; i++) {
		if (builder->stack[i].node == target) {
			yaml_fail(builder, event->start_mark, "found a recursive alias", name);
			return;
		}
	}
	yaml_attach(builder, yaml_node_ref(target));
}

static void yaml_on_start(struct yaml_builder *builder, const yaml_event_t *event,
			  enum yaml_kind kind)
{
	if (builder->depth == YAML_MAX_DEPTH) {
		yaml_fail(builder, event->start_mark, "nesting is deeper than 64 levels", NULL);
		return;
	}
	struct conf_origin origin = yaml_origin(builder, event->start_mark);
	struct yaml_node *node = yaml_node_new(kind, &origin);
	const yaml_char_t *anchor = kind == YAML_NODE_MAP ? event->data.mapping_start.anchor
							  : event->data.sequence_start.anchor;
	yaml_remember_anchor(builder, anchor, node);
	yaml_attach(builder, node);
	builder->stack[builder->depth].node = node;
	builder->stack[builder->depth].pending_key = NULL;
	builder->depth++;
}

static bool yaml_is_merge_key(const struct yaml_node *key)
{
	return key->kind == YAML_NODE_SCALAR && key->type == YAML_STR && key->text &&
	       strcmp(key->text, "<<") == 0;
}

/* Applies `<<` merge keys as PyYAML does: merged pairs come first so that the map's own
 * keys (later, last one wins) override them; of several merged maps the first wins. */
static void yaml_flatten_merges(struct yaml_builder *builder, struct yaml_node *map)
{
	bool any = false;
	for (size_t i = 0; i < map->npairs; i++)
		any = any || yaml_is_merge_key(map->pairs[i].key);
	if (!any)
		return;
	struct yaml_node *flat = yaml_node_new(YAML_NODE_MAP, &map->origin);
	for (size_t i = 0; i < map->npairs; i++) {
		struct yaml_node *value = map->pairs[i].value;
		if (!yaml_is_merge_key(map->pairs[i].key))
			continue;
		struct yaml_node *single[1] = {value};
		struct yaml_node **sources = single;
		size_t nsources = 1;
		if (value->kind == YAML_NODE_SEQ) {
			sources = value->items;
			nsources = value->count;
		}
		for (size_t s = nsources; s-- > 0;) {
			struct yaml_node *source = sources[s];
			if (source->kind != YAML_NODE_MAP) {
				struct conf_origin origin = source->origin;
				conf_errors_add(
				    builder->errors, &origin,
				    "YAML: expected a map or a list of maps for merging "
				    "(<<)");
				builder->failed = true;
				continue;
			}
			builder->merged_pairs += source->npairs;
			if (builder->merged_pairs > YAML_MAX_MERGED_PAIRS) {
				struct conf_origin origin = value->origin;
				conf_errors_add(
				    builder->errors, &origin,
				    "YAML: merge keys (<<) expand to more than %d entries",
				    YAML_MAX_MERGED_PAIRS);
				builder->failed = true;
				break;
			}
			for (size_t p = 0; p < source->npairs; p++)
				yaml_map_append(flat, source->pairs[p].key, source->pairs[p].value);
		}
	}
	for (size_t i = 0; i < map->npairs; i++)
		if (!yaml_is_merge_key(map->pairs[i].key))
			yaml_map_append(flat, map->pairs[i].key, map->pairs[i].value);
	/* Swap the flattened pairs into the original node (others may hold references to it). */
	struct yaml_pair *old = map->pairs;
	size_t nold = map->npairs;
	map->pairs = flat->pairs;
	map->npairs = flat->npairs;
	flat->pairs = old;
	flat->npairs = nold;
	yaml_node_unref(flat);
}

static void yaml_on_end(struct yaml_builder *builder)
{
	if (builder->depth == 0)
		return;
	struct yaml_frame *top = &builder->stack[--builder->depth];
	if (top->pending_key) { /* cannot happen with a well-formed stream; stay safe */
		yaml_node_unref(top->pending_key);
		top->pending_key = NULL;
	}
	if (top->node->kind == YAML_NODE_MAP)
		yaml_flatten_merges(builder, top->node);
}

/* libyaml's reader errors carry a byte offset only: turn it into line:column. */
static yaml_mark_t yaml_mark_from_offset(const struct yaml_builder *builder, size_t offset,
					 size_t length)
{
	yaml_mark_t mark = {0, 0, 0};
	for (size_t i = 0; i < offset && i < length; i++) {
		if (builder->text[i] == '\n') {
			mark.line++;
			mark.column = 0;
		} else {
			mark.column++;
		}
	}
	return mark;
}

static void yaml_parser_failed(struct yaml_builder *builder, yaml_parser_t *parser, size_t length)
{
	yaml_mark_t mark = parser->problem_mark;
	if (parser->error == YAML_READER_ERROR)
		mark = yaml_mark_from_offset(builder, parser->problem_offset, length);
	const char *problem = parser->problem ? parser->problem : "cannot parse the file";
	if (parser->context) {
		char detail[200];
		snprintf(detail, sizeof detail, "(%s at %d:%d)", parser->context,
			 (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1);
		yaml_fail(builder, mark, problem, detail);
	} else {
		yaml_fail(builder, mark, problem, NULL);
	}
}

static void yaml_builder_free(struct yaml_builder *builder)
{
	for (size_t i = 0; i < builder->depth; i++)
		yaml_node_unref(builder->stack[i].pending_key);
	for (size_t i = 0; i < builder->nanchors; i++)
		free(builder->anchors[i].name);
	free(builder->anchors);
}

struct yaml_node *yaml_parse(const char *text, size_t length, const char *file,
			     struct conf_errors *errors, bool *failed)
{
	size_t expanded_length;
	char *expanded = yaml_expand_tabs(text, length, &expanded_length);
	struct yaml_builder builder = {.file = file, .text = expanded, .errors = errors};
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)expanded, expanded_length);
	bool done = false;
	while (!done && !builder.failed) {
		yaml_event_t event;
		if (!yaml_parser_parse(&parser, &event)) {
			yaml_parser_failed(&builder, &parser, expanded_length);
			break;
		}
		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++builder.documents > 1)
				yaml_fail(&builder, event.start_mark,
					  "expected a single document in the file, but found "
					  "another document",
					  NULL);
			break;
		case YAML_SCALAR_EVENT:
			yaml_on_scalar(&builder, &event);
			break;
		case YAML_ALIAS_EVENT:
			yaml_on_alias(&builder, &event);
			break;
		case YAML_SEQUENCE_START_EVENT:
			yaml_on_start(&builder, &event, YAML_NODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			yaml_on_start(&builder, &event, YAML_NODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			yaml_on_end(&builder);
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	yaml_builder_free(&builder);
	free(expanded);
	*failed = builder.failed;
	if (builder.failed) {
		yaml_node_unref(builder.root);
		return NULL;
	}
	return builder.root;
}
