/*
 * status.h — the `status` reply: chaperone's text (version, uptime, process counts, then the
 * `pid name enabled status note` table sorted by name), `status --json`, and `status --check`
 * (one line: "healthy" or "unhealthy: <service> <why>, ...").
 */
#ifndef TEND_CTL_STATUS_H
#define TEND_CTL_STATUS_H

#include <jansson.h>
#include <stdbool.h>

struct system;
struct ctl_buf;

void ctl_status_text(const struct system *system, struct ctl_buf *out);
/* The whole system as JSON (also served by HTTP as /services). */
json_t *ctl_status_json(const struct system *system);
/* Returns true when healthy. */
bool ctl_status_check(const struct system *system, struct ctl_buf *out);

#endif
