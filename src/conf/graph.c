/*
 * graph.c — the start order of services (see graph.h), with chaperone's semantics from
 * cutil/config.py ServiceDict.get_startup_list, applied in the same order:
 *
 *   1. IDLE members come after every non-IDLE service; INIT members before every non-INIT one.
 *   2. Every `before: X` becomes an `after` on X (on each member when X is a group).
 *   3. Group references in `after` expand to the group's members, and (chaperone's quirk,
 *      kept for compatibility) a group referenced by ANY member of a group applies to ALL
 *      members of that group.
 *   4. Names that are neither a group nor a service are dropped silently.
 *   5. Topological order by depth-first search, visiting services and their prerequisites
 *      in name order, appending each service after its prerequisites (post-order).
 *
 * Where tend differs (documented in docs/compat.md and docs/ordering.md): names may omit
 * `.service`; a service never waits for itself through a group (chaperone reports that as a
 * cycle), and every cycle is reported with the services in it instead of one bare message.
 *
 * Internally services are numbered by name rank (0 = first in name order), so that walking
 * numbers upwards is walking names in order; the result is mapped back to config indexes.
 * The "after" relation is a bit matrix: it is built by set unions, and the worst cases
 * (IDLE, the group quirk) are dense anyway. Memory is n*n bits, freed before returning.
 */
#include "conf/graph.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_SUFFIX ".service"
#define DEFAULT_GROUP  "default"
#define BITS_PER_WORD  64u

struct bitset_rows {
	uint64_t *bits;
	size_t words; /* per row */
};

struct named {
	const char *name;
	size_t index; /* config index */
};

struct graph_work {
	const struct config *config;
	size_t n;
	size_t *by_rank;      /* rank -> config index */
	struct named *sorted; /* services in name order, for lookups */
	const char **groups;  /* distinct group names, sorted */
	size_t ngroups;
	struct bitset_rows members;    /* group -> member ranks */
	struct bitset_rows group_refs; /* rank -> groups referenced by its `after` */
	struct bitset_rows after;      /* rank -> ranks it waits for */
	bool *self_explicit;	       /* rank -> names itself in after/before */
	size_t **adj;		       /* rank -> prerequisite ranks, ascending */
	size_t *nadj;
};

static int graph_compare_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

static int graph_compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool bitset_alloc(struct bitset_rows *rows, size_t nrows, size_t ncols)
{
	rows->words = (ncols + BITS_PER_WORD - 1) / BITS_PER_WORD;
	if (rows->words == 0)
		rows->words = 1;
	if (nrows != 0 && rows->words > SIZE_MAX / sizeof(uint64_t) / nrows) {
		errno = ENOMEM;
		return false;
	}
	rows->bits = calloc(nrows ? nrows * rows->words : 1, sizeof(uint64_t));
	return rows->bits != NULL;
}

static uint64_t *bitset_row(const struct bitset_rows *rows, size_t row)
{
	return rows->bits + row * rows->words;
}

static void bitset_set(const struct bitset_rows *rows, size_t row, size_t col)
{
	bitset_row(rows, row)[col / BITS_PER_WORD] |= UINT64_C(1) << (col % BITS_PER_WORD);
}

static bool bitset_test(const struct bitset_rows *rows, size_t row, size_t col)
{
	return (bitset_row(rows, row)[col / BITS_PER_WORD] >> (col % BITS_PER_WORD)) & 1u;
}

/* dst_row |= src_row (rows of the same width). */
static void bitset_merge(uint64_t *dst, const uint64_t *src, size_t words)
{
	for (size_t w = 0; w < words; w++)
		dst[w] |= src[w];
}

static const struct service_conf *graph_service(const struct graph_work *work, size_t rank)
{
	return &work->config->services[work->by_rank[rank]];
}

/* The groups of a service; a service with none is in "default", as in chaperone. */
static size_t graph_service_groups(const struct service_conf *service, const char *const **names)
{
	static const char *const fallback[] = {DEFAULT_GROUP};
	if (service->service_groups.count == 0) {
		*names = fallback;
		return 1;
	}
	*names = (const char *const *)service->service_groups.items;
	return service->service_groups.count;
}

/* Group number of name, or -1. */
static long graph_find_group(const struct graph_work *work, const char *name)
{
	const char **found = bsearch(&name, work->groups, work->ngroups, sizeof(*work->groups),
				     graph_compare_strings);
	return found ? (long)(found - work->groups) : -1;
}

static long graph_search_service(const struct graph_work *work, const char *name)
{
	size_t lo = 0, hi = work->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, work->sorted[mid].name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Rank of the service called name or name + ".service", or -1. */
static long graph_find_service(const struct graph_work *work, const char *name)
{
	long found = graph_search_service(work, name);
	size_t len = strlen(name);
	size_t suffix = strlen(SERVICE_SUFFIX);
	if (found >= 0 || (len >= suffix && strcmp(name + len - suffix, SERVICE_SUFFIX) == 0))
		return found;
	char *with_suffix = malloc(len + suffix + 1);
	if (!with_suffix)
		return -1; /* treated as unknown; the loader's own allocations fail first */
	memcpy(with_suffix, name, len);
	memcpy(with_suffix + len, SERVICE_SUFFIX, suffix + 1);
	found = graph_search_service(work, with_suffix);
	free(with_suffix);
	return found;
}

static int graph_index_services(struct graph_work *work)
{
	size_t n = work->n;
	work->sorted = calloc(n ? n : 1, sizeof(*work->sorted));
	work->by_rank = calloc(n ? n : 1, sizeof(*work->by_rank));
	work->self_explicit = calloc(n ? n : 1, sizeof(*work->self_explicit));
	if (!work->sorted || !work->by_rank || !work->self_explicit)
		return -1;
	for (size_t i = 0; i < n; i++) {
		work->sorted[i].name =
		    work->config->services[i].name ? work->config->services[i].name : "";
		work->sorted[i].index = i;
	}
	qsort(work->sorted, n, sizeof(*work->sorted), graph_compare_named);
	for (size_t r = 0; r < n; r++) {
		work->by_rank[r] = work->sorted[r].index;
	}
	return 0;
}

static int graph_index_groups(struct graph_work *work)
{
	size_t total = 0;
	for (size_t r = 0; r < work->n; r++) {
		const char *const *names;
		total += graph_service_groups(graph_service(work, r), &names);
	}
	work->groups = calloc(total ? total : 1, sizeof(*work->groups));
	if (!work->groups)
		return -1;
	size_t count = 0;
	for (size_t r = 0; r < work->n; r++) {
		const char *const *names;
		size_t k = graph_service_groups(graph_service(work, r), &names);
		for (size_t g = 0; g < k; g++)
			work->groups[count++] = names[g];
	}
	qsort(work->groups, count, sizeof(*work->groups), graph_compare_strings);
	size_t distinct = 0;
	for (size_t g = 0; g < count; g++)
		if (distinct == 0 || strcmp(work->groups[distinct - 1], work->groups[g]) != 0)
			work->groups[distinct++] = work->groups[g];
	work->ngroups = distinct;

	if (!bitset_alloc(&work->members, work->ngroups, work->n))
		return -1;
	for (size_t r = 0; r < work->n; r++) {
		const char *const *names;
		size_t k = graph_service_groups(graph_service(work, r), &names);
		for (size_t g = 0; g < k; g++)
			bitset_set(&work->members, (size_t)graph_find_group(work, names[g]), r);
	}
	return 0;
}

static bool graph_in_group(const struct graph_work *work, size_t rank, long group)
{
	return group >= 0 && bitset_test(&work->members, (size_t)group, rank);
}

/* `after: X` and `before: X` are one relation read in opposite directions. Each list refuses
 * one system group: IDLE services already start after, INIT services before, every other. */
struct graph_list {
	const char *key;      /* "after" or "before" */
	const char *reserved; /* "IDLE" or "INIT" */
	bool named_waits;     /* before: the named services wait for this one */
};

static const struct graph_list graph_after_list = {"after", "IDLE", false};
static const struct graph_list graph_before_list = {"before", "INIT", true};

static void graph_members_wait_for(struct graph_work *work, size_t group, size_t rank)
{
	for (size_t m = 0; m < work->n; m++)
		if (bitset_test(&work->members, group, m))
			bitset_set(&work->after, m, rank);
}

/* The edges one service's after (or before) names give, into work->after or, for groups named
 * in `after`, into work->group_refs (step 3 expands those). */
static int graph_list_edges(struct graph_work *work, size_t r, const struct strlist *names,
			    const struct graph_list *list, struct conf_errors *errors)
{
	const struct service_conf *service = graph_service(work, r);
	int status = 0;
	for (size_t k = 0; k < names->count; k++) {
		const char *name = names->items[k];
		if (strcmp(name, list->reserved) == 0) {
			conf_errors_add(errors, &service->origin,
					"%s.%s: found %s, allowed: services or groups other than "
					"%s (%s services start %s every other service)",
					service->name, list->key, list->reserved, list->reserved,
					list->reserved, list->key);
			status = -1;
			continue;
		}
		long group = graph_find_group(work, name);
		if (group >= 0) {
			if (list->named_waits)
				graph_members_wait_for(work, (size_t)group, r);
			else
				bitset_set(&work->group_refs, r, (size_t)group);
			continue;
		}
		long target = graph_find_service(work, name);
		if (target < 0)
			continue; /* unknown names are dropped, as chaperone does */
		if ((size_t)target == r)
			work->self_explicit[r] = true;
		if (list->named_waits)
			bitset_set(&work->after, (size_t)target, r);
		else
			bitset_set(&work->after, r, (size_t)target);
	}
	return status;
}

/* Step 1 and the explicit after/before names; reports `after: IDLE` and `before: INIT`. */
static int graph_direct_edges(struct graph_work *work, struct conf_errors *errors)
{
	int status = 0;
	long idle = graph_find_group(work, "IDLE");
	long init = graph_find_group(work, "INIT");

	for (size_t r = 0; r < work->n; r++) {
		const struct service_conf *service = graph_service(work, r);
		if (graph_list_edges(work, r, &service->after, &graph_after_list, errors) < 0)
			status = -1;
		if (graph_list_edges(work, r, &service->before, &graph_before_list, errors) < 0)
			status = -1;

		/* IDLE members wait for every non-IDLE service; every non-INIT service waits
		 * for the INIT members. */
		for (size_t other = 0; other < work->n; other++) {
			if (graph_in_group(work, r, idle) && !graph_in_group(work, other, idle))
				bitset_set(&work->after, r, other);
			if (graph_in_group(work, r, init) && !graph_in_group(work, other, init))
				bitset_set(&work->after, other, r);
		}
	}
	return status;
}

/* Step 3: each group's members wait for the members of every group that any of them
 * references (chaperone's quirk). A service without groups still gets its own references. */
static int graph_expand_groups(struct graph_work *work)
{
	struct bitset_rows referenced;
	if (!bitset_alloc(&referenced, 1, work->ngroups))
		return -1;
	uint64_t *union_refs = referenced.bits;
	uint64_t *pending = calloc(work->members.words, sizeof(uint64_t));
	if (!pending) {
		free(referenced.bits);
		return -1;
	}

	for (size_t g = 0; g < work->ngroups; g++) {
		memset(union_refs, 0, referenced.words * sizeof(uint64_t));
		for (size_t r = 0; r < work->n; r++)
			if (bitset_test(&work->members, g, r))
				bitset_merge(union_refs, bitset_row(&work->group_refs, r),
					     referenced.words);
		/* pending = the members of every referenced group */
		memset(pending, 0, work->members.words * sizeof(uint64_t));
		for (size_t h = 0; h < work->ngroups; h++)
			if (bitset_test(&referenced, 0, h))
				bitset_merge(pending, bitset_row(&work->members, h),
					     work->members.words);
		for (size_t r = 0; r < work->n; r++)
			if (bitset_test(&work->members, g, r))
				bitset_merge(bitset_row(&work->after, r), pending,
					     work->after.words);
	}
	free(pending);
	free(referenced.bits);
	return 0;
}

/* Turns the bit matrix into ascending prerequisite lists, dropping self-edges that only
 * came from groups (a service cannot wait for itself; chaperone would call it a cycle). */
static int graph_adjacency(struct graph_work *work)
{
	size_t n = work->n;
	work->adj = calloc(n ? n : 1, sizeof(*work->adj));
	work->nadj = calloc(n ? n : 1, sizeof(*work->nadj));
	if (!work->adj || !work->nadj)
		return -1;
	for (size_t r = 0; r < n; r++) {
		if (!work->self_explicit[r] && bitset_test(&work->after, r, r))
			bitset_row(&work->after, r)[r / BITS_PER_WORD] &=
			    ~(UINT64_C(1) << (r % BITS_PER_WORD));
		size_t count = 0;
		const uint64_t *row = bitset_row(&work->after, r);
		for (size_t w = 0; w < work->after.words; w++)
			count += (size_t)__builtin_popcountll(row[w]);
		work->adj[r] = malloc((count ? count : 1) * sizeof(size_t));
		if (!work->adj[r])
			return -1;
		for (size_t w = 0; w < work->after.words; w++) {
			uint64_t word = row[w];
			while (word) {
				unsigned bit = (unsigned)__builtin_ctzll(word);
				work->adj[r][work->nadj[r]++] = w * BITS_PER_WORD + bit;
				word &= word - 1;
			}
		}
	}
	return 0;
}

/* A depth-first walk's own stack, so PID 1 does not recurse as deep as the graph: per frame a
 * service and how many of its prerequisites the walk has taken. */
struct graph_dfs {
	size_t *node;
	size_t *edge;
	size_t frames;
};

static bool graph_dfs_alloc(struct graph_dfs *dfs, size_t n)
{
	dfs->node = malloc((n ? n : 1) * sizeof(size_t));
	dfs->edge = malloc((n ? n : 1) * sizeof(size_t));
	dfs->frames = 0;
	return dfs->node && dfs->edge;
}

static void graph_dfs_free(struct graph_dfs *dfs)
{
	free(dfs->node);
	free(dfs->edge);
}

static void graph_dfs_push(struct graph_dfs *dfs, size_t node)
{
	dfs->node[dfs->frames] = node;
	dfs->edge[dfs->frames++] = 0;
}

static size_t graph_dfs_top(const struct graph_dfs *dfs)
{
	return dfs->node[dfs->frames - 1];
}

/* The top service's next prerequisite (in name order); false once it has none left. */
static bool graph_dfs_next(const struct graph_work *work, struct graph_dfs *dfs, size_t *next)
{
	size_t top = dfs->frames - 1;
	size_t node = dfs->node[top];
	if (dfs->edge[top] >= work->nadj[node])
		return false;
	*next = work->adj[node][dfs->edge[top]++];
	return true;
}

/* Tarjan's strongly connected components, iteratively (no recursion depth in PID 1).
 * component[r] gets a component number; returns the number of components or -1. */
static long graph_components(const struct graph_work *work, size_t *component)
{
	size_t n = work->n;
	const size_t unvisited = SIZE_MAX;
	size_t *index = malloc((n ? n : 1) * sizeof(size_t));
	size_t *low = malloc((n ? n : 1) * sizeof(size_t));
	size_t *stack = malloc((n ? n : 1) * sizeof(size_t));
	bool *on_stack = calloc(n ? n : 1, sizeof(bool));
	struct graph_dfs dfs;
	bool dfs_ok = graph_dfs_alloc(&dfs, n);
	long result = -1;
	if (!index || !low || !stack || !on_stack || !dfs_ok)
		goto out;

	for (size_t r = 0; r < n; r++)
		index[r] = unvisited;
	size_t counter = 0, depth = 0, ncomponents = 0;
	for (size_t root = 0; root < n; root++) {
		if (index[root] != unvisited)
			continue;
		index[root] = low[root] = counter++;
		stack[depth++] = root;
		on_stack[root] = true;
		graph_dfs_push(&dfs, root);
		while (dfs.frames > 0) {
			size_t v = graph_dfs_top(&dfs);
			size_t w;
			if (graph_dfs_next(work, &dfs, &w)) {
				if (index[w] == unvisited) {
					index[w] = low[w] = counter++;
					stack[depth++] = w;
					on_stack[w] = true;
					graph_dfs_push(&dfs, w);
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				size_t popped;
				do {
					popped = stack[--depth];
					on_stack[popped] = false;
					component[popped] = ncomponents;
				} while (popped != v);
				ncomponents++;
			}
			dfs.frames--;
			if (dfs.frames > 0) {
				size_t parent = graph_dfs_top(&dfs);
				if (low[v] < low[parent])
					low[parent] = low[v];
			}
		}
	}
	result = (long)ncomponents;
out:
	free(index);
	free(low);
	free(stack);
	free(on_stack);
	graph_dfs_free(&dfs);
	return result;
}

/* One error for the component of `start` (its first member in name order): the shortest
 * cycle through start, then any other members of the component. */
static int graph_report_cycle(const struct graph_work *work, const size_t *component, size_t start,
			      struct conf_errors *errors)
{
	size_t n = work->n;
	size_t *parent = malloc(n * sizeof(size_t));
	size_t *queue = malloc(n * sizeof(size_t));
	bool *seen = calloc(n, sizeof(bool));
	bool *in_cycle = calloc(n, sizeof(bool));
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = NULL;
	int status = -1;
	if (!parent || !queue || !seen || !in_cycle)
		goto done;

	size_t head = 0, tail = 0, last = SIZE_MAX;
	queue[tail++] = start;
	seen[start] = true;
	while (head < tail && last == SIZE_MAX) {
		size_t u = queue[head++];
		for (size_t k = 0; k < work->nadj[u]; k++) {
			size_t w = work->adj[u][k];
			if (w == start) {
				last = u;
				break;
			}
			if (!seen[w] && component[w] == component[start]) {
				seen[w] = true;
				parent[w] = u;
				queue[tail++] = w;
			}
		}
	}
	if (last == SIZE_MAX)
		goto done; /* cannot happen for a real cycle */

	/* the path start -> ... -> last, collected backwards into queue */
	size_t length = 0;
	for (size_t v = last;; v = parent[v]) {
		queue[length++] = v;
		in_cycle[v] = true;
		if (v == start)
			break;
	}
	out = open_memstream(&text, &text_len);
	if (!out)
		goto done;
	fputs("dependency cycle: ", out);
	while (length > 0)
		fprintf(out, "%s -> ", graph_service(work, queue[--length])->name);
	fputs(graph_service(work, start)->name, out);
	const char *joiner = " (also in this cycle: ";
	bool more = false;
	for (size_t r = 0; r < n; r++) {
		if (component[r] == component[start] && !in_cycle[r]) {
			fprintf(out, "%s%s", joiner, graph_service(work, r)->name);
			joiner = ", ";
			more = true;
		}
	}
	if (more)
		fputc(')', out);
	if (fclose(out) != 0) {
		out = NULL;
		goto done;
	}
	out = NULL;
	conf_errors_add(errors, &graph_service(work, start)->origin, "%s", text);
	status = 0;
done:
	if (out)
		fclose(out);
	free(text);
	free(parent);
	free(queue);
	free(seen);
	free(in_cycle);
	return status;
}

static void graph_out_of_memory(struct conf_errors *errors)
{
	static const struct conf_origin nowhere = {.file = NULL, .line = 0, .column = 0};
	conf_errors_add(errors, &nowhere, "service dependencies: out of memory");
}

/* -1 and one error per cycle when the graph has cycles. */
static int graph_check_cycles(const struct graph_work *work, struct conf_errors *errors)
{
	size_t n = work->n;
	if (n == 0)
		return 0;
	size_t *component = malloc(n * sizeof(size_t));
	size_t *size = calloc(n, sizeof(size_t));
	bool *reported = calloc(n, sizeof(bool));
	int status = -1;
	if (!component || !size || !reported || graph_components(work, component) < 0) {
		graph_out_of_memory(errors);
		goto out;
	}
	for (size_t r = 0; r < n; r++)
		size[component[r]]++;
	status = 0;
	for (size_t r = 0; r < n; r++) {
		size_t c = component[r];
		bool cyclic = size[c] > 1 || work->self_explicit[r];
		if (!cyclic || reported[c])
			continue;
		reported[c] = true;
		if (graph_report_cycle(work, component, r, errors) < 0)
			conf_errors_add(errors, &graph_service(work, r)->origin,
					"dependency cycle through %s",
					graph_service(work, r)->name);
		status = -1;
	}
out:
	free(component);
	free(size);
	free(reported);
	return status;
}

/* Post-order DFS from each service in name order, prerequisites in name order. */
static int graph_topological(const struct graph_work *work, struct graph *graph)
{
	size_t n = work->n;
	bool *done = calloc(n ? n : 1, sizeof(bool));
	struct graph_dfs dfs;
	bool dfs_ok = graph_dfs_alloc(&dfs, n);
	int status = -1;
	if (!done || !dfs_ok)
		goto out;
	size_t count = 0;
	for (size_t root = 0; root < n; root++) {
		if (done[root])
			continue;
		graph_dfs_push(&dfs, root);
		done[root] = true;
		while (dfs.frames > 0) {
			size_t w;
			if (graph_dfs_next(work, &dfs, &w)) {
				if (!done[w]) {
					done[w] = true;
					graph_dfs_push(&dfs, w);
				}
				continue;
			}
			graph->order[count++] = work->by_rank[graph_dfs_top(&dfs)];
			dfs.frames--;
		}
	}
	status = 0;
out:
	free(done);
	graph_dfs_free(&dfs);
	return status;
}

static int graph_export(const struct graph_work *work, struct graph *graph)
{
	size_t n = work->n;
	graph->count = n;
	graph->prereqs = calloc(n ? n : 1, sizeof(*graph->prereqs));
	graph->nprereqs = calloc(n ? n : 1, sizeof(*graph->nprereqs));
	graph->order = calloc(n ? n : 1, sizeof(*graph->order));
	if (!graph->prereqs || !graph->nprereqs || !graph->order)
		return -1;
	for (size_t r = 0; r < n; r++) {
		size_t i = work->by_rank[r];
		graph->prereqs[i] = malloc((work->nadj[r] ? work->nadj[r] : 1) * sizeof(size_t));
		if (!graph->prereqs[i])
			return -1;
		for (size_t k = 0; k < work->nadj[r]; k++)
			graph->prereqs[i][k] = work->by_rank[work->adj[r][k]];
		graph->nprereqs[i] = work->nadj[r];
	}
	return graph_topological(work, graph);
}

static void graph_work_free(struct graph_work *work)
{
	if (work->adj)
		for (size_t r = 0; r < work->n; r++)
			free(work->adj[r]);
	free(work->adj);
	free(work->nadj);
	free(work->sorted);
	free(work->by_rank);
	free(work->groups);
	free(work->members.bits);
	free(work->group_refs.bits);
	free(work->after.bits);
	free(work->self_explicit);
}

int graph_build(const struct config *config, struct graph *graph, struct conf_errors *errors)
{
	struct graph_work work = {.config = config, .n = config->nservices};
	int status = 0;

	memset(graph, 0, sizeof(*graph));
	if (graph_index_services(&work) < 0 || graph_index_groups(&work) < 0 ||
	    !bitset_alloc(&work.after, work.n, work.n) ||
	    !bitset_alloc(&work.group_refs, work.n, work.ngroups))
		goto out_of_memory;
	if (graph_direct_edges(&work, errors) < 0)
		status = -1;
	if (graph_expand_groups(&work) < 0 || graph_adjacency(&work) < 0)
		goto out_of_memory;
	if (graph_check_cycles(&work, errors) < 0)
		status = -1;
	if (status == 0 && graph_export(&work, graph) < 0)
		goto out_of_memory;
	graph_work_free(&work);
	if (status < 0)
		graph_free(graph);
	return status;

out_of_memory:
	graph_out_of_memory(errors);
	graph_work_free(&work);
	graph_free(graph);
	return -1;
}

void graph_free(struct graph *graph)
{
	if (graph->prereqs)
		for (size_t i = 0; i < graph->count; i++)
			free(graph->prereqs[i]);
	free(graph->prereqs);
	free(graph->nprereqs);
	free(graph->order);
	memset(graph, 0, sizeof(*graph));
}
