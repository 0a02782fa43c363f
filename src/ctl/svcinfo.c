/*
 * svcinfo.c — service descriptions shared by the control socket, HTTP and host notify.
 */
#include "ctl/svcinfo.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "core/child.h"
#include "core/loop.h"
#include "svc/service.h"
#include "system.h"

bool system_service_removed(const struct system *s, const struct service *svc)
    __attribute__((weak));

bool ctl_service_hidden(const struct system *system, const struct service *svc)
{
	return system_service_removed && system_service_removed(system, svc);
}

/* "exit(3)" or "SIGKILL", as chaperone's ProcStatus.briefly. */
static void brief_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status)) {
		const char *name = signal_name(WTERMSIG(status));
		if (name)
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "signal(%d)", WTERMSIG(status));
	} else {
		snprintf(buf, len, "exit(%d)", WIFEXITED(status) ? WEXITSTATUS(status) : status);
	}
}

const char *ctl_service_status(const struct service *svc, char *buf, size_t len)
{
	switch (svc->state) {
	case SVC_WAITING:
		return "starting";
	case SVC_STARTING:
		return svc->conf->type == SERVICE_NOTIFY ? "activating" : "starting";
	case SVC_RUNNING:
	case SVC_READY:
		return "running";
	case SVC_SCHEDULED:
		return svc->pid ? "running" : "waiting";
	case SVC_STOPPING:
		return "stopping";
	case SVC_EXITED:
		return "started";
	case SVC_FAILED:
	case SVC_BACKOFF: {
		if (svc->last_status == -1)
			return svc->state == SVC_FAILED ? "failed" : "starting";
		char brief[48];
		brief_exit(svc->last_status, brief, sizeof(brief));
		if (svc->conf->restart && svc->restarts_left > 0)
			snprintf(buf, len, "%s+r#%d", brief, svc->restarts_left);
		else
			snprintf(buf, len, "%s", brief);
		return buf;
	}
	case SVC_DISABLED:
		return "disabled";
	case SVC_INACTIVE:
		/* stopped or reset: chaperone forgets the process and shows it ready again */
		return svc->enabled ? "ready" : "disabled";
	default:
		return NULL;
	}
}

bool ctl_service_healthy(const struct system *system, const struct service *svc, const char **why)
{
	const char *reason = NULL;
	if (svc->enabled) {
		switch (svc->state) {
		case SVC_WAITING:
		case SVC_STARTING:
			reason = "starting";
			break;
		case SVC_FAILED:
			reason = "failed";
			break;
		case SVC_BACKOFF:
			reason = "restarting";
			break;
		case SVC_STOPPING:
			reason = system_phase(system) >= PHASE_STOPPING ? "stopping" : NULL;
			break;
		default:
			break;
		}
	}
	if (why)
		*why = reason;
	return reason == NULL;
}

bool ctl_system_healthy(const struct system *system)
{
	if (system_phase(system) != PHASE_RUNNING)
		return false;
	for (size_t i = 0; i < system_service_count(system); i++)
		if (!ctl_service_healthy(system, system_service_at(system, i), NULL))
			return false;
	return true;
}

void ctl_format_uptime(uint64_t ms, char *buf, size_t len)
{
	uint64_t secs = ms / 1000;
	uint64_t days = secs / 86400;
	secs %= 86400;
	if (days)
		snprintf(buf, len, "%llu day%s, %llu:%02llu:%02llu", (unsigned long long)days,
			 days == 1 ? "" : "s", (unsigned long long)(secs / 3600),
			 (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
	else
		snprintf(buf, len, "%llu:%02llu:%02llu", (unsigned long long)(secs / 3600),
			 (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
}

static json_t *exit_json(int status)
{
	if (status == -1)
		return json_null();
	char text[64];
	json_t *o = json_object();
	if (WIFSIGNALED(status)) {
		json_object_set_new(o, "code", json_integer(128 + WTERMSIG(status)));
		const char *name = signal_name(WTERMSIG(status));
		json_object_set_new(o, "signal",
				    name ? json_string(name) : json_integer(WTERMSIG(status)));
	} else {
		json_object_set_new(o, "code",
				    json_integer(WIFEXITED(status) ? WEXITSTATUS(status) : status));
		json_object_set_new(o, "signal", json_null());
	}
	json_object_set_new(o, "text",
			    json_string(child_status_describe(status, text, sizeof(text))));
	return o;
}

json_t *ctl_service_json(const struct system *system, const struct service *svc)
{
	char buf[64];
	const char *status = ctl_service_status(svc, buf, sizeof(buf));
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(svc->conf->name));
	json_object_set_new(o, "type", json_string(service_type_name(svc->conf->type)));
	json_object_set_new(o, "state", json_string(service_state_name(svc->state)));
	json_object_set_new(o, "status", status ? json_string(status) : json_null());
	json_object_set_new(o, "enabled", json_boolean(svc->enabled));
	json_object_set_new(o, "started", json_boolean(svc->started));
	pid_t pid = svc->pid ? svc->pid : svc->attached_pid;
	json_object_set_new(o, "pid", pid ? json_integer(pid) : json_null());
	json_object_set_new(o, "restarts", json_integer(svc->restarts));
	json_object_set_new(o, "restarts_left",
			    svc->restarts_left >= 0 ? json_integer(svc->restarts_left)
						    : json_null());
	json_object_set_new(o, "last_exit", exit_json(svc->last_status));
	bool up =
	    svc->state == SVC_RUNNING || svc->state == SVC_READY || svc->state == SVC_SCHEDULED;
	json_object_set_new(o, "uptime_seconds",
			    up && svc->started_at_ms
				? json_real((double)(loop_now_ms() - svc->started_at_ms) / 1000.0)
				: json_null());
	json_object_set_new(o, "note", svc->note[0] ? json_string(svc->note) : json_null());
	const char *why;
	json_object_set_new(o, "healthy", json_boolean(ctl_service_healthy(system, svc, &why)));
	json_t *groups = json_array();
	for (size_t i = 0; i < svc->conf->service_groups.count; i++)
		json_array_append_new(groups, json_string(svc->conf->service_groups.items[i]));
	json_object_set_new(o, "groups", groups);
	return o;
}

static bool in_group(const struct service *svc, const char *group)
{
	for (size_t i = 0; i < svc->conf->service_groups.count; i++)
		if (strcmp(svc->conf->service_groups.items[i], group) == 0)
			return true;
	return false;
}

static bool add_unique(struct service **out, size_t *n, size_t max, struct service *svc)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i] == svc)
			return true;
	if (*n >= max)
		return false;
	out[(*n)++] = svc;
	return true;
}

long ctl_resolve_services(const struct system *system, char *const *names, size_t nnames,
			  struct service **out, size_t max, char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t k = 0; k < nnames; k++) {
		struct service *svc = system_find_service(system, names[k]);
		if (svc && ctl_service_hidden(system, svc))
			svc = NULL;
		bool found = false;
		if (svc) {
			found = true;
			if (!add_unique(out, &n, max, svc))
				goto too_many;
		} else {
			for (size_t i = 0; i < system_service_count(system); i++) {
				struct service *member = system_service_at(system, i);
				if (!ctl_service_hidden(system, member) &&
				    in_group(member, names[k])) {
					found = true;
					if (!add_unique(out, &n, max, member))
						goto too_many;
				}
			}
		}
		if (!found) {
			snprintf(err, errlen, "no such service: %s", names[k]);
			return -1;
		}
	}
	return (long)n;
too_many:
	snprintf(err, errlen, "too many services named (at most %zu)", max);
	return -1;
}
