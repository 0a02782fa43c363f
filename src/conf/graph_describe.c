/*
 * graph_describe.c — the text of `--show-dependencies` and `tendctl dependencies`, laid out
 * as chaperone's ServiceDict.get_dependency_graph prints it (see graph.h, docs/ordering.md):
 * the short names (without ".service") in start order across a header line joined by " | ",
 * one bar of '=' per service from just after the column of its latest prerequisite to the
 * last column of its own name, a "-> depends on..." rule, then each service's direct
 * prerequisites (in name order; chaperone printed a Python set, in no fixed order).
 */
#include "conf/graph.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_SUFFIX ".service"

/* chaperone's shortname: the name with ".service" removed (Python str.replace). Written to
 * out unless out is NULL, so measuring a column and printing it cannot disagree. */
static size_t graph_put_shortname(FILE *out, const char *name)
{
	size_t length = 0;
	size_t slen = strlen(SERVICE_SUFFIX);
	for (const char *p = name; *p;) {
		if (strncmp(p, SERVICE_SUFFIX, slen) == 0) {
			p += slen;
			continue;
		}
		if (out)
			fputc(*p, out);
		p++;
		length++;
	}
	return length;
}

static size_t graph_shortname_length(const char *name)
{
	return graph_put_shortname(NULL, name);
}

static void graph_put_repeated(FILE *out, char c, size_t count)
{
	for (size_t k = 0; k < count; k++)
		fputc(c, out);
}

/* A row's label: the short name padded to the widest, then the separator. */
static void graph_put_label(FILE *out, const char *name, size_t width, const char *sep)
{
	graph_put_repeated(out, ' ', width - graph_put_shortname(out, name));
	fputs(sep, out);
}

/* Is j one of i's prerequisites? */
static bool graph_has_prereq(const struct graph *graph, size_t i, size_t j)
{
	for (size_t k = 0; k < graph->nprereqs[i]; k++)
		if (graph->prereqs[i][k] == j)
			return true;
	return false;
}

char *graph_describe(const struct config *config, const struct graph *graph)
{
	const char *sep = " | ";
	size_t n = graph->count;
	if (n != config->nservices) {
		errno = EINVAL;
		return NULL;
	}
	size_t *column = calloc(n ? n : 1, sizeof(size_t)); /* by config index */
	if (!column)
		return NULL;
	size_t current = 0, width = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = graph->order[k];
		size_t len = graph_shortname_length(config->services[i].name);
		/* Python gives -1 for an empty name; the bar is then empty either way */
		column[i] = current + len;
		current += len + strlen(sep);
		if (len > width)
			width = len;
	}

	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);
	if (!out) {
		free(column);
		return NULL;
	}
	graph_put_repeated(out, ' ', width + strlen(sep));
	for (size_t k = 0; k < n; k++) {
		if (k > 0)
			fputs(sep, out);
		graph_put_shortname(out, config->services[graph->order[k]].name);
	}
	fputc('\n', out);

	for (size_t k = 0; k < n; k++) {
		size_t i = graph->order[k];
		graph_put_label(out, config->services[i].name, width, sep);
		size_t start = 0; /* one past the latest prerequisite's column */
		for (size_t j = 0; j < n; j++)
			if (graph_has_prereq(graph, i, j) && column[j] > start)
				start = column[j];
		graph_put_repeated(out, ' ', start);
		if (column[i] > start)
			graph_put_repeated(out, '=', column[i] - start);
		fputc('\n', out);
	}

	graph_put_repeated(out, '-', width);
	fputs("-> depends on...\n", out);
	for (size_t k = 0; k < n; k++) {
		size_t i = graph->order[k];
		graph_put_label(out, config->services[i].name, width, sep);
		for (size_t p = 0; p < graph->nprereqs[i]; p++) {
			if (p > 0)
				fputs(", ", out);
			graph_put_shortname(out, config->services[graph->prereqs[i][p]].name);
		}
		fputc('\n', out);
	}
	free(column);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
