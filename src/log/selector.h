/*
 * selector.h — chaperone's selector language: "[!]facility.[!][=]priority" items joined by
 * ';', where facility is '*', a comma list of names, "[program]" or "/regex/" (POSIX ERE,
 * case-insensitive, searched in the raw message). Pure: compile once, match per record.
 *
 * Semantics (chaperone's): an item "F.P" is positive; "F.!P", "!F.P" and "!F.!P" are
 * negative. A record matches when every negative item is satisfied and at least one positive
 * item matches; with no positive item nothing matches.
 *   F.!P   and  !F.P  : satisfied unless the record is in F and at P
 *   !F.!P             : satisfied when the record is neither in F nor at P
 */
#ifndef TEND_LOG_SELECTOR_H
#define TEND_LOG_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "log/record.h"

struct selector;

/* NULL on error with a message in error (e.g. "invalid logging priority 'infx' in
 * 'kern.infx'"). An empty or NULL text means "*.*". */
struct selector *selector_compile(const char *text, char *error, size_t error_size);
void selector_free(struct selector *selector);

/* Whether matching looks at the message itself (a /regex/ item), not only at facility,
 * severity and tag. */
bool selector_reads_text(const struct selector *selector);

/* forced_level: --log-level, or -1. It lowers the bar of every positive "F.P" item to at
 * least that level (chaperone); "=P" items and negative items are left as written. */
bool selector_match(const struct selector *selector, const struct log_record *record,
		    int forced_level);

#endif
