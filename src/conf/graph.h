/*
 * graph.h — the start order of services, from after/before/service_groups with chaperone's
 * semantics (reference/chaperone.md §3 "Ordering"): IDLE members come after every non-IDLE
 * service, INIT members before every non-INIT service, every `before` becomes an `after` on
 * its target, group names expand to their members (with chaperone's group quirk), unknown
 * names are dropped, and a cycle is a configuration error naming the services in it.
 * Pure: works on struct config only.
 */
#ifndef TEND_CONF_GRAPH_H
#define TEND_CONF_GRAPH_H

#include <stddef.h>

#include "conf/config.h"

struct graph {
	size_t count;        /* == config->nservices; indexes match config->services */
	size_t **prereqs;    /* prereqs[i]: indexes of services that must be started before i */
	size_t *nprereqs;
	size_t *order;       /* a topological order (DFS in name order, as chaperone) */
};

/* 0 on success; -1 with an error per cycle found (file:line:column of a service in it). */
int graph_build(const struct config *config, struct graph *graph, struct conf_errors *errors);
void graph_free(struct graph *graph);

/* The text `--show-dependencies` and `tendctl dependencies` print (malloc'd). */
char *graph_describe(const struct config *config, const struct graph *graph);

#endif
