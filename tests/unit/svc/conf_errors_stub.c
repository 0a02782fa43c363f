/*
 * conf_errors_stub.c — a minimal conf_errors_add/free for unit tests that compile a conf/
 * source directly, so they do not depend on the rest of conf/ being finished.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/config.h"

void conf_errors_add(struct conf_errors *errors, const struct conf_origin *origin, const char *fmt,
		     ...)
{
	va_list args;
	char *message = NULL;
	va_start(args, fmt);
	if (vasprintf(&message, fmt, args) < 0)
		message = NULL;
	va_end(args);
	struct conf_error *items =
	    realloc(errors->items, (errors->count + 1) * sizeof(*errors->items));
	if (!items || !message)
		abort();
	errors->items = items;
	errors->items[errors->count].origin = origin ? *origin : (struct conf_origin){0};
	errors->items[errors->count].message = message;
	errors->count++;
}

void conf_errors_free(struct conf_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		free(errors->items[i].message);
	free(errors->items);
	errors->items = NULL;
	errors->count = 0;
}
