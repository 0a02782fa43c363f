/*
 * fuzz_header.c — the target header parser and evaluator on arbitrary lines: no crash, no
 * leak, errors point inside (or just past) the line, and evaluation stays in bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header h;
	struct header_error err;
	if (header_parse((const char *)data, size, &h, &err) < 0) {
		if (err.column == 0 || (size <= HEADER_LINE_MAX && err.column > size + 1))
			abort();
		return 0;
	}
	static const char *ids[] = {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"};
	static const char *names[] = {"a", "b"};
	struct header_world w = {.n = 2,
				 .ids = ids,
				 .names = names,
				 .me_id = ids[0],
				 .contrainer_id = ids[1],
				 .allow_host = true,
				 .allow_all = true};
	bool set[3];
	for (size_t g = 0; g < h.n_groups; g++) {
		if (h.groups[g].n_terms == 0)
			abort();
		header_eval_group(&h.groups[g], &w, set);
		header_group_has_event(&h.groups[g], "start");
	}
	header_mentions(&h, HEADER_HOST);
	header_free(&h);
	return 0;
}
