/*
 * ops.c — control commands whose effect completes later. Each op holds the services a
 * command named and, per service, the step it is at: wait until stopped then start (start
 * --force, restart), wait until started (start --wait), wait until stopped (stop/reset,
 * then stop --disable disables). Ops move on every service change the system publishes;
 * none polls. A connection that asked for --wait gets its reply when every service is done
 * (or one failed); without --wait the op runs on alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/server.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

struct ctl_op {
	struct ctl_op *next;
	struct ctl_server *server;
	struct ctl_conn *conn;
	enum ctl_verb verb;
	unsigned options;
	size_t n;
	struct service **services;
	enum ctl_op_step *steps;
	char failed[300]; /* names of services that failed to start */
};

static bool quiescent(const struct service *svc)
{
	/* at rest: no process, and nothing armed (a scheduled cron, a pending restart) */
	return svc->pid == 0 && svc->attached_pid == 0 &&
	       (svc->state == SVC_INACTIVE || svc->state == SVC_DISABLED ||
		svc->state == SVC_EXITED || svc->state == SVC_FAILED);
}

static bool up(const struct service *svc)
{
	return svc->state == SVC_RUNNING || svc->state == SVC_READY ||
	       svc->state == SVC_SCHEDULED || svc->state == SVC_EXITED;
}

static void note_failed(struct ctl_op *op, const struct service *svc)
{
	size_t used = strlen(op->failed);
	snprintf(op->failed + used, sizeof(op->failed) - used, "%s%s", used ? ", " : "",
		 svc->short_name);
}

/* Move one service along; returns true when it has nothing more to do. */
static bool step(struct ctl_op *op, size_t i)
{
	struct service *svc = op->services[i];
	struct system *system = op->server->system;
	switch (op->steps[i]) {
	case OP_STEP_STOP_THEN_START:
		if (!quiescent(svc))
			return false;
		if (!svc->enabled || system_request_start(system, svc) < 0) {
			note_failed(op, svc);
			op->steps[i] = OP_STEP_DONE;
			return true;
		}
		op->steps[i] = op->conn ? OP_STEP_WAIT_STARTED : OP_STEP_DONE;
		return op->steps[i] == OP_STEP_DONE;
	case OP_STEP_WAIT_STARTED:
		if (up(svc)) {
			op->steps[i] = OP_STEP_DONE;
			return true;
		}
		if (svc->state == SVC_FAILED || svc->state == SVC_DISABLED ||
		    svc->state == SVC_INACTIVE) {
			note_failed(op, svc);
			op->steps[i] = OP_STEP_DONE;
			return true;
		}
		return false;
	case OP_STEP_WAIT_STOPPED:
		if (!quiescent(svc))
			return false;
		if (op->options & CTL_OPT_DISABLE) {
			svc->enabled = false;
			service_dispatch(svc, SVC_EV_DISABLE);
		}
		if (op->verb == CTL_STOP && svc->conf->pidfile && !strchr(svc->conf->pidfile, '$'))
			unlink(svc->conf->pidfile); /* chaperone deletes the pidfile on stop */
		op->steps[i] = OP_STEP_DONE;
		return true;
	default:
		return true;
	}
}

static const char *done_text(const struct ctl_op *op)
{
	switch (op->verb) {
	case CTL_START:
		return "services started.";
	case CTL_RESTART:
		return "services restarted.";
	case CTL_STOP:
		return "services stopped.";
	default:
		return "services reset.";
	}
}

static void op_free(struct ctl_op *op)
{
	free(op->services);
	free(op->steps);
	free(op);
}

static void op_unlink(struct ctl_op *op)
{
	for (struct ctl_op **p = &op->server->ops; *p; p = &(*p)->next)
		if (*p == op) {
			*p = op->next;
			return;
		}
}

/* Returns true when the op finished (and was freed). */
static bool op_progress(struct ctl_op *op)
{
	bool all_done = true;
	for (size_t i = 0; i < op->n; i++)
		if (op->steps[i] != OP_STEP_DONE && !step(op, i))
			all_done = false;
	if (!all_done)
		return false;
	op_unlink(op);
	if (op->conn) {
		struct ctl_conn *conn = op->conn;
		conn->op = NULL;
		char text[400];
		if (op->failed[0])
			snprintf(text, sizeof(text), "Command error: services failed to start: %s",
				 op->failed);
		else
			snprintf(text, sizeof(text), "%s", done_text(op));
		ctl_conn_reply(conn, CTL_RESULT, text);
	} else if (op->failed[0]) {
		tend_log(system_logger(op->server->system), LOG_SEVERITY_WARNING,
			 "queued %s (for %s) did not complete", ctl_verb_name(op->verb),
			 op->failed);
	}
	op_free(op);
	return true;
}

struct ctl_op *ctl_op_new(struct ctl_server *server, struct ctl_conn *conn, enum ctl_verb verb,
			  unsigned options, struct service *const *services, size_t n,
			  enum ctl_op_step first_step)
{
	struct ctl_op *op = calloc(1, sizeof(*op));
	if (op) {
		op->services = calloc(n ? n : 1, sizeof(*op->services));
		op->steps = calloc(n ? n : 1, sizeof(*op->steps));
	}
	if (!op || !op->services || !op->steps) {
		if (op)
			op_free(op);
		if (conn)
			ctl_conn_reply(conn, CTL_EXCEPTION, "out of memory");
		return NULL;
	}
	op->server = server;
	op->conn = conn;
	op->verb = verb;
	op->options = options;
	op->n = n;
	for (size_t i = 0; i < n; i++) {
		op->services[i] = services[i];
		op->steps[i] = first_step;
	}
	if (first_step == OP_STEP_STOP_THEN_START && (options & CTL_OPT_FORCE)) {
		/* reset first: whatever runs is stopped, then it starts afresh */
		for (size_t i = 0; i < n; i++)
			if (!quiescent(services[i]) || services[i]->state != SVC_INACTIVE)
				service_dispatch(services[i], SVC_EV_RESET);
	}
	op->next = server->ops;
	server->ops = op;
	if (conn) {
		conn->op = op;
		loop_timer_start(server->loop, &conn->timer, CTL_WAIT_TIMEOUT_MS);
	}
	ctl_ops_progress(server);
	return op; /* may be finished already: callers only test it for NULL */
}

void ctl_ops_progress(struct ctl_server *server)
{
	/* Starting a service publishes events that land here again: note it and loop. */
	if (server->ops_busy) {
		server->ops_again = true;
		return;
	}
	server->ops_busy = true;
	do {
		server->ops_again = false;
		for (struct ctl_op *op = server->ops; op; op = op->next)
			if (op_progress(op)) {
				server->ops_again = true; /* the list changed under us */
				break;
			}
	} while (server->ops_again);
	server->ops_busy = false;
}

void ctl_op_forget_conn(struct ctl_op *op)
{
	op->conn = NULL;
	/* nobody waits: started-waits are pointless, the rest still applies */
	for (size_t i = 0; i < op->n; i++)
		if (op->steps[i] == OP_STEP_WAIT_STARTED)
			op->steps[i] = OP_STEP_DONE;
}

void ctl_ops_cancel(struct ctl_server *server, const char *why)
{
	while (server->ops) {
		struct ctl_op *op = server->ops;
		server->ops = op->next;
		if (op->conn) {
			op->conn->op = NULL;
			ctl_conn_reply(op->conn, CTL_RESULT, why);
		}
		op_free(op);
	}
}

void ctl_ops_free(struct ctl_server *server)
{
	while (server->ops) {
		struct ctl_op *op = server->ops;
		server->ops = op->next;
		if (op->conn)
			op->conn->op = NULL;
		op_free(op);
	}
}
