/*
 * system_reload.c — `tendctl reload`: load the configuration again from where it came from
 * and apply the difference to the running system. Services are matched by name:
 *   unchanged  untouched (same process, same counters);
 *   changed    stopped, given the new configuration, started again;
 *   removed    stopped, then disabled and hidden (their slot stays: see below);
 *   added      started (once their prerequisites are met).
 * A change to the settings that services inherit (environment, uid, timeouts, ...) changes
 * every service. Settings fixed at start-up (sockets, HTTP, syslog, status_interval) and the
 * *.logging sections are kept as they were; the CONSOLE command is never touched.
 *
 * Why slots stay: struct service lives in one array (index == config index == graph index)
 * and timers, the child table and the service types hold pointers into it, so a running
 * service must never move. The array therefore gets spare room once, before anything starts
 * (system_reload_prepare, called by the control face from faces_start), and a reload only
 * appends into that room; a removed service becomes a disabled, hidden "tombstone" that a
 * later reload may bring back under the same name.
 *
 * The new configuration is loaded and validated (dependency graph included) before anything
 * is touched; the swap happens once every service to be replaced has stopped, from the
 * service-changed event of the last one, so that the replacements are already starting when
 * the system looks for an empty container (detect_exit).
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/graph.h"
#include "core/loop.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"
#include "system_internal.h"

#define RELOAD_SPARE_SLOTS   64
#define RELOAD_KILL_GRACE_MS 2000

extern const struct service_ops notify_ops __attribute__((weak));
extern const struct service_ops inetd_ops __attribute__((weak));
extern const struct service_ops cron_ops __attribute__((weak));
void service_init_timers(struct service *svc);

typedef void system_reload_done_fn(void *arg, int rc, const char *summary);

enum reload_plan { PLAN_KEEP, PLAN_CHANGE, PLAN_REMOVE };

struct system_reload_state {
	size_t capacity; /* slots allocated in s->services */
	bool *removed;	 /* per slot: a tombstone */
	/* the reload in progress */
	bool pending;
	bool applying;
	struct config next;
	enum reload_plan *plan; /* per existing slot */
	size_t *source;		/* per existing slot: index in next.services (PLAN_CHANGE) */
	bool *added;		/* per next.services index: goes into a new slot */
	size_t nchanged, nremoved, nadded, nunchanged;
	size_t nrevived; /* tombstones brought back (counted in nchanged, reported as added) */
	system_reload_done_fn *done;
	void *done_arg;
	struct loop_timer kill_timer;
};

/* Keys of settings that are fixed at start-up: neither compared nor replaced. */
static const char *const runtime_settings[] = {
    "syslog_socket", "syslog_stream_socket", "control_socket",
    "control_fifo",  "control_group",	     "control_readonly_world",
    "http",	     "enable_syslog",	     "status_interval",
    "defined_at",
};

static bool quiescent(const struct service *svc)
{
	/* at rest: no process, and nothing armed (a scheduled cron, a pending restart) */
	return svc->pid == 0 && svc->attached_pid == 0 &&
	       (svc->state == SVC_INACTIVE || svc->state == SVC_DISABLED ||
		svc->state == SVC_EXITED || svc->state == SVC_FAILED);
}

bool system_service_removed(const struct system *s, const struct service *svc);
bool system_service_removed(const struct system *s, const struct service *svc)
{
	return s->reload && svc->index < s->reload->capacity && s->reload->removed[svc->index];
}

/* ---- before start: room to grow ---- */

static void on_event(struct system *s, enum system_event event, struct service *svc, void *arg);
static void kill_stragglers(struct loop *loop, void *arg);

/* Give the service array spare slots. Only valid before system_start(): nothing points into
 * the array yet except the services' own (unarmed) timers, which are re-initialised. */
int system_reload_prepare(struct system *s);
int system_reload_prepare(struct system *s)
{
	if (s->reload || s->phase != PHASE_BOOT)
		return s->reload ? 0 : -1;
	struct system_reload_state *st = calloc(1, sizeof(*st));
	size_t capacity = s->nservices + RELOAD_SPARE_SLOTS;
	struct service *grown = st ? realloc(s->services, capacity * sizeof(*grown)) : NULL;
	if (!grown) {
		free(st);
		return -1;
	}
	s->services = grown;
	/* The spare slots are left untouched (init_added() sets a slot up when a reload fills
	 * it): zeroing them here made ~25 kB of PID 1's memory resident for nothing. */
	for (size_t i = 0; i < s->nservices; i++) {
		service_init_timers(&grown[i]);
		if (grown[i].conf && strcmp(grown[i].conf->name, "CONSOLE") == 0)
			s->console = &grown[i];
	}
	st->removed = calloc(capacity, sizeof(bool));
	if (!st->removed) {
		free(st);
		return -1;
	}
	st->capacity = capacity;
	loop_timer_init(&st->kill_timer, kill_stragglers, s);
	s->reload = st;
	system_subscribe(s, on_event, NULL);
	return 0;
}

/* ---- comparing configurations ---- */

static json_t *settings_for_compare(json_t *doc)
{
	json_t *settings = json_deep_copy(json_object_get(doc, "settings"));
	for (size_t i = 0; settings && i < sizeof(runtime_settings) / sizeof(runtime_settings[0]);
	     i++)
		json_object_del(settings, runtime_settings[i]);
	return settings;
}

static bool same_service(json_t *old_doc, json_t *new_doc, const char *name)
{
	json_t *a = json_deep_copy(json_object_get(json_object_get(old_doc, "services"), name));
	json_t *b = json_deep_copy(json_object_get(json_object_get(new_doc, "services"), name));
	if (a)
		json_object_del(a, "defined_at");
	if (b)
		json_object_del(b, "defined_at");
	bool same = a && b && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static json_t *config_json(const struct config *config)
{
	char *text = config_to_json(config);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return doc;
}

static long find_new(const struct config *next, const char *name)
{
	for (size_t i = 0; i < next->nservices; i++)
		if (strcmp(next->services[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The services array as it will be, as a config view (shallow copies) to check the graph. */
static int check_graph(struct system *s, struct system_reload_state *st, char *err, size_t len)
{
	size_t total = s->nservices + st->nadded;
	struct config view = *s->config;
	view.services = calloc(total ? total : 1, sizeof(*view.services));
	if (!view.services)
		return snprintf(err, len, "out of memory"), -1;
	for (size_t i = 0; i < s->nservices; i++) {
		if (st->plan[i] == PLAN_CHANGE) {
			view.services[i] = st->next.services[st->source[i]];
		} else {
			view.services[i] = *s->services[i].conf;
			if (st->plan[i] == PLAN_REMOVE || st->removed[i]) {
				/* a tombstone orders nothing */
				view.services[i].after = (struct strlist){0};
				view.services[i].before = (struct strlist){0};
			}
		}
	}
	size_t k = s->nservices;
	for (size_t j = 0; j < st->next.nservices; j++)
		if (st->added[j])
			view.services[k++] = st->next.services[j];
	view.nservices = total;
	struct graph graph;
	struct conf_errors errors = {0};
	int rc = graph_build(&view, &graph, &errors);
	if (rc < 0) {
		snprintf(err, len, "%s",
			 errors.count ? errors.items[0].message : "dependency error");
		conf_errors_free(&errors);
	} else {
		graph_free(&graph);
	}
	free(view.services);
	return rc;
}

static int load_next(struct system *s, struct config *next, char *err, size_t len)
{
	struct conf_errors errors = {0};
	int rc;
	config_init_defaults(next);
	if (s->params.pidzero_dir) {
		char daemons[4096], conf[4096];
		snprintf(daemons, sizeof(daemons), "%s/daemons.json", s->params.pidzero_dir);
		snprintf(conf, sizeof(conf), "%s/config.json", s->params.pidzero_dir);
		FILE *f = fopen(conf, "re");
		if (f)
			fclose(f);
		rc = conf_load_pidzero(daemons, f ? conf : NULL, next, &errors);
	} else if (s->params.config_path) {
		struct conf_load_options load = {.path = s->params.config_path};
		rc = conf_load(&load, next, &errors);
	} else {
		snprintf(err, len, "tend does not know where its configuration came from");
		config_free(next);
		return -1;
	}
	if (rc < 0 || errors.count) {
		if (errors.count && errors.items[0].origin.file)
			snprintf(err, len, "%s:%d:%d: %s (%zu problem%s)",
				 errors.items[0].origin.file, errors.items[0].origin.line,
				 errors.items[0].origin.column, errors.items[0].message,
				 errors.count, errors.count == 1 ? "" : "s");
		else
			snprintf(err, len, "%s",
				 errors.count ? errors.items[0].message
					      : "the configuration cannot be loaded");
		conf_errors_free(&errors);
		config_free(next);
		return -1;
	}
	/* the command line still applies (setup.c's apply_options) */
	if (s->params.ignore_failures)
		next->settings.ignore_failures = true;
	if (s->params.debug)
		next->settings.debug = true;
	return 0;
}

static void reload_reset(struct system_reload_state *st)
{
	free(st->plan);
	free(st->source);
	free(st->added);
	st->plan = NULL;
	st->source = NULL;
	st->added = NULL;
	st->pending = false;
	st->nchanged = st->nremoved = st->nadded = st->nunchanged = st->nrevived = 0;
}

/* ---- applying ---- */

#define SWAP(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) swap_tmp = (a);                                                      \
		(a) = (b);                                                                         \
		(b) = swap_tmp;                                                                    \
	} while (0)

/* The new settings, with the start-up ones kept from the old. What is left in *old is the
 * old settings' other fields (and the new start-up ones), to be freed. */
static void adopt_settings(struct settings_conf *old, struct settings_conf *next)
{
	SWAP(old->syslog_socket, next->syslog_socket);
	SWAP(old->syslog_stream_socket, next->syslog_stream_socket);
	SWAP(old->control_socket, next->control_socket);
	SWAP(old->control_fifo, next->control_fifo);
	SWAP(old->control_group, next->control_group);
	SWAP(old->control_readonly_world, next->control_readonly_world);
	SWAP(old->http_listen, next->http_listen);
	SWAP(old->http_token_file, next->http_token_file);
	SWAP(old->enable_syslog, next->enable_syslog);
	SWAP(old->status_interval, next->status_interval);
	SWAP(*old, *next);
}

static int build_dependents(struct system *s, size_t ***dependents_out, size_t **ndependents_out,
			    const struct graph *graph)
{
	size_t **dependents = calloc(s->nservices ? s->nservices : 1, sizeof(*dependents));
	size_t *ndependents = calloc(s->nservices ? s->nservices : 1, sizeof(*ndependents));
	if (!dependents || !ndependents)
		goto fail;
	for (size_t i = 0; i < s->nservices; i++)
		for (size_t k = 0; k < graph->nprereqs[i]; k++) {
			size_t pre = graph->prereqs[i][k];
			size_t *grown =
			    realloc(dependents[pre], (ndependents[pre] + 1) * sizeof(size_t));
			if (!grown)
				goto fail;
			dependents[pre] = grown;
			dependents[pre][ndependents[pre]++] = i;
		}
	*dependents_out = dependents;
	*ndependents_out = ndependents;
	return 0;
fail:
	for (size_t i = 0; dependents && i < s->nservices; i++)
		free(dependents[i]);
	free(dependents);
	free(ndependents);
	return -1;
}

static void init_added(struct system *s, struct service *svc, size_t index)
{
	memset(svc, 0, sizeof(*svc));
	svc->system = s;
	svc->index = index;
	svc->last_status = -1;
	svc->restarts_left = -1;
	svc->attach_pidfd = -1;
	svc->state = SVC_INACTIVE;
	service_init_timers(svc);
}

/* Give a slot its (new) configuration; the process of the old one is gone. */
static void set_conf(struct system *s, struct service *svc, enum service_type old_type,
		     bool had_conf)
{
	svc->conf = &s->config->services[svc->index];
	if (had_conf && old_type != svc->conf->type) {
		if (svc->ops && svc->ops->release)
			svc->ops->release(svc);
		free(svc->type_data);
		svc->type_data = NULL;
	}
	svc->ops = service_ops_for(svc->conf->type);
	free(svc->short_name);
	svc->short_name = strndup(svc->conf->name, strcspn(svc->conf->name, "."));
	svc->enabled = svc->ops && !s->params.disable_services && system_conf_enabled(s, svc);
	svc->restarts_left = -1;
	svc->consecutive_failures = 0;
	svc->note[0] = '\0';
	if (!svc->ops)
		tend_log(s->logger, LOG_SEVERITY_ERR,
			 "%s: service type '%s' is not available in this build", svc->conf->name,
			 service_type_name(svc->conf->type));
}

static void finish(struct system *s, struct system_reload_state *st, int rc, const char *text)
{
	system_reload_done_fn *done = st->done;
	void *arg = st->done_arg;
	st->done = NULL;
	loop_timer_stop(s->loop, &st->kill_timer);
	config_free(&st->next);
	reload_reset(st);
	if (done)
		done(arg, rc, text);
}

static void apply(struct system *s, struct system_reload_state *st)
{
	size_t nold = s->nservices, total = nold + st->nadded;
	struct config *old = s->config;
	struct config *next = &st->next;
	struct service_conf *services = calloc(total ? total : 1, sizeof(*services));
	struct service_conf *trash = calloc(nold ? nold : 1, sizeof(*trash));
	char **files = calloc(old->files.count + next->files.count + 1, sizeof(char *));
	if (!services || !trash || !files) {
		free(services);
		free(trash);
		free(files);
		tend_log(s->logger, LOG_SEVERITY_ERR, "reload: out of memory; nothing changed");
		{
			finish(s, st, -1, "out of memory");
			return;
		}
	}
	enum service_type *old_types = calloc(nold ? nold : 1, sizeof(*old_types));
	for (size_t i = 0; old_types && i < nold; i++)
		old_types[i] = s->services[i].conf->type;
	size_t ntrash = 0;
	for (size_t i = 0; i < nold; i++) {
		if (st->plan[i] == PLAN_CHANGE) {
			services[i] = next->services[st->source[i]];
			memset(&next->services[st->source[i]], 0, sizeof(services[i]));
			trash[ntrash++] = old->services[i];
		} else {
			services[i] = old->services[i];
			if (st->plan[i] == PLAN_REMOVE) {
				strlist_free(&services[i].after);
				strlist_free(&services[i].before);
			}
		}
	}
	size_t k = nold;
	for (size_t j = 0; j < next->nservices; j++)
		if (st->added[j]) {
			services[k++] = next->services[j];
			memset(&next->services[j], 0, sizeof(services[0]));
		}
	/* the files list owns the strings origins point to: keep old and new ones alive */
	size_t nfiles = 0;
	for (size_t i = 0; i < old->files.count; i++)
		files[nfiles++] = old->files.items[i];
	for (size_t i = 0; i < next->files.count; i++)
		files[nfiles++] = next->files.items[i];
	free(old->files.items);
	free(next->files.items);
	next->files = (struct strlist){0};
	old->files = (struct strlist){.items = files, .count = nfiles};
	free(old->services);
	old->services = services;
	old->nservices = total;
	if (st->nchanged || st->nadded || st->nremoved)
		adopt_settings(&old->settings, &next->settings); /* next now holds what to free */

	/* the services, in their slots */
	s->nservices = total;
	for (size_t i = 0; i < total; i++) {
		struct service *svc = &s->services[i];
		if (i >= nold) {
			init_added(s, svc, i);
			set_conf(s, svc, SERVICE_SIMPLE, false);
			st->removed[i] = false;
		} else if (st->plan[i] == PLAN_CHANGE) {
			set_conf(s, svc, old_types ? old_types[i] : SERVICE_TYPE_COUNT, true);
			st->removed[i] = false;
		} else {
			svc->conf = &old->services[i];
		}
	}
	for (size_t i = 0; i < nold; i++)
		if (st->plan[i] == PLAN_REMOVE) {
			st->removed[i] = true;
			s->services[i].enabled = false;
		}
	for (size_t i = 0; i < ntrash; i++)
		service_conf_free(&trash[i]);
	free(trash);
	free(old_types);

	/* graph and dependents (checked before anything was stopped) */
	struct graph graph;
	struct conf_errors errors = {0};
	size_t **dependents = NULL;
	size_t *ndependents = NULL;
	if (graph_build(old, &graph, &errors) < 0 ||
	    build_dependents(s, &dependents, &ndependents, &graph) < 0) {
		conf_errors_free(&errors);
		tend_log(s->logger, LOG_SEVERITY_ERR,
			 "reload: the dependency graph failed after the "
			 "check; services were changed but not started");
		{
			finish(s, st, -1, "dependency graph failed");
			return;
		}
	}
	for (size_t i = 0; i < nold; i++)
		free(s->dependents[i]);
	free(s->dependents);
	free(s->ndependents);
	s->dependents = dependents;
	s->ndependents = ndependents;
	graph_free(&s->graph);
	s->graph = graph;

	/* The *.logging sections: the logger writes out its old outputs, then opens the new. */
	SWAP(old->loggings, next->loggings);
	SWAP(old->nloggings, next->nloggings);
	logger_configure(s->logger, old);

	char summary[300];
	snprintf(summary, sizeof(summary),
		 "configuration reloaded: %zu added, %zu removed, %zu changed, %zu unchanged",
		 st->nadded + st->nrevived, st->nremoved, st->nchanged - st->nrevived,
		 st->nunchanged);
	tend_log(s->logger, LOG_SEVERITY_INFO, "%s", summary);

	st->applying = true;
	for (size_t i = 0; i < nold; i++)
		if (st->plan[i] == PLAN_REMOVE)
			service_dispatch(&s->services[i], SVC_EV_DISABLE);

	/* start what is new, in dependency order */
	bool *start = calloc(total ? total : 1, sizeof(bool));
	for (size_t i = 0; start && i < total; i++)
		start[i] = i >= nold || st->plan[i] == PLAN_CHANGE;
	for (size_t n = 0; start && n < s->graph.count; n++) {
		struct service *svc = &s->services[s->graph.order[n]];
		if (!start[svc->index])
			continue;
		if (!svc->enabled) {
			if (svc->state == SVC_INACTIVE)
				service_dispatch(svc, SVC_EV_DISABLE);
			continue;
		}
		if (svc->state == SVC_DISABLED)
			service_dispatch(svc, SVC_EV_ENABLE);
		if (s->phase < PHASE_STOPPING)
			system_request_start(s, svc);
	}
	st->applying = false;
	free(start);
	finish(s, st, 0, summary);
}

static bool all_stopped(struct system *s, struct system_reload_state *st)
{
	for (size_t i = 0; i < s->nservices; i++)
		if (st->plan[i] != PLAN_KEEP && !quiescent(&s->services[i]))
			return false;
	return true;
}

static void on_event(struct system *s, enum system_event event, struct service *svc, void *arg)
{
	struct system_reload_state *st = s->reload;
	if (!st || !st->pending || st->applying)
		return;
	if (event == SYSTEM_EV_STOPPING) {
		tend_log(s->logger, LOG_SEVERITY_WARNING,
			 "reload abandoned: the system is stopping");
		{
			finish(s, st, -1, "the system is shutting down");
			return;
		}
	}
	if (event == SYSTEM_EV_SERVICE_CHANGED && all_stopped(s, st)) {
		st->applying = true;
		apply(s, st);
		st->applying = false;
	}
}

static void kill_stragglers(struct loop *loop, void *arg)
{
	struct system *s = arg;
	struct system_reload_state *st = s->reload;
	if (!st->pending)
		return;
	for (size_t i = 0; i < s->nservices; i++)
		if (st->plan[i] != PLAN_KEEP && !quiescent(&s->services[i])) {
			tend_log(s->logger, LOG_SEVERITY_WARNING,
				 "reload: %s did not stop in time; killing it",
				 s->services[i].conf->name);
			service_signal(&s->services[i], SIGKILL);
		}
}

/* Begin a reload. Returns -1 with the reason in err when nothing can be done; otherwise 0,
 * and done() is called (perhaps before this returns) with the outcome. */
int system_reload(struct system *s, system_reload_done_fn *done, void *arg, char *err, size_t len);
int system_reload(struct system *s, system_reload_done_fn *done, void *arg, char *err, size_t len)
{
	struct system_reload_state *st = s->reload;
	if (!st)
		return snprintf(err, len,
				"reload is not available (tend could not prepare for it)"),
		       -1;
	if (st->pending)
		return snprintf(err, len, "a reload is already in progress"), -1;
	if (s->phase != PHASE_RUNNING)
		return snprintf(err, len, "tend is %s; reload once start-up has finished",
				s->phase >= PHASE_STOPPING ? "shutting down" : "still starting"),
		       -1;
	if (load_next(s, &st->next, err, len) < 0)
		return -1;
	json_t *old_doc = config_json(s->config), *new_doc = config_json(&st->next);
	json_t *old_settings = settings_for_compare(old_doc),
	       *new_settings = settings_for_compare(new_doc);
	bool settings_changed =
	    !old_settings || !new_settings || !json_equal(old_settings, new_settings);
	json_decref(old_settings);
	json_decref(new_settings);

	size_t nold = s->nservices;
	st->plan = calloc(nold ? nold : 1, sizeof(*st->plan));
	st->source = calloc(nold ? nold : 1, sizeof(*st->source));
	st->added = calloc(st->next.nservices ? st->next.nservices : 1, sizeof(bool));
	if (!st->plan || !st->source || !st->added || !old_doc || !new_doc) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	bool *matched = calloc(st->next.nservices ? st->next.nservices : 1, sizeof(bool));
	if (!matched) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nold; i++) {
		const char *name = s->services[i].conf->name;
		long j = strcmp(name, "CONSOLE") == 0 ? -1 : find_new(&st->next, name);
		if (j >= 0)
			matched[j] = true;
		if (strcmp(name, "CONSOLE") == 0) {
			st->plan[i] = PLAN_KEEP;
		} else if (st->removed[i]) {
			st->plan[i] = j >= 0 ? PLAN_CHANGE : PLAN_KEEP; /* back from the dead */
			st->nrevived += j >= 0;
		} else if (j < 0) {
			st->plan[i] = PLAN_REMOVE;
		} else if (!settings_changed && same_service(old_doc, new_doc, name)) {
			st->plan[i] = PLAN_KEEP;
		} else {
			st->plan[i] = PLAN_CHANGE;
		}
		st->source[i] = j >= 0 ? (size_t)j : 0;
		st->nchanged += st->plan[i] == PLAN_CHANGE;
		st->nremoved += st->plan[i] == PLAN_REMOVE;
		st->nunchanged +=
		    st->plan[i] == PLAN_KEEP && !st->removed[i] && strcmp(name, "CONSOLE") != 0;
	}
	for (size_t j = 0; j < st->next.nservices; j++) {
		st->added[j] = !matched[j];
		st->nadded += st->added[j];
	}
	free(matched);
	if (nold + st->nadded > st->capacity) {
		snprintf(err, len,
			 "too many new services: tend has room for %zu more until it restarts",
			 st->capacity - nold);
		goto fail;
	}
	if (check_graph(s, st, err, len) < 0)
		goto fail;
	json_decref(old_doc);
	json_decref(new_doc);

	st->pending = true;
	st->done = done;
	st->done_arg = arg;
	tend_log(s->logger, LOG_SEVERITY_INFO,
		 "reload: %zu to add, %zu to remove, %zu to restart, %zu unchanged",
		 st->nadded + st->nrevived, st->nremoved, st->nchanged - st->nrevived,
		 st->nunchanged);
	bool waiting = false;
	for (size_t i = 0; i < nold; i++) {
		struct service *svc = &s->services[i];
		if (st->plan[i] == PLAN_KEEP || quiescent(svc))
			continue;
		waiting = true;
		system_request_stop(s, svc);
	}
	if (waiting && st->pending && !all_stopped(s, st)) {
		double grace = s->config->settings.shutdown_timeout > 0
				   ? s->config->settings.shutdown_timeout
				   : 0.5;
		loop_timer_start(s->loop, &st->kill_timer,
				 (uint64_t)(grace * 1000.0) + RELOAD_KILL_GRACE_MS);
		return 0;
	}
	if (st->pending) {
		st->applying = true;
		apply(s, st);
		st->applying = false;
	}
	return 0;
fail:
	json_decref(old_doc);
	json_decref(new_doc);
	config_free(&st->next);
	reload_reset(st);
	return -1;
}

/* Called when the control face stops (before system_free): what only reload owns. */
void system_reload_release(struct system *s);
void system_reload_release(struct system *s)
{
	struct system_reload_state *st = s->reload;
	if (!st)
		return;
	loop_timer_stop(s->loop, &st->kill_timer);
	if (st->pending) {
		st->done = NULL;
		config_free(&st->next);
		reload_reset(st);
	}
	free(st->removed);
	free(st);
	s->reload = NULL; /* on_event (still subscribed) finds nothing to do */
}
