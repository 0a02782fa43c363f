/*
 * conf_test.h — helpers for conf/ unit tests: a private temporary directory, files written
 * into it, and loading them with their errors.
 */
#ifndef TEND_TESTS_CONF_TEST_H
#define TEND_TESTS_CONF_TEST_H

#include "conf/conf.h"

/* A fresh temporary directory (malloc'd path), removed with everything in it by cleanup. */
char *conf_test_dir(void);
void conf_test_cleanup(char *dir);
/* Writes dir/name; returns the full path (malloc'd). */
char *conf_test_write(const char *dir, const char *name, const char *text);
/* Loads text as one file "test.conf" in a fresh directory; the directory is removed after. */
int conf_test_load(const char *text, struct config *config, struct conf_errors *errors);
/* True when some error's message equals message (and, when line > 0, is at line:column). */
int conf_test_has_error(const struct conf_errors *errors, int line, int column,
			const char *message);
/* Prints all errors (for a failing assertion's context). */
void conf_test_dump(const struct conf_errors *errors);

#endif
