/*
 * fuzz_cron.c — libFuzzer target for svc/cron_expr.c: parse any text as a cron expression;
 * when it parses, compute a few next fire times in zones with DST changes (New York,
 * Berlin, Lord Howe's 30-minute shift) from start times taken from the input, and check
 * that each is strictly later than the time it was asked for.
 * Seeds: tests/fuzz/corpus/fuzz_cron/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc/cron_expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zones[] = {"America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
				    "UTC"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512)
		return 0;
	char text[513];
	memcpy(text, data, size);
	text[size] = '\0';

	struct cron_expr e;
	char err[128];
	if (cron_expr_parse(text, &e, err, sizeof(err)) < 0) {
		if (strlen(err) == 0 || errno != EINVAL)
			abort();
		return 0;
	}

	/* a start time from the input's bytes, kept within 1970..2100 */
	uint32_t seed = 2166136261u;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	setenv("TZ", zones[seed % 4], 1);
	tzset();
	time_t t = (time_t)(seed % 4102444800u);
	for (int i = 0; i < 4; i++) {
		time_t next;
		if (cron_expr_next(&e, t, &next) < 0) {
			if (errno != ERANGE)
				abort();
			break;
		}
		if (next <= t)
			abort();
		t = next;
	}
	return 0;
}
