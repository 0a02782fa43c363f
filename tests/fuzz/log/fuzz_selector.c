/*
 * fuzz_selector.c — any text as a selector: compiling must fail cleanly or succeed, and a
 * compiled selector must match records without crashing (regexes included).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0; /* selectors are short; huge regexes only test the C library */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char error[256];
	struct selector *selector = selector_compile(text, error, sizeof(error));
	if (selector) {
		static const char raw[] = "<30>Nov 27 12:28:12 cron[1]: hello password";
		struct log_record record = {
		    .facility = 3,
		    .severity = 6,
		    .tag = "cron",
		    .text = raw + 29,
		    .text_len = sizeof(raw) - 30,
		    .raw = raw,
		    .raw_len = sizeof(raw) - 1,
		};
		for (int severity = 0; severity < 8; severity++) {
			record.severity = severity;
			record.facility = (severity * 5) % 24;
			selector_match(selector, &record, -1);
			selector_match(selector, &record, severity);
		}
		record.tag = NULL;
		record.raw = NULL;
		selector_match(selector, &record, -1);
		selector_free(selector);
	} else if (error[0] == '\0') {
		abort(); /* a failure always says why */
	}
	free(text);
	return 0;
}
