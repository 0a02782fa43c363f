/*
 * service.h — one supervised service: the state every type shares, the transition table,
 * and the interface each service type implements (one file per type: simple.c, forking.c,
 * oneshot.c, notify.c, inetd.c, cron.c).
 *
 * A type only spawns, watches and reports: it raises events (service_event) and the table in
 * service.c decides the next state, so every transition is in one place and logged the same
 * way. Restart policy, the "started" flag that dependents wait on, and what a failure means
 * for the whole system are decided here too, never in a type.
 */
#ifndef TEND_SVC_SERVICE_H
#define TEND_SVC_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "core/loop.h"

struct system;
struct service;
struct log_capture;

enum service_state {
	SVC_INACTIVE,  /* enabled, not started (never, or stopped/reset by the user) */
	SVC_DISABLED,
	SVC_WAITING,   /* start requested, waiting for prerequisites */
	SVC_STARTING,  /* spawned; waiting for startup_pause / exit / pidfile / READY=1 */
	SVC_RUNNING,   /* started, process alive */
	SVC_READY,     /* notify: READY=1 received */
	SVC_SCHEDULED, /* cron waiting for its tick, inetd listening */
	SVC_STOPPING,  /* kill signal sent, waiting for the exit */
	SVC_EXITED,    /* finished normally (oneshot done, simple exited 0) */
	SVC_FAILED,    /* start failure, or crashed with no restarts left */
	SVC_BACKOFF,   /* crashed; restart timer armed */
	SVC_STATE_COUNT
};

enum service_event {
	SVC_EV_REQUEST,     /* start wanted: wait for prerequisites */
	SVC_EV_SPAWN,       /* prerequisites met (or restart due): the type starts it */
	SVC_EV_UP,          /* started, process running */
	SVC_EV_READY,       /* notify: ready */
	SVC_EV_SCHEDULE,    /* cron/inetd: armed */
	SVC_EV_DONE,        /* finished normally */
	SVC_EV_START_FAIL,  /* could not start (spawn error, early exit, timeout, ERRNO=) */
	SVC_EV_CRASH,       /* abnormal exit after a successful start */
	SVC_EV_RESTART,     /* crash with restarts left: wait restart_delay */
	SVC_EV_STOP,        /* stop requested (tendctl stop, shutdown) */
	SVC_EV_STOPPED,     /* the process is gone after a stop */
	SVC_EV_RESET,       /* back to inactive */
	SVC_EV_DISABLE,
	SVC_EV_ENABLE,
	SVC_EVENT_COUNT
};

struct service_ops {
	const char *name;
	/* Spawn (or arm). Returns 0, or -1 after calling service_start_failed(). */
	int (*start)(struct service *svc);
	/* A watched pid of this service exited. */
	void (*on_exit)(struct service *svc, pid_t pid, int status);
	/* The service's timer fired (timeouts, pidfile waits, ticks). */
	void (*on_timer)(struct service *svc);
	/* Ask the service to stop (default: service_signal(kill_signal)). May be NULL. */
	void (*stop)(struct service *svc);
	/* Release what the type holds (sockets, schedules); the process is already gone. */
	void (*release)(struct service *svc);
};

extern const struct service_ops simple_ops, forking_ops, oneshot_ops, notify_ops, inetd_ops,
	cron_ops;

struct service {
	struct system *system;
	struct service_conf *conf;
	const struct service_ops *ops;
	size_t index;            /* in the system's service array */
	char *short_name;        /* "foo" for "foo.service" */
	enum service_state state;
	bool enabled;
	bool started;            /* prerequisite satisfied for dependents */
	bool stop_requested;     /* the current exit was asked for (kill_signal, stop) */
	pid_t pid;               /* main process, 0 if none */
	pid_t attached_pid;      /* from pidfile / MAINPID / forking daemon, 0 if none */
	pid_t pgid;              /* process group to signal, 0 if none of its own */
	int last_status;         /* waitpid status of the last exit, -1 if none */
	int restarts_left;       /* -1: not counting yet (chaperone sets it at first failure) */
	unsigned restarts;       /* total restarts done */
	unsigned consecutive_failures;
	uint64_t started_at_ms;  /* loop time of the last successful start */
	uint64_t state_since_ms;
	unsigned waiting_on;     /* unsatisfied prerequisites while WAITING */
	struct loop_timer timer; /* owned by the type while STARTING/SCHEDULED */
	struct loop_timer restart_timer;
	struct log_capture *out, *err;
	char note[160];          /* the `status` note: STATUS=, inetd counters, last error */
	void *type_data;         /* the type's own state */
	unsigned serial;         /* _CHAP_SERVICE_SERIAL of the last launch */
	bool force_inherit_output; /* CONSOLE: stdout/stderr inherited */
	int last_exec_errno;     /* errno of the last failed exec (ENOENT -> 127), 0 if none */
	int attach_pidfd;        /* pidfd of attached_pid (it may not be our child), or -1 */
	uint64_t attach_deadline_ms;
	unsigned attach_interval_ms;
	bool restarting;         /* this start is a restart after a crash (a failure is one more crash) */
	bool kill_switch_fired;  /* exit_kills / vital already acted on for this run */
	bool start_failing;      /* inside service_start_failed(): the system decides, not exit detection */
};

/* The implementation of a service type. */
const struct service_ops *service_ops_for(enum service_type type);
/* `enabled` after expansion: chaperone's y/yes/true/on (anything else is off). */
bool service_enabled_value(const char *value);

const char *service_state_name(enum service_state state);
const char *service_event_name(enum service_event event);

/* The table itself: where `event` leads from `state`, or SVC_STATE_COUNT when the event is
 * ignored there (for tests and for `tendctl` explanations). */
enum service_state service_next_state(enum service_state state, enum service_event event);

/* Feed an event to the table. Illegal events in a state are ignored (and logged at debug). */
void service_dispatch(struct service *svc, enum service_event event);

/* Helpers for types. */
int service_spawn(struct service *svc, const char *const *extra_env, int stdin_fd, int stdout_fd,
		  int stderr_fd, pid_t *pid_out);
void service_start_failed(struct service *svc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A watched pid's exit after the service was up: decides done / crash / stopped. */
void service_process_ended(struct service *svc, int status);
void service_signal(struct service *svc, int signo);
void service_set_note(struct service *svc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Watch a pid (the main process or an attached one) for this service. */
int service_watch_pid(struct service *svc, pid_t pid);
/* The effective values, falling back to settings (conf/config.h has the rules). */
double svc_process_timeout(const struct service *svc);
double svc_startup_pause(const struct service *svc);
bool svc_ignore_failures(const struct service *svc);
/* Read a pid from the service's pidfile; 0 when not there (yet). */
pid_t service_read_pidfile(struct service *svc);

#endif
