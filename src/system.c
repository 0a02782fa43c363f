/*
 * system.c — the whole running system: services started in dependency order (each as soon
 * as its prerequisites are satisfied, independent ones in parallel), signals, reaping, exit
 * detection, the staged shutdown and the exit code. Faces subscribe to its events.
 */
#include "system.h"

#include <dirent.h>
#include <pwd.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/backtick.h"
#include "conf/env.h"
#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "svc/environment.h"
#include "svc/service.h"
#include "system_internal.h"

void service_init_timers(struct service *svc);

/* ---- small accessors ---- */

size_t system_service_count(const struct system *s)
{
	return s->nservices;
}
struct service *system_service_at(const struct system *s, size_t i)
{
	return &s->services[i];
}
struct loop *system_loop(const struct system *s)
{
	return s->loop;
}
struct logger *system_logger(const struct system *s)
{
	return s->logger;
}
struct child_table *system_children(const struct system *s)
{
	return s->children;
}
const struct config *system_config(const struct system *s)
{
	return s->config;
}
const struct graph *system_graph(const struct system *s)
{
	return &s->graph;
}
uint64_t system_started_at_ms(const struct system *s)
{
	return s->started_ms;
}
unsigned long system_orphans_reaped(const struct system *s)
{
	return s->orphans;
}
int system_fatal_errno(const struct system *s)
{
	return s->fatal_errno;
}
enum system_phase system_phase(const struct system *s)
{
	return s->phase;
}
const char *system_default_user(const struct system *s)
{
	return s->params.default_user;
}
unsigned system_next_serial(struct system *s)
{
	return ++s->serial;
}

struct service *system_find_service(const struct system *s, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < s->nservices; i++) {
		const char *svc_name = s->services[i].conf->name;
		if (strcmp(svc_name, name) == 0)
			return &s->services[i];
		/* "foo" finds "foo.service", as chaperone's commands do */
		if (strncmp(svc_name, name, len) == 0 && strcmp(svc_name + len, ".service") == 0)
			return &s->services[i];
	}
	return NULL;
}

void system_subscribe(struct system *s, system_event_fn *fn, void *arg)
{
	if (s->nsubscribers < MAX_SUBSCRIBERS)
		s->subscribers[s->nsubscribers++] = (struct subscriber){fn, arg};
}

static void publish(struct system *s, enum system_event event, struct service *svc)
{
	for (size_t i = 0; i < s->nsubscribers; i++)
		s->subscribers[i].fn(s, event, svc, s->subscribers[i].arg);
}

/* `enabled` may be an expansion ("$(WEB_ON:-yes)"): expanded against the service's
 * environment and checked when the system is built, as chaperone does. */
bool system_conf_enabled(struct system *s, struct service *svc)
{
	const char *text = svc->conf->enabled ? svc->conf->enabled : "true";
	if (!strpbrk(text, "$`"))
		return service_enabled_value(text);
	struct service_env env;
	char err[256];
	if (service_env_build(svc, &env, err, sizeof(err)) < 0) {
		tend_log(s->logger, LOG_SEVERITY_ERR, "%s", err);
		return false;
	}
	char *value = service_env_expand(&env, text);
	service_env_free(&env);
	bool on = false;
	if (!value || conf_bool_from_string(value, &on) < 0) {
		tend_log(s->logger, LOG_SEVERITY_ERR,
			 "%s: enabled: '%s' expands to '%s', which is not y/yes/true/on or "
			 "n/no/false/off/\"\"; the service is disabled",
			 svc->conf->name, text, value ? value : "?");
		on = false;
	}
	free(value);
	return on;
}

/* ---- start orchestration ---- */

/* Satisfied: dependents may start. A failure with ignore_failures counts, as chaperone. */
static bool satisfied(const struct service *svc)
{
	return svc->started || !svc->enabled || svc->state == SVC_DISABLED ||
	       (svc->state == SVC_FAILED && svc_ignore_failures(svc));
}

static bool in_group(const struct service *svc, const char *group)
{
	for (size_t i = 0; i < svc->conf->service_groups.count; i++)
		if (strcmp(svc->conf->service_groups.items[i], group) == 0)
			return true;
	return false;
}

static bool prerequisites_met(struct system *s, const struct service *svc)
{
	for (size_t i = 0; i < s->graph.nprereqs[svc->index]; i++) {
		const struct service *pre = &s->services[s->graph.prereqs[svc->index][i]];
		if (pre->state == SVC_WAITING || pre->state == SVC_STARTING || !satisfied(pre))
			return false;
	}
	return true;
}

static void idle_release(struct loop *loop, void *arg);

static void try_spawn(struct system *s, struct service *svc)
{
	if (svc->state != SVC_WAITING || !prerequisites_met(s, svc) || s->phase >= PHASE_STOPPING)
		return;
	/* chaperone: the first IDLE-group service to start waits idle_delay, once per run. */
	if (in_group(svc, "IDLE") && !s->idle_released && s->has_non_idle) {
		if (!loop_timer_armed(&s->idle_timer)) {
			double delay = svc->conf->idle_delay >= 0 ? svc->conf->idle_delay
								  : s->config->settings.idle_delay;
			loop_timer_start(s->loop, &s->idle_timer, (uint64_t)(delay * 1000));
		}
		return;
	}
	s->start_attempted = true;
	service_dispatch(svc, SVC_EV_SPAWN);
}

static void idle_release(struct loop *loop, void *arg)
{
	struct system *s = arg;
	s->idle_released = true;
	for (size_t i = 0; i < s->nservices; i++)
		try_spawn(s, &s->services[i]);
}

static void check_all_started(struct system *s)
{
	if (s->phase != PHASE_STARTING)
		return;
	for (size_t i = 0; i < s->nservices; i++)
		if (s->services[i].state == SVC_WAITING || s->services[i].state == SVC_STARTING)
			return;
	s->phase = PHASE_RUNNING;
	size_t started = 0, failed = 0;
	for (size_t i = 0; i < s->nservices; i++) {
		started += s->services[i].started;
		failed += s->services[i].state == SVC_FAILED;
	}
	tend_log(s->logger, LOG_SEVERITY_INFO, "start-up finished: %zu started, %zu failed",
		 started, failed);
	publish(s, SYSTEM_EV_ALL_STARTED, NULL);
}

int system_request_start(struct system *s, struct service *svc)
{
	if (!svc->enabled || s->phase >= PHASE_STOPPING)
		return -1;
	service_dispatch(svc, SVC_EV_REQUEST);
	try_spawn(s, svc);
	return 0;
}

void system_request_stop(struct system *s, struct service *svc)
{
	service_dispatch(svc, SVC_EV_STOP);
}

int system_start(struct system *s)
{
	s->phase = PHASE_STARTING;
	s->started_ms = loop_now_ms();
	/* idle_delay lets the other services settle before the IDLE group; when there are no
	 * others (tend -- CMD alone), waiting would only delay the command. */
	for (size_t i = 0; i < s->nservices; i++)
		if (s->services[i].enabled && !in_group(&s->services[i], "IDLE"))
			s->has_non_idle = true;
	for (size_t i = 0; i < s->nservices; i++) {
		struct service *svc = &s->services[i];
		if (!svc->enabled) {
			svc->state = SVC_DISABLED;
			tend_log(s->logger, LOG_SEVERITY_INFO, "%s not enabled", svc->conf->name);
		}
	}
	for (size_t i = 0; i < s->graph.count; i++) {
		struct service *svc = &s->services[s->graph.order[i]];
		if (svc->enabled)
			service_dispatch(svc, SVC_EV_REQUEST);
	}
	for (size_t i = 0; i < s->graph.count; i++)
		try_spawn(s, &s->services[s->graph.order[i]]);
	check_all_started(s);
	system_check_exit(s);
	return 0;
}

void system_service_changed(struct system *s, struct service *svc, enum service_state old)
{
	if (svc->state == old && svc->state != SVC_SCHEDULED)
		return;
	publish(s, SYSTEM_EV_SERVICE_CHANGED, svc);
	if (s->phase == PHASE_STOPPING) {
		shutdown_progress(s);
		return;
	}
	/* A prerequisite that ended failed (restarts spent) will never be started: what waits
	 * for it fails too, rather than waiting forever (chaperone's awaited start raised). */
	if (svc->state == SVC_FAILED && !satisfied(svc) && !svc->start_failing) {
		for (size_t i = 0; i < s->ndependents[svc->index]; i++) {
			struct service *dep = &s->services[s->dependents[svc->index][i]];
			if (dep->state == SVC_WAITING)
				service_start_failed(dep, "%s: prerequisite %s failed", dep->conf->name,
						     svc->conf->name);
		}
	}
	if (satisfied(svc) && svc->state != SVC_WAITING && svc->state != SVC_STARTING) {
		for (size_t i = 0; i < s->ndependents[svc->index]; i++)
			try_spawn(s, &s->services[s->dependents[svc->index][i]]);
	}
	if (svc->start_failing)
		return; /* system_service_failed() follows and decides */
	check_all_started(s);
	system_check_exit(s);
}

void system_service_failed(struct system *s, struct service *svc, const char *why)
{
	if (s->phase >= PHASE_STOPPING)
		return;
	if (svc_ignore_failures(svc) && !svc->conf->vital) {
		tend_log(s->logger, LOG_SEVERITY_WARNING, "%s (failure ignored)", why);
		check_all_started(s);
		system_check_exit(s);
		return;
	}
	if (s->phase == PHASE_RUNNING && !svc->conf->vital) {
		/* Start-up is over: this start was asked for later (tendctl start, reload). As
		 * with chaperone's `telchap start`, the request fails, not the container. */
		tend_log(s->logger, LOG_SEVERITY_ERR, "%s (the service stays failed)", why);
		system_check_exit(s);
		return;
	}
	tend_log(s->logger, LOG_SEVERITY_ERR, "%s", why);
	char reason[600];
	snprintf(reason, sizeof(reason), "%s failed: %s", svc->conf->name, why);
	s->fatal = true;
	s->fatal_errno = svc->conf->vital ? 0 : 8; /* chaperone: 8 for a failed process */
	publish(s, SYSTEM_EV_FATAL, svc);
	system_shutdown(s, reason, EXIT_SERVICE_FAILED);
}

void system_publish_stopping(struct system *s);
void system_publish_stopping(struct system *s)
{
	publish(s, SYSTEM_EV_STOPPING, NULL);
}

/* ---- reaping and exit detection ---- */

static bool has_children(void)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

void system_reap(struct system *s)
{
	bool none;
	child_reap_all(s->children, &s->orphans, &none);
}

void system_check_exit(struct system *s)
{
	if (s->phase != PHASE_RUNNING || !s->config->settings.detect_exit)
		return;
	if (!s->start_attempted) {
		tend_log(s->logger, LOG_SEVERITY_WARNING,
			 "No service startups attempted (all disabled?) - exiting due to "
			 "'detect_exit=true'");
		system_shutdown(s, "nothing to run", -1);
		return;
	}
	bool scheduled = false;
	for (size_t i = 0; i < s->nservices; i++) {
		enum service_state st = s->services[i].state;
		if (st == SVC_STARTING || st == SVC_WAITING || st == SVC_BACKOFF ||
		    st == SVC_STOPPING)
			return;
		if (st == SVC_SCHEDULED)
			scheduled = true;
	}
	if (child_table_count(s->children) > 0 || has_children())
		return;
	if (scheduled) {
		if (!s->told_scheduled) {
			tend_log(s->logger, LOG_SEVERITY_INFO,
				 "system will remain active since there are scheduled services");
			s->told_scheduled = true;
		}
		return;
	}
	tend_log(s->logger, LOG_SEVERITY_INFO, "no child processes present; shutting down");
	system_shutdown(s, "no processes left (detect_exit)", -1);
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct system *s = arg;
	int signo = (int)info->ssi_signo;
	switch (signo) {
	case SIGCHLD:
		system_reap(s);
		if (s->phase == PHASE_STOPPING)
			shutdown_progress(s);
		else
			system_check_exit(s);
		return;
	case SIGTERM:
		system_shutdown(s, "SIGTERM received", -1);
		return;
	case SIGINT:
		if (s->console && s->console->pid)
			service_signal(s->console, SIGINT);
		system_shutdown(s, "SIGINT received (Ctrl-C)", 128 + SIGINT);
		return;
	case SIGPIPE:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return; /* meaningless for an init */
	default:
		/* Forward what a container receives to the controlling command. */
		if (s->console && (s->console->pid || s->console->attached_pid))
			service_signal(s->console, signo);
		else if (s->params.debug)
			tend_log(s->logger, LOG_SEVERITY_DEBUG, "signal %s ignored (no command)",
				 signal_name(signo) ?: "?");
		return;
	}
}

extern char **environ;

struct env *system_settings_env(struct system *s)
{
	if (!s->env_settings) {
		s->env_base = env_from_environ(environ);
		/* The settings level runs as settings.uid, else --user: it gets that user's
		 * HOME/USER/LOGNAME, and its backticks run as that user (chaperone). A uid that
		 * needs expansion is resolved per service at launch instead. */
		const char *who =
		    s->config->settings.uid ? s->config->settings.uid : s->params.default_user;
		struct passwd *pw = NULL;
		if (who && !strpbrk(who, "$`"))
			pw = strspn(who, "0123456789") == strlen(who) ? getpwuid((uid_t)atol(who))
								      : getpwnam(who);
		struct env_user user = {0};
		if (pw)
			user = (struct env_user){pw->pw_name, pw->pw_dir, pw->pw_uid, pw->pw_gid};
		s->env_settings =
		    env_build_level(s->env_base, &s->config->settings.env, pw ? &user : NULL);
	}
	return s->env_settings;
}

static void backtick_failed(void *arg, const char *command, const char *message)
{
	struct system *s = arg;
	tend_log(s->logger, LOG_SEVERITY_ERR, "backtick command `%s` failed: %s", command, message);
}

struct backtick *system_backtick(struct system *s)
{
	if (!s->backtick) {
		s->backtick = backtick_new(backtick_shell_run, &s->backtick_shell);
		if (s->backtick)
			backtick_on_error(s->backtick, backtick_failed, s);
	}
	return s->backtick;
}

/* ---- construction ---- */

static int build_dependents(struct system *s)
{
	s->dependents = calloc(s->nservices, sizeof(*s->dependents));
	s->ndependents = calloc(s->nservices, sizeof(*s->ndependents));
	if (!s->dependents || !s->ndependents)
		return -1;
	for (size_t i = 0; i < s->nservices; i++)
		for (size_t k = 0; k < s->graph.nprereqs[i]; k++) {
			size_t pre = s->graph.prereqs[i][k];
			size_t *grown =
			    realloc(s->dependents[pre], (s->ndependents[pre] + 1) * sizeof(size_t));
			if (!grown)
				return -1;
			s->dependents[pre] = grown;
			s->dependents[pre][s->ndependents[pre]++] = i;
		}
	return 0;
}

struct system *system_new(struct loop *loop, struct logger *logger,
			  const struct system_params *params)
{
	struct system *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	s->logger = logger;
	s->params = *params;
	s->requested_exit = -1;
	s->config = params->config;
	s->children = child_table_new();
	loop_timer_init(&s->idle_timer, idle_release, s);
	loop_timer_init(&s->shutdown_timer, shutdown_timer_fired, s);
	struct conf_errors errors = {0};
	if (!s->children || graph_build(s->config, &s->graph, &errors) < 0) {
		conf_errors_print(&errors, stderr);
		conf_errors_free(&errors);
		system_free(s);
		return NULL;
	}
	s->nservices = s->config->nservices;
	s->services = calloc(s->nservices ? s->nservices : 1, sizeof(*s->services));
	if (!s->services || build_dependents(s) < 0) {
		system_free(s);
		return NULL;
	}
	for (size_t i = 0; i < s->nservices; i++) {
		struct service *svc = &s->services[i];
		svc->system = s;
		svc->conf = &s->config->services[i];
		svc->index = i;
		svc->ops = service_ops_for(svc->conf->type);
		svc->last_status = -1;
		svc->restarts_left = -1;
		svc->attach_pidfd = -1;
		svc->short_name = strndup(svc->conf->name, strcspn(svc->conf->name, "."));
		svc->enabled = system_conf_enabled(s, svc);
		if (!svc->ops) {
			tend_log(logger, LOG_SEVERITY_ERR,
				 "%s: service type '%s' is not available in this build",
				 svc->conf->name, service_type_name(svc->conf->type));
			svc->enabled = false;
		}
		if (params->disable_services && strcmp(svc->conf->name, "CONSOLE") != 0)
			svc->enabled = false;
		if (strcmp(svc->conf->name, "CONSOLE") == 0) {
			s->console = svc;
			svc->force_inherit_output = true;
		}
		service_init_timers(svc);
	}
	loop_on_signal(loop, on_signal, s);
	return s;
}

void system_free(struct system *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nservices; i++) {
		free(s->services[i].short_name);
		free(s->services[i].type_data);
		if (s->dependents)
			free(s->dependents[i]);
	}
	free(s->dependents);
	free(s->ndependents);
	free(s->services);
	graph_free(&s->graph);
	env_free(s->env_settings);
	env_free(s->env_base);
	backtick_free(s->backtick);
	child_table_free(s->children);
	free(s);
}
