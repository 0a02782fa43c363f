/*
 * fuzz_event.c — Engine event lines (untrusted JSON from the socket): parse, normalize and
 * run through the de-duplication window.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_seen seen;
	struct event ev;
	if (event_parse((const char *)data, size, &ev) != 0)
		return 0;
	if (strlen(ev.id) > EVENT_ID_MAX || strlen(ev.action) > EVENT_ACTION_MAX ||
	    ev.id[0] == '\0' || ev.action[0] == '\0')
		abort();
	if (strchr(ev.action, ':'))
		abort();
	if (!event_seen_check(&seen, &ev) && !event_seen_check(&seen, &ev))
		abort(); /* the second look must find it */
	return 0;
}
