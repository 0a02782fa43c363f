/*
 * system.h — the whole running system: the services, their start orchestration (dependency
 * order, parallel start), reaping, exit detection, shutdown and the exit code. The faces
 * (control socket, HTTP, host notify) use this API and subscribe to its events; nothing
 * below the system ever calls up into them.
 */
#ifndef TEND_SYSTEM_H
#define TEND_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "conf/graph.h"

struct loop;
struct logger;
struct service;
struct system;
struct child_table;
struct env;
struct backtick;
#include "svc/service.h"

/* Documented exit codes (docs/exit-codes.md). The controlling command's own status (its
 * exit code, or 128+N when killed by signal N) is passed through as is. */
enum {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,      /* bad configuration, not PID 1 without --force, nothing to do */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_SERVICE_FAILED = 3, /* a service failure stopped the container (or a vital exit) */
	EXIT_INTERNAL = 111   /* a system call tend needs failed at start-up */
};

enum system_phase { PHASE_BOOT, PHASE_STARTING, PHASE_RUNNING, PHASE_STOPPING, PHASE_DONE };

enum system_event {
	SYSTEM_EV_SERVICE_CHANGED, /* a service changed state */
	SYSTEM_EV_ALL_STARTED,     /* start-up finished (every service started, failed or off) */
	SYSTEM_EV_STOPPING,        /* shutdown began */
	SYSTEM_EV_FATAL            /* a failure is stopping the system (errno in fatal_errno) */
};

struct system_params {
	struct config *config;    /* owned by the system from now on */
	bool tty;                 /* stdin is a terminal (chaperone's interactive mode) */
	bool kill_switch;         /* CONSOLE has exit_kills */
	bool task;                /* --task */
	bool disable_services;    /* --disable-services */
	bool ignore_failures;     /* --ignore-failures */
	bool debug;
	bool is_pid1;             /* false: --force subreaper mode */
	const char *default_user; /* --user / --create-user name, or NULL */
	char **command;           /* the controlling command (CONSOLE), or NULL */
	/* What was loaded, so that `tendctl reload` can load it again (src/system_reload.c):
	 * a chaperone.d file or directory, or a pidzero directory; NULL when not known. */
	const char *config_path;
	const char *pidzero_dir;
};

typedef void system_event_fn(struct system *system, enum system_event event,
			     struct service *service, void *arg);

struct system *system_new(struct loop *loop, struct logger *logger,
			  const struct system_params *params);
void system_free(struct system *system);
/* Begin starting services. */
int system_start(struct system *system);
/* Begin shutdown; the first reason wins. exit_code < 0 keeps the computed one. */
void system_shutdown(struct system *system, const char *reason, int exit_code);
int system_exit_code(const struct system *system);
enum system_phase system_phase(const struct system *system);

void system_subscribe(struct system *system, system_event_fn *fn, void *arg);

/* What the faces read and steer. */
size_t system_service_count(const struct system *system);
struct service *system_service_at(const struct system *system, size_t i);
struct service *system_find_service(const struct system *system, const char *name);
struct loop *system_loop(const struct system *system);
struct logger *system_logger(const struct system *system);
struct child_table *system_children(const struct system *system);
const struct config *system_config(const struct system *system);
const struct graph *system_graph(const struct system *system);
uint64_t system_started_at_ms(const struct system *system);
unsigned long system_orphans_reaped(const struct system *system);
int system_fatal_errno(const struct system *system);

/* Service-level requests (the control socket's start/stop/reset/enable/disable). */
int system_request_start(struct system *system, struct service *svc);
void system_request_stop(struct system *system, struct service *svc);

/* Called by service.c: state changes and what they mean for the whole system. */
void system_service_changed(struct system *system, struct service *svc,
			    enum service_state old_state);
/* A service failure that chaperone treats as a system failure. */
void system_service_failed(struct system *system, struct service *svc, const char *why);
/* The settings-level environment (built once) and the backtick runner with its cache. */
struct env *system_settings_env(struct system *system);
struct backtick *system_backtick(struct system *system);
/* Reap every exited child now (normally done on SIGCHLD). */
void system_reap(struct system *system);
/* --user / --create-user, or NULL. */
const char *system_default_user(const struct system *system);
/* Serial for _CHAP_SERVICE_SERIAL. */
unsigned system_next_serial(struct system *system);
/* The service's `enabled`, expanded (it may be "$(VAR:-yes)") and checked. */
bool system_conf_enabled(struct system *system, struct service *svc);
/* The IDLE group's one-time idle_delay: returns the ms still to wait (0 if none). */
uint64_t system_idle_delay_ms(struct system *system, struct service *svc);

#endif
