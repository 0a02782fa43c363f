/*
 * argv.h — splitting a command string into argv the way Python's shlex.split (POSIX mode)
 * does, which is what chaperone uses for `command` and `_CHAP_OPTIONS`. No shell involved.
 */
#ifndef TEND_CORE_ARGV_H
#define TEND_CORE_ARGV_H

#include <stddef.h>

/* Returns a NULL-terminated malloc'd vector (free with argv_free) and its length in *argc,
 * or NULL with a message in err ("unterminated quote") on bad input or no memory. */
char **argv_split(const char *text, size_t *argc, char *err, size_t errlen);
void argv_free(char **argv);

#endif
