/*
 * svcinfo.h — how the faces describe services: chaperone's status words for the `status`
 * table, what "healthy" means (for `status --check`, /healthz and host notify), a service as
 * JSON (`status --json`, /services), and service-or-group names resolved to services.
 */
#ifndef TEND_CTL_SVCINFO_H
#define TEND_CTL_SVCINFO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct system;
struct service;

/* A service a reload removed (its slot stays, disabled): left out of every listing. */
bool ctl_service_hidden(const struct system *system, const struct service *svc);

/* chaperone's status column: starting, running, started, exit(n)/SIGxxx[+r#N], disabled,
 * ready, waiting, activating (and tend's stopping). NULL means "-". */
const char *ctl_service_status(const struct service *svc, char *buf, size_t len);

/* In its wanted state: an enabled service that is up (or done, or stopped on request).
 * Sets *why to a short reason when not. */
bool ctl_service_healthy(const struct system *system, const struct service *svc, const char **why);

/* The whole system is healthy: start-up finished, not stopping, every service healthy. */
bool ctl_system_healthy(const struct system *system);

/* {"name", "type", "state", "status", "enabled", "pid", "restarts", "restarts_left",
 *  "last_exit": {...} or null, "uptime_seconds", "note", "groups"} */
json_t *ctl_service_json(const struct system *system, const struct service *svc);

/* "0:01:02" or "3 days, 4:05:06" (Python's timedelta, without the microseconds). */
void ctl_format_uptime(uint64_t ms, char *buf, size_t len);

/* Resolve service names ("foo" or "foo.service") and group names to distinct services, in the
 * order given. Returns the number found, or -1 with "no such service: X" in err. */
long ctl_resolve_services(const struct system *system, char *const *names, size_t nnames,
			  struct service **out, size_t max, char *err, size_t errlen);

#endif
