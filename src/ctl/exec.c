/*
 * exec.c — what each control command does, with chaperone's checks and replies
 * (reference/chaperone.md §6): start/stop/reset refuse services in the wrong state unless
 * --force, errors come back as "RESULT\nCommand error: ...", and --wait holds the reply
 * until the services got where they were sent (ops.c). Group names work wherever service
 * names do.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/graph.h"
#include "ctl/logring.h"
#include "ctl/server.h"
#include "ctl/status.h"
#include "ctl/svcinfo.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

void logger_set_tap(struct logger *logger, logger_tap_fn *fn, void *arg) __attribute__((weak));

#define MAX_TARGETS 256

static void reply_text(struct ctl_conn *conn, enum ctl_reply_kind kind, const char *text)
{
	if (conn)
		ctl_conn_reply(conn, kind, text);
}

static void command_error(struct ctl_server *server, struct ctl_conn *conn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void command_error(struct ctl_server *server, struct ctl_conn *conn, const char *fmt, ...)
{
	char text[1024] = "Command error: ";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text + strlen(text), sizeof(text) - strlen(text), fmt, ap);
	va_end(ap);
	if (conn)
		ctl_conn_reply(conn, CTL_RESULT, text);
	else
		tend_log(system_logger(server->system), LOG_SEVERITY_WARNING, "command FIFO: %s",
			 text);
}

/* "a, b, c" of the services matching pred into buf; false when none matched. */
static bool list_names(struct service **svcs, size_t n, bool (*pred)(const struct service *),
		       char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!pred(svcs[i]))
			continue;
		int w =
		    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", svcs[i]->short_name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return used > 0;
}

static bool is_not_enabled(const struct service *svc)
{
	return !svc->enabled;
}

/* chaperone's "started": a start was attempted and the service was not reset since. */
static bool is_started(const struct service *svc)
{
	return svc->state != SVC_INACTIVE && svc->state != SVC_DISABLED;
}

static bool is_not_started(const struct service *svc)
{
	return !is_started(svc);
}

static bool has_process(const struct service *svc)
{
	return svc->pid > 0 || svc->attached_pid > 0;
}

/* Not ready: an enabled prerequisite failed. */
static bool is_not_ready(const struct service *svc)
{
	const struct graph *graph = system_graph(svc->system);
	if (svc->index >= graph->count)
		return false;
	for (size_t i = 0; i < graph->nprereqs[svc->index]; i++) {
		const struct service *pre =
		    system_service_at(svc->system, graph->prereqs[svc->index][i]);
		if (pre->enabled && pre->state == SVC_FAILED)
			return true;
	}
	return false;
}

static long resolve(struct ctl_server *server, struct ctl_conn *conn, const struct ctl_command *cmd,
		    struct service **svcs)
{
	char err[300];
	long n = ctl_resolve_services(server->system, cmd->args, cmd->nargs, svcs, MAX_TARGETS, err,
				      sizeof(err));
	if (n < 0)
		command_error(server, conn, "%s", err);
	return n;
}

static void enable_service(struct service *svc)
{
	svc->enabled = true;
	if (svc->state == SVC_DISABLED)
		service_dispatch(svc, SVC_EV_ENABLE);
}

/* What each command does to one service it names. restarts_left = -1 means "not counting":
 * the next failure starts the count at restart_limit again, so a service a user (re)starts,
 * stops or resets by hand gets its whole budget of automatic restarts back. */

static void start_one(struct system *system, struct service *svc, unsigned options)
{
	if (options & CTL_OPT_ENABLE)
		enable_service(svc);
	if (options & (CTL_OPT_FORCE | CTL_OPT_ENABLE))
		svc->restarts_left = -1; /* chaperone: start --force/--enable reset it */
}

static void restart_one(struct system *system, struct service *svc, unsigned options)
{
	enable_service(svc);
	svc->restarts_left = -1;
}

static void stop_one(struct system *system, struct service *svc, unsigned options)
{
	svc->restarts_left = -1;
	system_request_stop(system, svc);
}

static void reset_one(struct system *system, struct service *svc, unsigned options)
{
	svc->restarts_left = -1;
	service_dispatch(svc, SVC_EV_RESET);
}

static void enable_one(struct system *system, struct service *svc, unsigned options)
{
	enable_service(svc);
}

static void disable_one(struct system *system, struct service *svc, unsigned options)
{
	svc->enabled = false;
	/* a running service keeps running, flagged; an idle one shows disabled */
	if (!has_process(svc) && svc->state != SVC_STOPPING)
		service_dispatch(svc, SVC_EV_DISABLE);
}

/* chaperone refuses a command when any service it names is in the wrong state, and names
 * them all: "Command error: <text>: a, b". A verb's refusals are checked in this order; the
 * first that applies answers. */
struct refusal {
	enum ctl_verb verb;
	bool (*applies_to)(const struct service *svc);
	unsigned unless_options; /* any of these given: not checked */
	const char *text;
};

/* clang-format off */
static const struct refusal refusals[] = {
	{CTL_START,   is_not_enabled, CTL_OPT_FORCE | CTL_OPT_ENABLE,
	 "can only start services which have been enabled"},
	{CTL_START,   is_started,     CTL_OPT_FORCE, "can't restart services without stop/reset"},
	{CTL_START,   is_not_ready,   CTL_OPT_FORCE, "services or their prerequisites are not ready"},
	{CTL_RESTART, is_not_enabled, CTL_OPT_FORCE, "can only restart services which are enabled"},
	{CTL_STOP,    is_not_started, CTL_OPT_FORCE, "can't stop services which aren't started"},
	{CTL_RESET,   has_process,    CTL_OPT_FORCE, "can't reset services which are running"},
};
/* clang-format on */

/* A command that acts on the services (and groups) it names: act_on each of them, then let
 * ops.c see the op through (OP_STEP_DONE: nothing to see through), then reply, at once unless
 * --wait holds the reply until the op is done. */
struct target_command {
	void (*act_on)(struct system *system, struct service *svc, unsigned options);
	enum ctl_op_step then;
	unsigned op_options; /* added to the command's own, for ops.c */
	const char *reply;
};

/* OP_STEP_STOP_THEN_START with CTL_OPT_FORCE resets first (a running service is stopped):
 * what start --force asks for, and what restart always does. */
/* clang-format off */
static const struct target_command target_commands[CTL_VERB_COUNT] = {
	[CTL_START]   = {start_one,   OP_STEP_STOP_THEN_START, 0,             "service start-up queued."},
	[CTL_RESTART] = {restart_one, OP_STEP_STOP_THEN_START, CTL_OPT_FORCE, "services restarting."},
	[CTL_STOP]    = {stop_one,    OP_STEP_WAIT_STOPPED,    0,             "services stopping."},
	[CTL_RESET]   = {reset_one,   OP_STEP_WAIT_STOPPED,    0,             "services reset."},
	[CTL_ENABLE]  = {enable_one,  OP_STEP_DONE,            0,             "services enabled."},
	[CTL_DISABLE] = {disable_one, OP_STEP_DONE,            0,             "services disabled."},
};
/* clang-format on */

static void run_on_targets(struct ctl_server *server, struct ctl_conn *conn,
			   const struct ctl_command *cmd)
{
	const struct target_command *command = &target_commands[cmd->verb];
	struct service *svcs[MAX_TARGETS];
	long n = resolve(server, conn, cmd, svcs);
	if (n < 0)
		return;
	char names[600];
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *refusal = &refusals[i];
		if (refusal->verb != cmd->verb || (cmd->options & refusal->unless_options))
			continue;
		if (list_names(svcs, (size_t)n, refusal->applies_to, names, sizeof(names))) {
			command_error(server, conn, "%s: %s", refusal->text, names);
			return;
		}
	}
	bool starts_services = command->then == OP_STEP_STOP_THEN_START;
	if (starts_services && system_phase(server->system) >= PHASE_STOPPING) {
		command_error(server, conn, "the system is shutting down");
		return;
	}
	for (long i = 0; i < n; i++)
		command->act_on(server->system, svcs[i], cmd->options);
	bool wait = conn && command->then != OP_STEP_DONE && (cmd->options & CTL_OPT_WAIT);
	if (command->then != OP_STEP_DONE)
		ctl_op_new(server, wait ? conn : NULL, cmd->verb,
			   cmd->options | command->op_options, svcs, (size_t)n, command->then);
	if (!wait)
		reply_text(conn, CTL_RESULT, command->reply);
}

/* syslog's severities, by number: what loglevel prints and accepts ("*.warn"). */
static const char *const level_names[] = {"emerg", "alert",  "crit", "err",
					  "warn",  "notice", "info", "debug"};

static int level_from_name(const char *name)
{
	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	if (strcasecmp(name, "warning") == 0)
		return LOG_SEVERITY_WARNING;
	if (strcasecmp(name, "error") == 0)
		return LOG_SEVERITY_ERR;
	for (int i = 0; i < 8; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void run_loglevel(struct ctl_server *server, struct ctl_conn *conn,
			 const struct ctl_command *cmd)
{
	struct logger *logger = system_logger(server->system);
	char text[200];
	if (cmd->nargs == 0) {
		int level = logger_forced_level(logger);
		if (level < 0 || level > 7)
			snprintf(text, sizeof(text), "Forced Logging Level: NOT SET");
		else
			snprintf(text, sizeof(text), "*.%s", level_names[level]);
		reply_text(conn, CTL_RESULT, text);
		return;
	}
	int level = level_from_name(cmd->args[0]);
	if (level < 0) {
		command_error(server, conn, "Not a valid log level: %s", cmd->args[0]);
		return;
	}
	logger_force_level(logger, level);
	tend_log(logger, LOG_SEVERITY_INFO, "Forcing all log output to '%s' or greater",
		 level_names[level]);
	snprintf(text, sizeof(text), "All logging set to include priorities >= *.%s",
		 level_names[level]);
	reply_text(conn, CTL_RESULT, text);
}

static void shutdown_due(struct loop *loop, void *arg)
{
	struct ctl_server *server = arg;
	system_shutdown(server->system, "shutdown requested (tendctl)", -1);
}

static void run_shutdown(struct ctl_server *server, struct ctl_conn *conn,
			 const struct ctl_command *cmd)
{
	double delay = 0.1;
	char text[200];
	const char *arg = cmd->nargs ? cmd->args[0] : NULL;
	if (arg && strcasecmp(arg, "now") != 0) {
		char *end;
		errno = 0;
		delay = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(delay) || delay < 0 || delay > 1e7) {
			snprintf(text, sizeof(text),
				 "Specified delay is not a valid decimal number: %s", arg);
			reply_text(conn, CTL_RESULT, text);
			return;
		}
		snprintf(text, sizeof(text), "Shutting down in %g seconds", delay);
	} else {
		snprintf(text, sizeof(text), "Shutting down now");
	}
	tend_log(system_logger(server->system), LOG_SEVERITY_INFO,
		 "requested shutdown scheduled to occur in %g seconds", delay);
	loop_timer_init(&server->shutdown_timer, shutdown_due, server);
	loop_timer_start(server->loop, &server->shutdown_timer, (uint64_t)(delay * 1000.0));
	reply_text(conn, CTL_RESULT, text);
}

struct logs_visit {
	const struct ctl_command *cmd;
	struct ctl_buf *out;
	uint64_t skip; /* entries to pass over (for -n) */
};

static void count_entry(const struct logring_entry *e, void *arg)
{
	struct logs_visit *v = arg;
	if (logring_entry_matches(e, v->cmd->args, v->cmd->nargs))
		v->skip++;
}

static void print_entry(const struct logring_entry *e, void *arg)
{
	struct logs_visit *v = arg;
	if (!logring_entry_matches(e, v->cmd->args, v->cmd->nargs))
		return;
	if (v->skip) {
		v->skip--;
		return;
	}
	char line[LOGRING_TEXT + 1];
	size_t n = logring_format(e, line, LOGRING_TEXT);
	line[n++] = '\n';
	ctl_buf_add(v->out, line, n);
}

static void run_logs(struct ctl_server *server, struct ctl_conn *conn,
		     const struct ctl_command *cmd)
{
	if (!conn)
		return;
	if (!server->ring) {
		command_error(server, conn, "no log ring (out of memory)");
		return;
	}
	if (!logger_set_tap) {
		command_error(server, conn, "this build's logger keeps no records for 'logs'");
		return;
	}
	struct ctl_buf out;
	ctl_buf_init(&out, CTL_REPLY_LIMIT);
	struct logs_visit v = {.cmd = cmd, .out = &out};
	if (cmd->lines >= 0) {
		logring_visit(server->ring, count_entry, &v);
		v.skip = v.skip > (uint64_t)cmd->lines ? v.skip - (uint64_t)cmd->lines : 0;
	}
	logring_visit(server->ring, print_entry, &v);
	if (cmd->options & CTL_OPT_FOLLOW) {
		ctl_buf_reset(&conn->out);
		ctl_buf_str(&conn->out, "RESULT\n");
		ctl_buf_add(&conn->out, out.data ? out.data : "", out.len);
		ctl_conn_follow(conn, cmd->args, cmd->nargs);
	} else {
		ctl_conn_reply_buf(conn, CTL_RESULT, &out);
	}
	ctl_buf_free(&out);
}

static void reload_done(void *arg, int rc, const char *summary)
{
	struct ctl_server *server = arg;
	struct ctl_conn *conn = server->reload_conn;
	server->reload_conn = NULL;
	server->reloading = false;
	if (rc < 0)
		command_error(server, conn, "reload failed: %s", summary);
	else
		reply_text(conn, CTL_RESULT, summary);
}

static void run_reload(struct ctl_server *server, struct ctl_conn *conn,
		       const struct ctl_command *cmd)
{
	if (!system_reload) {
		command_error(server, conn, "reload is not available in this build");
		return;
	}
	if (server->reloading) {
		command_error(server, conn, "a reload is already in progress");
		return;
	}
	char err[600];
	/* pending --wait replies would refer to services that may change */
	ctl_ops_cancel(server, "Command error: interrupted by a configuration reload");
	server->reload_conn = conn;
	server->reloading = true;
	if (conn)
		loop_timer_start(server->loop, &conn->timer, CTL_WAIT_TIMEOUT_MS);
	if (system_reload(server->system, reload_done, server, err, sizeof(err)) < 0) {
		server->reload_conn = NULL;
		server->reloading = false;
		command_error(server, conn, "reload failed: %s", err);
	}
}

static void run_status(struct ctl_server *server, struct ctl_conn *conn,
		       const struct ctl_command *cmd)
{
	if (!conn)
		return;
	struct system *system = server->system;
	struct ctl_buf out;
	ctl_buf_init(&out, CTL_REPLY_LIMIT);
	if (cmd->options & CTL_OPT_CHECK) {
		ctl_status_check(system, &out);
	} else if (cmd->options & CTL_OPT_JSON) {
		json_t *json = ctl_status_json(system);
		char *text = json_dumps(json, JSON_INDENT(2));
		ctl_buf_str(&out, text ? text : "{}");
		ctl_buf_str(&out, "\n");
		free(text);
		json_decref(json);
	} else {
		ctl_status_text(system, &out);
	}
	ctl_conn_reply_buf(conn, CTL_RESULT, &out);
	ctl_buf_free(&out);
}

static void run_dependencies(struct ctl_server *server, struct ctl_conn *conn,
			     const struct ctl_command *cmd)
{
	if (!conn)
		return;
	char *text = graph_describe(system_config(server->system), system_graph(server->system));
	ctl_conn_reply(conn, CTL_RESULT, text ? text : "");
	free(text);
}

typedef void command_fn(struct ctl_server *server, struct ctl_conn *conn,
			const struct ctl_command *cmd);

static command_fn *const command_runners[CTL_VERB_COUNT] = {
    [CTL_STATUS] = run_status,	   [CTL_DEPENDENCIES] = run_dependencies,
    [CTL_START] = run_on_targets,  [CTL_RESTART] = run_on_targets,
    [CTL_STOP] = run_on_targets,   [CTL_RESET] = run_on_targets,
    [CTL_ENABLE] = run_on_targets, [CTL_DISABLE] = run_on_targets,
    [CTL_LOGLEVEL] = run_loglevel, [CTL_SHUTDOWN] = run_shutdown,
    [CTL_LOGS] = run_logs,	   [CTL_RELOAD] = run_reload,
};

void ctl_execute(struct ctl_server *server, struct ctl_conn *conn, const struct ctl_command *cmd)
{
	if ((unsigned)cmd->verb >= CTL_VERB_COUNT || !command_runners[cmd->verb]) {
		reply_text(conn, CTL_COMMAND_ERROR, ctl_usage());
		return;
	}
	command_runners[cmd->verb](server, conn, cmd);
}
