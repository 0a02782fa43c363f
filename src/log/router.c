/*
 * router.c — from the `*.logging` sections to routes (selector -> sinks), and from a record
 * to the sinks whose selectors match it.
 *
 * As in chaperone, outputs are shared by target: two sections naming the same file (or both
 * asking for stdout) write through one sink, whose format the first section decides; a
 * record matching both is still written once. Fields chaperone expands with the environment
 * (selector, file, enabled, logrec_hostname, syslog_host) are expanded here against the
 * settings environment. With no enabled section at all, tend logs "*.info" to stderr so that
 * a container without logging configuration still shows what happens (chaperone shows
 * nothing); --no-console-log removes that too.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/env.h"
#include "conf/expand.h"
#include "log/logger_internal.h"
#include "log/selector.h"

extern char **environ;

#define DEFAULT_SELECTOR "*.info"

struct expander {
	struct env *base;
	struct env *settings;
	struct env *values;
};

static void expander_init(struct expander *x, const struct config *config)
{
	memset(x, 0, sizeof(*x));
	x->base = env_from_environ(environ);
	if (x->base)
		x->settings = env_build_level(x->base, &config->settings.env, NULL);
	if (x->settings) {
		struct expand_options options = {0};
		char *error = NULL;
		x->values = env_expanded(x->settings, &options, &error);
		free(error);
	}
}

static void expander_free(struct expander *x)
{
	env_free(x->settings);
	env_free(x->base);
}

/* A malloc'd expansion of text (NULL stays NULL); on failure, text as written. */
static char *expand_field(struct logger *logger, struct expander *x, const char *text)
{
	if (!text)
		return NULL;
	if (logger->expand)
		return logger->expand(text, logger->expand_arg);
	if (x->values) {
		struct expand_options options = {0};
		char *error = NULL;
		char *result = expand_text(x->values, text, &options, &error);
		if (result)
			return result;
		tend_log(logger, LOG_SEVERITY_WARNING, "logging: cannot expand '%s': %s", text,
			 error ? error : "error");
		free(error);
	}
	return strdup(text);
}

static bool enabled_value(const char *value)
{
	if (!value)
		return true;
	static const char *const falses[] = {"false", "no", "off", "0", ""};
	for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
		if (strcasecmp(value, falses[i]) == 0)
			return false;
	return true;
}

static int resolve_owner(const char *uid_text, const char *gid_text, uid_t *uid, gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	char *end;
	if (uid_text && *uid_text) {
		unsigned long n = strtoul(uid_text, &end, 10);
		struct passwd *pw = *end ? getpwnam(uid_text) : getpwuid((uid_t)n);
		if (!pw && *end)
			return -1;
		*uid = pw ? pw->pw_uid : (uid_t)n;
		if (pw)
			*gid = pw->pw_gid;
	}
	if (gid_text && *gid_text) {
		unsigned long n = strtoul(gid_text, &end, 10);
		if (*end) {
			struct group *gr = getgrnam(gid_text);
			if (!gr)
				return -1;
			*gid = gr->gr_gid;
		} else {
			*gid = (gid_t)n;
		}
	}
	return 0;
}

static struct sink *find_sink(struct logger *logger, const char *key)
{
	for (size_t i = 0; i < logger->nsinks; i++)
		if (strcmp(sink_key(logger->sinks[i]), key) == 0)
			return logger->sinks[i];
	return NULL;
}

static int keep_sink(struct logger *logger, struct route *route, struct sink *sink, bool is_new)
{
	if (is_new) {
		struct sink **sinks = realloc(logger->sinks, (logger->nsinks + 1) * sizeof(*sinks));
		if (!sinks) {
			sink_free(sink);
			return -1;
		}
		logger->sinks = sinks;
		sinks[logger->nsinks++] = sink;
	}
	struct sink **sinks = realloc(route->sinks, (route->nsinks + 1) * sizeof(*sinks));
	if (!sinks)
		return -1;
	route->sinks = sinks;
	sinks[route->nsinks++] = sink;
	return 0;
}

static void add_console(struct logger *logger, struct route *route, enum sink_kind kind,
			const struct log_format *format)
{
	const char *key = kind == SINK_STDOUT ? "sys:stdout" : "sys:stderr";
	struct sink *sink = find_sink(logger, key);
	bool is_new = !sink;
	if (!sink)
		sink = sink_new_console(logger, kind, format);
	if (sink)
		keep_sink(logger, route, sink, is_new);
}

static void add_file(struct logger *logger, struct route *route, const char *path,
		     const struct logging_conf *lc, const struct config *config,
		     const struct log_format *format)
{
	char key[4096 + 8];
	snprintf(key, sizeof(key), "file:%s", path);
	struct sink *sink = find_sink(logger, key);
	if (sink) {
		keep_sink(logger, route, sink, false);
		return;
	}
	struct sink_file_options options = {
	    .path = path,
	    .overwrite = lc->overwrite,
	    .rotate_size = lc->rotate_size,
	    .rotate_keep = lc->rotate_keep,
	};
	const char *uid = lc->uid ? lc->uid : config->settings.uid;
	const char *gid = lc->uid || lc->gid ? lc->gid : config->settings.gid;
	if (resolve_owner(uid, gid, &options.uid, &options.gid) < 0)
		tend_log(logger, LOG_SEVERITY_WARNING,
			 "%s: unknown user or group '%s%s%s'; "
			 "the log file keeps tend's ownership",
			 lc->name, uid ? uid : "", gid ? ":" : "", gid ? gid : "");
	sink = sink_new_file(logger, &options, format);
	if (sink)
		keep_sink(logger, route, sink, true);
}

static void add_remote(struct logger *logger, struct route *route, const char *target,
		       const struct logging_conf *lc, const struct log_format *format)
{
	char key[512];
	snprintf(key, sizeof(key), "syslog_host:%s", target);
	struct sink *sink = find_sink(logger, key);
	bool is_new = !sink;
	if (!sink)
		sink = sink_new_remote(logger, target, format);
	if (!sink) {
		tend_log(logger, LOG_SEVERITY_ERR, "%s: syslog_host '%s': %s", lc->name, target,
			 strerror(errno));
		return;
	}
	keep_sink(logger, route, sink, is_new);
}

static struct route *new_route(struct logger *logger, const char *selector_text, const char *where)
{
	char error[256];
	struct selector *selector = selector_compile(selector_text, error, sizeof(error));
	if (!selector) {
		tend_log(logger, LOG_SEVERITY_ERR, "%s: %s", where, error);
		return NULL;
	}
	struct route *routes = realloc(logger->routes, (logger->nroutes + 1) * sizeof(*routes));
	if (!routes) {
		selector_free(selector);
		return NULL;
	}
	logger->routes = routes;
	struct route *route = &routes[logger->nroutes++];
	memset(route, 0, sizeof(*route));
	route->selector = selector;
	return route;
}

static int configure_section(struct logger *logger, struct expander *x,
			     const struct logging_conf *lc, const struct config *config)
{
	char where[512];
	if (lc->origin.file)
		snprintf(where, sizeof(where), "%s:%d:%d: %s", lc->origin.file, lc->origin.line,
			 lc->origin.column, lc->name);
	else
		snprintf(where, sizeof(where), "%s", lc->name);
	char *enabled = expand_field(logger, x, lc->enabled);
	bool on = enabled_value(enabled);
	free(enabled);
	if (!on)
		return 0;
	int format_kind = log_format_kind_from_name(lc->format);
	if (format_kind < 0) {
		tend_log(logger, LOG_SEVERITY_ERR, "%s: unknown format '%s'", where, lc->format);
		return -1;
	}
	char *selector = expand_field(logger, x, lc->selector);
	struct route *route = new_route(logger, selector, where);
	free(selector);
	if (!route)
		return -1;
	char *hostname = expand_field(logger, x,
				      lc->logrec_hostname ? lc->logrec_hostname
							  : config->settings.logrec_hostname);
	struct log_format format = {
	    .kind = (enum log_format_kind)format_kind,
	    .extended = lc->extended,
	    .hostname = hostname && *hostname ? hostname : NULL,
	    .default_hostname = logger->hostname,
	};
	if (lc->to_stdout && !logger->options.no_console_log)
		add_console(logger, route, SINK_STDOUT, &format);
	if (lc->to_stderr && !logger->options.no_console_log)
		add_console(logger, route, SINK_STDERR, &format);
	char *file = expand_field(logger, x, lc->file);
	if (file && *file)
		add_file(logger, route, file, lc, config, &format);
	free(file);
	char *host = expand_field(logger, x, lc->syslog_host);
	if (host && *host)
		add_remote(logger, route, host, lc, &format);
	free(host);
	free(hostname);
	return 0;
}

void router_clear(struct logger *logger)
{
	for (size_t i = 0; i < logger->nroutes; i++) {
		selector_free(logger->routes[i].selector);
		free(logger->routes[i].sinks);
	}
	free(logger->routes);
	logger->routes = NULL;
	logger->nroutes = 0;
	for (size_t i = 0; i < logger->nsinks; i++)
		sink_free(logger->sinks[i]);
	free(logger->sinks);
	logger->sinks = NULL;
	logger->nsinks = 0;
}

int router_configure(struct logger *logger, const struct config *config)
{
	int rc = 0;
	struct expander x;
	expander_init(&x, config);
	/* A reload: what the old outputs still hold is written first (briefly). */
	uint64_t deadline = loop_now_ms() + 500;
	for (size_t i = 0; i < logger->nsinks; i++)
		sink_drain(logger->sinks[i], deadline);
	router_clear(logger);
	logger->route_generation++;
	size_t enabled_sections = 0;
	for (size_t i = 0; i < config->nloggings; i++) {
		size_t before = logger->nroutes;
		if (configure_section(logger, &x, &config->loggings[i], config) < 0)
			rc = -1;
		enabled_sections += logger->nroutes - before;
	}
	if (enabled_sections == 0 && rc == 0 && !logger->options.no_console_log) {
		/* --debug shows debug records too when nothing else was configured. */
		struct route *route =
		    new_route(logger, logger->options.debug ? "*.debug" : DEFAULT_SELECTOR,
			      "default logging");
		struct log_format format = {.kind = LOG_FORMAT_TEXT,
					    .default_hostname = logger->hostname};
		if (route)
			add_console(logger, route, SINK_STDERR, &format);
	}
	logger->routes_read_text = false;
	for (size_t i = 0; i < logger->nroutes; i++)
		logger->routes_read_text |= selector_reads_text(logger->routes[i].selector);
	expander_free(&x);
	/* Sources held back by the old outputs will not hear from them again. */
	logger_sink_drained(logger);
	return rc;
}

/* The outputs whose selectors take this record, each once. Returns how many (at most max;
 * more only when more than max distinct outputs match, which callers treat as "do not
 * cache"). */
static size_t matching_sinks(struct logger *logger, const struct log_record *record,
			     struct sink **out, size_t max)
{
	size_t n = 0;
	for (size_t r = 0; r < logger->nroutes; r++) {
		const struct route *route = &logger->routes[r];
		if (!selector_match(route->selector, record, logger->forced_level))
			continue;
		for (size_t s = 0; s < route->nsinks; s++) {
			bool seen = false;
			for (size_t d = 0; d < n && d < max; d++)
				seen = seen || out[d] == route->sinks[s];
			if (seen)
				continue;
			if (n < max)
				out[n] = route->sinks[s];
			n++;
		}
	}
	return n;
}

static bool append_to(struct logger *logger, const struct log_record *record,
		      enum sink_source source, struct sink *const *sinks, size_t n)
{
	bool congested = false;
	for (size_t i = 0; i < n; i++)
		congested |= sink_append(sinks[i], record, source);
	if (n)
		logger->stats.written++;
	return congested;
}

/* Before the configuration: the plain stderr line. */
static bool route_fallback(struct logger *logger, const struct log_record *record,
			   enum sink_source source)
{
	if (logger->fallback) {
		sink_append(logger->fallback, record, source);
		logger->stats.written++;
	}
	return false;
}

static bool route_slow(struct logger *logger, const struct log_record *record,
		       enum sink_source source)
{
	struct sink *sinks[ROUTE_CACHE_SINKS * 2];
	size_t n = matching_sinks(logger, record, sinks, sizeof(sinks) / sizeof(sinks[0]));
	if (n <= sizeof(sinks) / sizeof(sinks[0]))
		return append_to(logger, record, source, sinks, n);
	/* Very many outputs: walk the routes again, appending as we go. */
	bool congested = false, written = false;
	for (size_t r = 0; r < logger->nroutes; r++) {
		const struct route *route = &logger->routes[r];
		if (!selector_match(route->selector, record, logger->forced_level))
			continue;
		for (size_t s = 0; s < route->nsinks; s++) {
			bool seen = false;
			for (size_t q = 0; q < r && !seen; q++)
				for (size_t t = 0; t < logger->routes[q].nsinks && !seen; t++)
					seen = logger->routes[q].sinks[t] == route->sinks[s] &&
					       selector_match(logger->routes[q].selector, record,
							      logger->forced_level);
			for (size_t t = 0; t < s && !seen; t++)
				seen = route->sinks[t] == route->sinks[s];
			if (seen)
				continue;
			congested |= sink_append(route->sinks[s], record, source);
			written = true;
		}
	}
	if (written)
		logger->stats.written++;
	return congested;
}

bool logger_route(struct logger *logger, const struct log_record *record, enum sink_source source)
{
	logger->stats.records++;
	if (logger->tap) {
		struct log_line line = log_line_of(record);
		logger->tap(record, &line, 1, logger->tap_arg);
	}
	if (!logger->configured)
		return route_fallback(logger, record, source);
	return route_slow(logger, record, source);
}

/* A run whose outputs cannot be cached (before the configuration, /regex/ selectors, very
 * many outputs): record by record. */
static bool route_run_each(struct logger *logger, const struct log_record *run,
			   const struct log_line *lines, size_t n, enum sink_source source)
{
	struct log_record record = *run;
	bool congested = false;
	for (size_t i = 0; i < n; i++) {
		log_record_set_line(&record, &lines[i]);
		congested |= logger->configured ? route_slow(logger, &record, source)
						: route_fallback(logger, &record, source);
	}
	return congested;
}

bool logger_route_run(struct logger *logger, const struct log_record *run,
		      const struct log_line *lines, size_t n, enum sink_source source,
		      struct route_cache *cache)
{
	if (n == 0)
		return false;
	logger->stats.records += n;
	if (logger->tap)
		logger->tap(run, lines, n, logger->tap_arg);
	if (!logger->configured || logger->routes_read_text)
		return route_run_each(logger, run, lines, n, source);
	if (!cache->valid || cache->generation != logger->route_generation) {
		size_t count = matching_sinks(logger, run, cache->sinks, ROUTE_CACHE_SINKS);
		cache->valid = count <= ROUTE_CACHE_SINKS;
		cache->nsinks = cache->valid ? count : 0;
		cache->generation = logger->route_generation;
	}
	if (!cache->valid)
		return route_run_each(logger, run, lines, n, source);
	bool congested = false;
	for (size_t i = 0; i < cache->nsinks; i++)
		congested |= sink_append_run(cache->sinks[i], run, lines, n, source);
	if (cache->nsinks)
		logger->stats.written += n;
	return congested;
}
