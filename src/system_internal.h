/*
 * system_internal.h — struct system, shared by system.c (start-up, signals, exit detection)
 * and system_shutdown.c (the staged shutdown and the exit code). Not for other layers.
 */
#ifndef TEND_SYSTEM_INTERNAL_H
#define TEND_SYSTEM_INTERNAL_H

#include "conf/backtick.h"
#include "conf/graph.h"
#include "core/loop.h"
#include "system.h"

#define MAX_SUBSCRIBERS 8

struct subscriber {
	system_event_fn *fn;
	void *arg;
};

enum shutdown_stage {
	SHUTDOWN_SERVICES, /* services stopped in reverse order, up to shutdown_timeout */
	SHUTDOWN_TERM,	   /* SIGTERM to everything left, a short grace */
	SHUTDOWN_KILL,	   /* SIGKILL to everything left, wait for the last exits */
	SHUTDOWN_FINISHED
};

struct system {
	struct loop *loop;
	struct logger *logger;
	struct child_table *children;
	struct config *config;
	struct graph graph;
	struct service *services; /* index == config->services index == graph index */
	size_t nservices;
	size_t **dependents; /* reverse of graph.prereqs */
	size_t *ndependents;
	struct service *console; /* the controlling command, or NULL */
	struct system_params params;
	enum system_phase phase;
	uint64_t started_ms;
	unsigned serial;
	unsigned long orphans;
	bool start_attempted;
	bool idle_released;
	bool has_non_idle; /* some enabled service is outside the IDLE group */
	bool told_scheduled;
	struct loop_timer idle_timer;
	/* shutdown */
	enum shutdown_stage stage;
	bool services_waited; /* the services stage used its grace period */
	struct loop_timer shutdown_timer;
	int requested_exit; /* -1: none */
	bool fatal;
	int fatal_errno;
	struct env *env_base;	  /* tend's own environ */
	struct env *env_settings; /* the settings level */
	struct backtick *backtick;
	struct backtick_shell backtick_shell; /* defaults: sh, 5 s, 64 KiB */
	struct subscriber subscribers[MAX_SUBSCRIBERS];
	size_t nsubscribers;
	struct system_reload_state *reload; /* system_reload.c: spare slots, removed services */
};

void shutdown_progress(struct system *s);
void shutdown_timer_fired(struct loop *loop, void *arg);
void system_check_exit(struct system *s);
void system_publish_stopping(struct system *s);

#endif
