/*
 * fuzz_modes_parse.c — libFuzzer target for src/modes/parse.c: any bytes, as a C string, go
 * through the -e, -p and -r parsers and the basename; results must stay in their ranges and
 * a parsed rewrite must print back to something that parses to the same pair.
 * Seeds: tests/fuzz/corpus/fuzz_modes_parse/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	int code = modes_parse_exit_code(text);
	if (code < -1 || code > 255)
		abort();
	int signo = modes_parse_tini_signal(text);
	if (signo == 0 || signo < -1 || signo > 31)
		abort();
	int from = -1, to = -1;
	if (modes_parse_rewrite(text, &from, &to) == 0) {
		if (from < 1 || from > 31 || to < 0 || to > 31)
			abort();
		char again[32];
		int again_from, again_to;
		snprintf(again, sizeof(again), "%d:%d", from, to);
		if (modes_parse_rewrite(again, &again_from, &again_to) != 0 || again_from != from ||
		    again_to != to)
			abort();
	}
	const char *base = modes_basename(text);
	if (base < text || base > text + strlen(text) || strchr(base, '/'))
		abort();
	free(text);
	return 0;
}
