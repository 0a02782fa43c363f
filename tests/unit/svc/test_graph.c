/*
 * test_graph.c — unit tests for conf/graph.c: chaperone's ordering semantics (after, before,
 * groups and their quirk, INIT and IDLE), unknown names, cycles, order stability, and the
 * `--show-dependencies` text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/graph.h"

struct spec {
	const char *name;
	const char *after; /* comma list or NULL */
	const char *before;
	const char *groups; /* NULL: {"default"} */
};

static void split_list(const char *text, struct strlist *list)
{
	list->items = NULL;
	list->count = 0;
	if (!text)
		return;
	char *copy = strdup(text);
	char *save = NULL;
	for (char *item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		list->items = realloc(list->items, (list->count + 1) * sizeof(char *));
		list->items[list->count++] = strdup(item);
	}
	free(copy);
}

static void free_list(struct strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
}

/* Services keep the order given (not necessarily name order): graph.c must not care. */
static struct config *make_config(const struct spec *specs, size_t count)
{
	struct config *config = calloc(1, sizeof(*config));
	config->services = calloc(count ? count : 1, sizeof(*config->services));
	config->nservices = count;
	for (size_t i = 0; i < count; i++) {
		struct service_conf *s = &config->services[i];
		s->name = strdup(specs[i].name);
		s->origin.file = "test.conf";
		s->origin.line = (int)i + 1;
		s->origin.column = 1;
		split_list(specs[i].after, &s->after);
		split_list(specs[i].before, &s->before);
		split_list(specs[i].groups ? specs[i].groups : "default", &s->service_groups);
	}
	return config;
}

static void free_config(struct config *config)
{
	for (size_t i = 0; i < config->nservices; i++) {
		struct service_conf *s = &config->services[i];
		free(s->name);
		free_list(&s->after);
		free_list(&s->before);
		free_list(&s->service_groups);
	}
	free(config->services);
	free(config);
}

static size_t index_of(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->nservices; i++)
		if (strcmp(config->services[i].name, name) == 0)
			return i;
	fail_msg("no service %s", name);
	return SIZE_MAX;
}

/* "a.service,b.service" for the order */
static char *order_text(const struct config *config, const struct graph *graph)
{
	size_t size = 1;
	for (size_t k = 0; k < graph->count; k++)
		size += strlen(config->services[graph->order[k]].name) + 1;
	char *text = calloc(1, size);
	for (size_t k = 0; k < graph->count; k++) {
		if (k)
			strcat(text, ",");
		strcat(text, config->services[graph->order[k]].name);
	}
	return text;
}

static char *prereq_text(const struct config *config, const struct graph *graph, const char *name)
{
	size_t i = index_of(config, name);
	char *text = calloc(1, 4096);
	for (size_t k = 0; k < graph->nprereqs[i]; k++) {
		if (k)
			strcat(text, ",");
		strcat(text, config->services[graph->prereqs[i][k]].name);
	}
	return text;
}

#define BUILD_OK(specs)                                                                            \
	struct config *config = make_config(specs, sizeof(specs) / sizeof(specs[0]));              \
	struct graph graph;                                                                        \
	struct conf_errors errors = {0};                                                           \
	assert_int_equal(graph_build(config, &graph, &errors), 0);                                 \
	assert_int_equal(errors.count, 0)

#define CLEANUP()                                                                                  \
	do {                                                                                       \
		graph_free(&graph);                                                                \
		conf_errors_free(&errors);                                                         \
		free_config(config);                                                               \
	} while (0)

static void assert_order(const struct config *config, const struct graph *graph,
			 const char *expected)
{
	char *text = order_text(config, graph);
	assert_string_equal(text, expected);
	free(text);
}

static void assert_prereqs(const struct config *config, const struct graph *graph, const char *name,
			   const char *expected)
{
	char *text = prereq_text(config, graph, name);
	assert_string_equal(text, expected);
	free(text);
}

static void test_independent_in_name_order(void **state)
{
	static const struct spec specs[] = {
	    {"c.service", NULL, NULL, NULL},
	    {"a.service", NULL, NULL, NULL},
	    {"b.service", NULL, NULL, NULL},
	};
	BUILD_OK(specs);
	assert_order(config, &graph, "a.service,b.service,c.service");
	assert_prereqs(config, &graph, "a.service", "");
	CLEANUP();
}

static void test_chain(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "b.service", NULL, NULL},
	    {"b.service", "c.service", NULL, NULL},
	    {"c.service", NULL, NULL, NULL},
	};
	BUILD_OK(specs);
	assert_order(config, &graph, "c.service,b.service,a.service");
	assert_prereqs(config, &graph, "a.service", "b.service");
	assert_prereqs(config, &graph, "b.service", "c.service");
	assert_prereqs(config, &graph, "c.service", "");
	CLEANUP();
}

static void test_before_becomes_after(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", NULL, NULL, NULL},
	    {"z.service", NULL, "a.service", NULL},
	};
	BUILD_OK(specs);
	assert_order(config, &graph, "z.service,a.service");
	assert_prereqs(config, &graph, "a.service", "z.service");
	CLEANUP();
}

static void test_before_group(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", NULL, NULL, "web"},
	    {"b.service", NULL, NULL, "web"},
	    {"z.service", NULL, "web", NULL},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "a.service", "z.service");
	assert_prereqs(config, &graph, "b.service", "z.service");
	assert_order(config, &graph, "z.service,a.service,b.service");
	CLEANUP();
}

/* The example of reference/chaperone.md: apache2 after the database group makes every
 * default-group service wait for mysql. */
static void test_group_quirk(void **state)
{
	static const struct spec specs[] = {
	    {"apache2.service", "database", NULL, NULL},
	    {"logrotate.service", NULL, NULL, NULL},
	    {"mysql.service", NULL, NULL, "database"},
	    {"other.service", NULL, NULL, "elsewhere"},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "apache2.service", "mysql.service");
	assert_prereqs(config, &graph, "logrotate.service", "mysql.service");
	assert_prereqs(config, &graph, "mysql.service", "");
	assert_prereqs(config, &graph, "other.service", "");
	assert_order(config, &graph,
		     "mysql.service,apache2.service,logrotate.service,other.service");
	CLEANUP();
}

/* The quirk carries group references only, not plain service references. */
static void test_group_quirk_only_for_groups(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "c.service", NULL, NULL},
	    {"b.service", NULL, NULL, NULL},
	    {"c.service", NULL, NULL, "other"},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "a.service", "c.service");
	assert_prereqs(config, &graph, "b.service", "");
	CLEANUP();
}

/* A group waiting for a group its own member is in is not a cycle in tend (a service never
 * waits for itself through a group); chaperone reports a circular dependency here. */
static void test_group_self_reference_dropped(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", NULL, NULL, "default,web"},
	    {"c.service", "web", NULL, NULL},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "a.service", "");
	assert_prereqs(config, &graph, "c.service", "a.service");
	assert_order(config, &graph, "a.service,c.service");
	CLEANUP();
}

static void test_init_and_idle(void **state)
{
	static const struct spec specs[] = {
	    {"console.service", NULL, NULL, "IDLE"}, {"app.service", NULL, NULL, NULL},
	    {"setup.service", NULL, NULL, "INIT"},   {"web.service", "app.service", NULL, NULL},
	    {"zz-init.service", NULL, NULL, "INIT"},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "setup.service", "");
	assert_prereqs(config, &graph, "zz-init.service", "");
	assert_prereqs(config, &graph, "app.service", "setup.service,zz-init.service");
	assert_prereqs(config, &graph, "web.service", "app.service,setup.service,zz-init.service");
	assert_prereqs(config, &graph, "console.service",
		       "app.service,setup.service,web.service,zz-init.service");
	assert_order(config, &graph,
		     "setup.service,zz-init.service,app.service,web.service,console.service");
	CLEANUP();
}

static void test_names_without_suffix(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "b", "c", NULL},
	    {"b.service", NULL, NULL, NULL},
	    {"c.service", NULL, NULL, NULL},
	    {"CONSOLE", "a", NULL, "IDLE"},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "a.service", "b.service");
	assert_prereqs(config, &graph, "c.service", "a.service");
	assert_order(config, &graph, "b.service,a.service,c.service,CONSOLE");
	CLEANUP();
}

static void test_unknown_names_dropped(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "nothing.service,nogroup", "ghost", NULL},
	    {"b.service", "a.service,missing", NULL, NULL},
	};
	BUILD_OK(specs);
	assert_prereqs(config, &graph, "a.service", "");
	assert_prereqs(config, &graph, "b.service", "a.service");
	CLEANUP();
}

static void test_after_idle_before_init_are_errors(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "IDLE", NULL, NULL},
	    {"b.service", NULL, "INIT", NULL},
	    {"c.service", NULL, NULL, "IDLE"},
	};
	struct config *config = make_config(specs, 3);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), -1);
	assert_int_equal(errors.count, 2);
	assert_non_null(strstr(errors.items[0].message, "a.service.after: found IDLE"));
	assert_int_equal(errors.items[0].origin.line, 1);
	assert_non_null(strstr(errors.items[1].message, "b.service.before: found INIT"));
	assert_null(graph.order);
	CLEANUP();
}

static void test_two_cycle(void **state)
{
	static const struct spec specs[] = {
	    {"b.service", "a.service", NULL, NULL},
	    {"a.service", "b.service", NULL, NULL},
	    {"c.service", NULL, NULL, NULL},
	};
	struct config *config = make_config(specs, 3);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), -1);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.items[0].message,
			    "dependency cycle: a.service -> b.service -> a.service");
	assert_string_equal(errors.items[0].origin.file, "test.conf");
	assert_int_equal(errors.items[0].origin.line, 2); /* a.service */
	assert_int_equal(graph.count, 0);
	CLEANUP();
}

static void test_cycles_each_reported(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "b.service", NULL, NULL},
	    {"b.service", "c.service", NULL, NULL},
	    {"c.service", "a.service", NULL, NULL},
	    {"d.service", "a.service", NULL, NULL}, /* waits for the cycle, not in it */
	    {"x.service", NULL, "y.service", NULL},
	    {"y.service", NULL, "x.service", NULL},
	    {"self.service", "self", NULL, NULL},
	};
	struct config *config = make_config(specs, 7);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), -1);
	assert_int_equal(errors.count, 3);
	assert_string_equal(errors.items[0].message,
			    "dependency cycle: a.service -> b.service -> c.service -> a.service");
	assert_string_equal(errors.items[1].message,
			    "dependency cycle: self.service -> self.service");
	assert_string_equal(errors.items[2].message,
			    "dependency cycle: x.service -> y.service -> x.service");
	CLEANUP();
}

/* A component with more services than its shortest cycle names them all. */
static void test_cycle_component_named_fully(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", "b.service,c.service", NULL, NULL},
	    {"b.service", "a.service", NULL, NULL},
	    {"c.service", "d.service", NULL, NULL},
	    {"d.service", "a.service", NULL, NULL},
	};
	struct config *config = make_config(specs, 4);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), -1);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.items[0].message,
			    "dependency cycle: a.service -> b.service -> a.service "
			    "(also in this cycle: c.service, d.service)");
	CLEANUP();
}

/* A cycle made through groups and INIT. */
static void test_cycle_through_init(void **state)
{
	static const struct spec specs[] = {
	    {"boot.service", "app.service", NULL, "INIT"},
	    {"app.service", NULL, NULL, NULL},
	};
	struct config *config = make_config(specs, 2);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), -1);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.items[0].message,
			    "dependency cycle: app.service -> boot.service -> app.service");
	CLEANUP();
}

/* The same services in any config order give the same start order. */
static void test_order_stable(void **state)
{
	static const struct spec forward[] = {
	    {"a.service", "d.service", NULL, NULL},	      {"b.service", NULL, NULL, NULL},
	    {"c.service", "b.service", NULL, NULL},	      {"d.service", NULL, NULL, NULL},
	    {"e.service", "a.service,c.service", NULL, NULL},
	};
	static const struct spec backward[] = {
	    {"e.service", "c.service,a.service", NULL, NULL}, {"d.service", NULL, NULL, NULL},
	    {"c.service", "b.service", NULL, NULL},	      {"b.service", NULL, NULL, NULL},
	    {"a.service", "d.service", NULL, NULL},
	};
	const char *expected = "d.service,a.service,b.service,c.service,e.service";
	for (int round = 0; round < 2; round++) {
		const struct spec *specs = round ? backward : forward;
		struct config *config = make_config(specs, 5);
		struct graph graph;
		struct conf_errors errors = {0};
		assert_int_equal(graph_build(config, &graph, &errors), 0);
		assert_order(config, &graph, expected);
		char *described = graph_describe(config, &graph);
		assert_non_null(described);
		free(described);
		CLEANUP();
	}
}

static void test_empty(void **state)
{
	struct config *config = make_config(NULL, 0);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), 0);
	assert_int_equal(graph.count, 0);
	char *text = graph_describe(config, &graph);
	assert_string_equal(text, "   \n-> depends on...\n");
	free(text);
	CLEANUP();
}

/* The layout of chaperone's get_dependency_graph, worked out by hand. */
static void test_describe(void **state)
{
	static const struct spec specs[] = {
	    {"a.service", NULL, NULL, NULL},
	    {"bb.service", "a.service", NULL, NULL},
	    {"c.service", NULL, NULL, NULL},
	    {"dd.service", "bb,c", NULL, NULL},
	};
	BUILD_OK(specs);
	char *text = graph_describe(config, &graph);
	assert_non_null(text);
	assert_string_equal(text, "     a | bb | c | dd\n"
				  "a  | =\n"
				  "bb |  =====\n"
				  "c  | ==========\n"
				  "dd |           =====\n"
				  "---> depends on...\n"
				  "a  | \n"
				  "bb | a\n"
				  "c  | \n"
				  "dd | bb, c\n");
	free(text);
	CLEANUP();
}

/* Many services: the bit matrix crosses word boundaries; IDLE waits for all of them. */
static void test_many_services(void **state)
{
	enum { COUNT = 300 };
	struct spec *specs = calloc(COUNT, sizeof(*specs));
	char(*names)[32] = calloc(COUNT, sizeof(*names));
	char(*afters)[32] = calloc(COUNT, sizeof(*afters));
	for (int i = 0; i < COUNT; i++) {
		snprintf(names[i], sizeof(names[i]), "s%03d.service", i);
		specs[i].name = names[i];
		if (i > 0 && i < COUNT - 1) {
			snprintf(afters[i], sizeof(afters[i]), "s%03d", i - 1);
			specs[i].after = afters[i];
		}
	}
	specs[COUNT - 1].groups = "IDLE";
	struct config *config = make_config(specs, COUNT);
	struct graph graph;
	struct conf_errors errors = {0};
	assert_int_equal(graph_build(config, &graph, &errors), 0);
	for (size_t k = 0; k < COUNT; k++)
		assert_int_equal(graph.order[k], k);
	assert_int_equal(graph.nprereqs[COUNT - 1], COUNT - 1);
	assert_int_equal(graph.nprereqs[100], 1);
	assert_int_equal(graph.prereqs[100][0], 99);
	CLEANUP();
	free(specs);
	free(names);
	free(afters);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_independent_in_name_order),
	    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_before_becomes_after),
	    cmocka_unit_test(test_before_group),
	    cmocka_unit_test(test_group_quirk),
	    cmocka_unit_test(test_group_quirk_only_for_groups),
	    cmocka_unit_test(test_group_self_reference_dropped),
	    cmocka_unit_test(test_init_and_idle),
	    cmocka_unit_test(test_names_without_suffix),
	    cmocka_unit_test(test_unknown_names_dropped),
	    cmocka_unit_test(test_after_idle_before_init_are_errors),
	    cmocka_unit_test(test_two_cycle),
	    cmocka_unit_test(test_cycles_each_reported),
	    cmocka_unit_test(test_cycle_component_named_fully),
	    cmocka_unit_test(test_cycle_through_init),
	    cmocka_unit_test(test_order_stable),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_many_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
