/*
 * http_routes.c — the HTTP face's answers (see http_routes.h). JSON through jansson, the
 * same service descriptions as `tendctl status --json` (svcinfo.c).
 */
#include "ctl/http_routes.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/child.h"
#include "core/loop.h"
#include "ctl/http_parse.h"
#include "ctl/status.h"
#include "ctl/svcinfo.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

void logger_get_stats(const struct logger *logger, struct logger_stats *stats)
    __attribute__((weak));

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static const char *phase_name(enum system_phase phase)
{
	static const char *const names[] = {"boot", "starting", "running", "stopping", "done"};
	return phase <= PHASE_DONE ? names[phase] : "?";
}

static void json_body(struct http_response *resp, int status, json_t *json)
{
	resp->status = status;
	resp->content_type = "application/json";
	char *text = json ? json_dumps(json, JSON_INDENT(2)) : NULL;
	ctl_buf_str(&resp->body, text ? text : "{}");
	ctl_buf_str(&resp->body, "\n");
	free(text);
	json_decref(json);
}

static void route_healthz(struct system *system, struct http_response *resp)
{
	json_t *o = json_object();
	json_t *failing = json_object();
	for (size_t i = 0; i < system_service_count(system); i++) {
		const struct service *svc = system_service_at(system, i);
		const char *why;
		if (!ctl_service_hidden(system, svc) && !ctl_service_healthy(system, svc, &why))
			json_object_set_new(failing, svc->conf->name, json_string(why));
	}
	enum system_phase phase = system_phase(system);
	bool healthy = phase == PHASE_RUNNING && json_object_size(failing) == 0;
	json_object_set_new(o, "status", json_string(healthy ? "ok" : "unhealthy"));
	json_object_set_new(o, "phase", json_string(phase_name(phase)));
	json_object_set_new(o, "unhealthy", failing);
	json_body(resp, healthy ? 200 : 503, o);
}

static void route_readyz(struct system *system, struct http_response *resp)
{
	enum system_phase phase = system_phase(system);
	bool ready = phase == PHASE_RUNNING;
	json_t *o = json_object();
	json_object_set_new(o, "ready", json_boolean(ready));
	json_object_set_new(o, "phase", json_string(phase_name(phase)));
	json_body(resp, ready ? 200 : 503, o);
}

static void not_found(struct http_response *resp, const char *what)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(what));
	json_body(resp, 404, o);
}

/* Prometheus label values: backslash, double quote and newline are escaped. */
static void label_value(struct ctl_buf *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\\')
			ctl_buf_str(out, "\\\\");
		else if (*p == '"')
			ctl_buf_str(out, "\\\"");
		else if (*p == '\n')
			ctl_buf_str(out, "\\n");
		else
			ctl_buf_add(out, p, 1);
	}
}

static void metric_head(struct ctl_buf *out, const char *name, const char *type, const char *help)
{
	ctl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void per_service(struct ctl_buf *out, const struct service *svc, const char *name,
			unsigned long long value)
{
	ctl_buf_printf(out, "%s{service=\"", name);
	label_value(out, svc->conf->name);
	ctl_buf_printf(out, "\"} %llu\n", value);
}

void http_metrics(struct system *system, const struct http_stats *stats, struct ctl_buf *out)
{
	size_t n = system_service_count(system);
	metric_head(out, "tend_up", "gauge", "1 while tend runs (0 while it shuts down).");
	ctl_buf_printf(out, "tend_up %d\n", system_phase(system) < PHASE_STOPPING);
	metric_head(out, "tend_uptime_seconds", "gauge",
		    "Seconds since tend started its services.");
	ctl_buf_printf(out, "tend_uptime_seconds %.3f\n",
		       (double)(loop_now_ms() - system_started_at_ms(system)) / 1000.0);
	metric_head(out, "tend_healthy", "gauge",
		    "1 when every enabled service is where it should be.");
	ctl_buf_printf(out, "tend_healthy %d\n", ctl_system_healthy(system));

	metric_head(out, "tend_services", "gauge", "Services by state.");
	for (int st = 0; st < SVC_STATE_COUNT; st++) {
		size_t count = 0;
		for (size_t i = 0; i < n; i++)
			count += !ctl_service_hidden(system, system_service_at(system, i)) &&
				 system_service_at(system, i)->state == (enum service_state)st;
		ctl_buf_printf(out, "tend_services{state=\"%s\"} %zu\n",
			       service_state_name((enum service_state)st), count);
	}
	metric_head(out, "tend_service_up", "gauge",
		    "1 when the service is up (running, ready, "
		    "scheduled or done).");
	for (size_t i = 0; i < n; i++) {
		const struct service *svc = system_service_at(system, i);
		if (ctl_service_hidden(system, svc))
			continue;
		bool up = svc->state == SVC_RUNNING || svc->state == SVC_READY ||
			  svc->state == SVC_SCHEDULED || svc->state == SVC_EXITED;
		per_service(out, svc, "tend_service_up", up);
	}
	metric_head(out, "tend_service_restarts_total", "counter",
		    "Automatic restarts of the service.");
	for (size_t i = 0; i < n; i++)
		if (!ctl_service_hidden(system, system_service_at(system, i)))
			per_service(out, system_service_at(system, i),
				    "tend_service_restarts_total",
				    system_service_at(system, i)->restarts);

	metric_head(out, "tend_service_exits_total", "counter",
		    "Exits of service processes seen by tend, by exit code or signal.");
	for (int code = 0; code < HTTP_EXIT_CODES; code++)
		if (stats->exits_by_code[code] || code == 0)
			ctl_buf_printf(out, "tend_service_exits_total{code=\"%d\"} %llu\n", code,
				       (unsigned long long)stats->exits_by_code[code]);
	for (int sig = 1; sig < HTTP_EXIT_SIGNALS; sig++)
		if (stats->exits_by_signal[sig]) {
			const char *name = signal_name(sig);
			ctl_buf_printf(out,
				       "tend_service_exits_total{code=\"%d\",signal=\"%s\"} %llu\n",
				       128 + sig, name ? name : "?",
				       (unsigned long long)stats->exits_by_signal[sig]);
		}

	struct logger_stats log = {0};
	if (logger_get_stats)
		logger_get_stats(system_logger(system), &log);
	metric_head(out, "tend_log_records_total", "counter", "Log records emitted.");
	ctl_buf_printf(out, "tend_log_records_total %llu\n", (unsigned long long)log.records);
	metric_head(out, "tend_log_records_written_total", "counter",
		    "Log records written to at least one output.");
	ctl_buf_printf(out, "tend_log_records_written_total %llu\n",
		       (unsigned long long)log.written);
	metric_head(out, "tend_log_records_dropped_total", "counter",
		    "Log records dropped (full buffers, failing outputs).");
	ctl_buf_printf(out, "tend_log_records_dropped_total %llu\n",
		       (unsigned long long)log.dropped);
	metric_head(out, "tend_orphans_reaped_total", "counter",
		    "Processes tend reaped that no service owned.");
	ctl_buf_printf(out, "tend_orphans_reaped_total %lu\n", system_orphans_reaped(system));

	metric_head(out, "tend_http_requests_total", "counter",
		    "HTTP requests answered, by status class.");
	for (int c = 1; c <= 5; c++)
		ctl_buf_printf(out, "tend_http_requests_total{class=\"%dxx\"} %llu\n", c,
			       (unsigned long long)stats->requests[c]);
	metric_head(out, "tend_http_connections_dropped_total", "counter",
		    "HTTP connections refused (limit) or timed out (slow client).");
	ctl_buf_printf(out, "tend_http_connections_dropped_total{reason=\"limit\"} %llu\n",
		       (unsigned long long)stats->refused);
	ctl_buf_printf(out, "tend_http_connections_dropped_total{reason=\"timeout\"} %llu\n",
		       (unsigned long long)stats->timeouts);
}

void http_routes_handle(struct system *system, const struct http_stats *stats,
			const struct http_request *req, struct http_response *resp)
{
	const char *path = req->path;
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/health") == 0) {
		route_healthz(system, resp);
		return;
	}
	if (strcmp(path, "/readyz") == 0) {
		route_readyz(system, resp);
		return;
	}
	if (strcmp(path, "/services") == 0 || strcmp(path, "/services/") == 0) {
		json_body(resp, 200, ctl_status_json(system));
		return;
	}
	if (strncmp(path, "/services/", 10) == 0) {
		struct service *svc = system_find_service(system, path + 10);
		if (!svc || ctl_service_hidden(system, svc)) {
			not_found(resp, "no such service");
			return;
		}
		{
			json_body(resp, 200, ctl_service_json(system, svc));
			return;
		}
	}
	if (strcmp(path, "/metrics") == 0) {
		resp->status = 200;
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		http_metrics(system, stats, &resp->body);
		return;
	}
	not_found(resp, "no such resource (try /healthz, /readyz, /services, /metrics)");
}
