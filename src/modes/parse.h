/*
 * parse.h — the small argument parsers of the tini and dumb-init modes, kept apart from the
 * process code so that unit tests can check them against what the real programs accept.
 */
#ifndef TEND_MODES_PARSE_H
#define TEND_MODES_PARSE_H

/* tini -e: a decimal exit code 0..255 as strtol reads it (leading blanks and '+' allowed,
 * nothing after the digits; an empty string is 0, as in tini). Returns -1 when invalid. */
int modes_parse_exit_code(const char *text);

/* tini -p: a signal name with its SIG prefix, from tini's own list ("SIGKILL", not "KILL",
 * "9" or "SIGPWR"). Returns the signal number, or -1. */
int modes_parse_tini_signal(const char *name);

/* dumb-init -r s:r, read as sscanf("%d:%d") reads it; s must be 1..31, r 0..31.
 * Returns 0 and fills *from and *to, or -1. */
int modes_parse_rewrite(const char *text, int *from, int *to);

/* The last component of a path, as tini prints its own name ("/usr/bin/tini" -> "tini"). */
const char *modes_basename(const char *path);

#endif
