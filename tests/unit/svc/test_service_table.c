/*
 * test_service_table.c — the service state machine (src/svc/service.c).
 *
 * The legal transitions are listed here once more, by hand, as the specification: every
 * (state, event) pair of the table must either be in this list with the same target, or be
 * ignored. Then service_dispatch() is driven through every pair with a fake type and stubs
 * for the system around it: an ignored event leaves the service untouched and tells the
 * system nothing; a legal one lands in the listed state (or goes on, as STOPPING with no
 * process left does), runs the entry action (a start on STARTING, a stop on STOPPING) and
 * is reported once to the system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "svc/service.h"
#include "system.h"

struct legal {
	enum service_state from;
	enum service_event event;
	enum service_state to;
};

static const struct legal legal[] = {
    {SVC_INACTIVE, SVC_EV_REQUEST, SVC_WAITING},    {SVC_INACTIVE, SVC_EV_SPAWN, SVC_STARTING},
    {SVC_INACTIVE, SVC_EV_RESET, SVC_INACTIVE},	    {SVC_INACTIVE, SVC_EV_DISABLE, SVC_DISABLED},

    {SVC_DISABLED, SVC_EV_ENABLE, SVC_INACTIVE},

    {SVC_WAITING, SVC_EV_SPAWN, SVC_STARTING},	    {SVC_WAITING, SVC_EV_START_FAIL, SVC_FAILED},
    {SVC_WAITING, SVC_EV_STOP, SVC_INACTIVE},	    {SVC_WAITING, SVC_EV_RESET, SVC_INACTIVE},
    {SVC_WAITING, SVC_EV_DISABLE, SVC_DISABLED},

    {SVC_STARTING, SVC_EV_UP, SVC_RUNNING},	    {SVC_STARTING, SVC_EV_READY, SVC_READY},
    {SVC_STARTING, SVC_EV_SCHEDULE, SVC_SCHEDULED}, {SVC_STARTING, SVC_EV_DONE, SVC_EXITED},
    {SVC_STARTING, SVC_EV_START_FAIL, SVC_FAILED},  {SVC_STARTING, SVC_EV_CRASH, SVC_FAILED},
    {SVC_STARTING, SVC_EV_RESTART, SVC_BACKOFF}, /* a restart that failed to start */
    {SVC_STARTING, SVC_EV_STOP, SVC_STOPPING},	    {SVC_STARTING, SVC_EV_STOPPED, SVC_INACTIVE},
    {SVC_STARTING, SVC_EV_RESET, SVC_STOPPING},	    {SVC_STARTING, SVC_EV_DISABLE, SVC_DISABLED},

    {SVC_RUNNING, SVC_EV_READY, SVC_READY},	    {SVC_RUNNING, SVC_EV_DONE, SVC_EXITED},
    {SVC_RUNNING, SVC_EV_CRASH, SVC_FAILED},	    {SVC_RUNNING, SVC_EV_RESTART, SVC_BACKOFF},
    {SVC_RUNNING, SVC_EV_STOP, SVC_STOPPING},	    {SVC_RUNNING, SVC_EV_STOPPED, SVC_INACTIVE},
    {SVC_RUNNING, SVC_EV_RESET, SVC_STOPPING},

    {SVC_READY, SVC_EV_DONE, SVC_EXITED},	    {SVC_READY, SVC_EV_CRASH, SVC_FAILED},
    {SVC_READY, SVC_EV_RESTART, SVC_BACKOFF},	    {SVC_READY, SVC_EV_STOP, SVC_STOPPING},
    {SVC_READY, SVC_EV_STOPPED, SVC_INACTIVE},	    {SVC_READY, SVC_EV_RESET, SVC_STOPPING},

    {SVC_SCHEDULED, SVC_EV_UP, SVC_SCHEDULED},	    {SVC_SCHEDULED, SVC_EV_SCHEDULE, SVC_SCHEDULED},
    {SVC_SCHEDULED, SVC_EV_DONE, SVC_SCHEDULED},    {SVC_SCHEDULED, SVC_EV_CRASH, SVC_FAILED},
    {SVC_SCHEDULED, SVC_EV_RESTART, SVC_BACKOFF},   {SVC_SCHEDULED, SVC_EV_STOP, SVC_STOPPING},
    {SVC_SCHEDULED, SVC_EV_STOPPED, SVC_INACTIVE},  {SVC_SCHEDULED, SVC_EV_RESET, SVC_STOPPING},

    {SVC_STOPPING, SVC_EV_DONE, SVC_INACTIVE},	    {SVC_STOPPING, SVC_EV_START_FAIL, SVC_INACTIVE},
    {SVC_STOPPING, SVC_EV_CRASH, SVC_INACTIVE},	    {SVC_STOPPING, SVC_EV_STOPPED, SVC_INACTIVE},

    {SVC_EXITED, SVC_EV_REQUEST, SVC_WAITING},	    {SVC_EXITED, SVC_EV_SPAWN, SVC_STARTING},
    {SVC_EXITED, SVC_EV_STOP, SVC_INACTIVE},	    {SVC_EXITED, SVC_EV_RESET, SVC_INACTIVE},
    {SVC_EXITED, SVC_EV_DISABLE, SVC_DISABLED},

    {SVC_FAILED, SVC_EV_REQUEST, SVC_WAITING},	    {SVC_FAILED, SVC_EV_SPAWN, SVC_STARTING},
    {SVC_FAILED, SVC_EV_STOP, SVC_INACTIVE},	    {SVC_FAILED, SVC_EV_RESET, SVC_INACTIVE},
    {SVC_FAILED, SVC_EV_DISABLE, SVC_DISABLED},

    {SVC_BACKOFF, SVC_EV_SPAWN, SVC_STARTING},	    {SVC_BACKOFF, SVC_EV_STOP, SVC_INACTIVE},
    {SVC_BACKOFF, SVC_EV_RESET, SVC_INACTIVE},	    {SVC_BACKOFF, SVC_EV_DISABLE, SVC_DISABLED},
};
#define NLEGAL (sizeof(legal) / sizeof(legal[0]))

static enum service_state listed(enum service_state from, enum service_event event)
{
	for (size_t i = 0; i < NLEGAL; i++)
		if (legal[i].from == from && legal[i].event == event)
			return legal[i].to;
	return SVC_STATE_COUNT;
}

/* ---- stubs for what service.c calls around it ---- */

static struct config stub_config;
static unsigned changes;       /* system_service_changed calls */
static unsigned starts, stops; /* fake type's start/stop calls */
static unsigned failures;      /* system_service_failed calls */

struct logger *system_logger(const struct system *system)
{
	(void)system;
	return NULL;
}
const struct config *system_config(const struct system *system)
{
	(void)system;
	return &stub_config;
}
struct loop *system_loop(const struct system *system)
{
	(void)system;
	return NULL;
}
struct child_table *system_children(const struct system *system)
{
	(void)system;
	return NULL;
}
void system_service_changed(struct system *system, struct service *svc, enum service_state old)
{
	(void)system;
	(void)svc;
	(void)old;
	changes++;
}
void system_service_failed(struct system *system, struct service *svc, const char *why)
{
	(void)system;
	(void)svc;
	(void)why;
	failures++;
}
void system_shutdown(struct system *system, const char *reason, int exit_code)
{
	(void)system;
	(void)reason;
	(void)exit_code;
}
void log_capture_read_available(struct log_capture *capture)
{
	(void)capture;
}

void tend_log(struct logger *logger, int severity, const char *fmt, ...)
{
	(void)logger;
	(void)severity;
	(void)fmt;
}
uint64_t loop_now_ms(void)
{
	return 1000;
}
void loop_timer_init(struct loop_timer *timer, loop_timer_fn *fn, void *arg)
{
	memset(timer, 0, sizeof(*timer));
	timer->fn = fn;
	(void)arg;
}
void loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms)
{
	(void)loop;
	(void)timer;
	(void)delay_ms;
}
void loop_timer_stop(struct loop *loop, struct loop_timer *timer)
{
	(void)loop;
	(void)timer;
}
const char *child_status_describe(int status, char *buf, size_t len)
{
	snprintf(buf, len, "status %d", status);
	return buf;
}
int child_watch(struct child_table *table, pid_t pid, child_exit_fn *fn, void *arg)
{
	(void)table;
	(void)pid;
	(void)fn;
	(void)arg;
	return 0;
}
bool service_ignore_failures(const struct service_conf *service,
			     const struct settings_conf *settings)
{
	(void)service;
	(void)settings;
	return false;
}
double service_process_timeout(const struct service_conf *service,
			       const struct settings_conf *settings)
{
	(void)service;
	(void)settings;
	return 1;
}
double service_startup_pause(const struct service_conf *service,
			     const struct settings_conf *settings)
{
	(void)service;
	(void)settings;
	return 0.5;
}

static int fake_start(struct service *svc)
{
	(void)svc;
	starts++;
	return 0;
}
static void fake_stop(struct service *svc)
{
	(void)svc;
	stops++;
}
static void fake_on_exit(struct service *svc, pid_t pid, int status)
{
	(void)svc;
	(void)pid;
	(void)status;
}
static const struct service_ops fake_ops = {
    .name = "fake", .start = fake_start, .on_exit = fake_on_exit, .stop = fake_stop};

static struct service_conf fake_conf = {.name = "t.service"};

static void fresh(struct service *svc, enum service_state state, bool with_process)
{
	memset(svc, 0, sizeof(*svc));
	svc->conf = &fake_conf;
	svc->ops = &fake_ops;
	svc->state = state;
	svc->enabled = true;
	svc->restarts_left = -1;
	svc->attach_pidfd = -1;
	svc->pid = with_process ? 424242 : 0; /* never signalled: fake_stop does the stopping */
	changes = starts = stops = failures = 0;
}

/* ---- tests ---- */

static void test_names_cover_every_state_and_event(void **state)
{
	(void)state;
	for (int s = 0; s < SVC_STATE_COUNT; s++)
		assert_string_not_equal(service_state_name((enum service_state)s), "?");
	for (int e = 0; e < SVC_EVENT_COUNT; e++)
		assert_string_not_equal(service_event_name((enum service_event)e), "?");
	assert_string_equal(service_state_name(SVC_STATE_COUNT), "?");
	assert_string_equal(service_event_name(SVC_EVENT_COUNT), "?");
}

static void test_table_matches_the_listed_transitions(void **state)
{
	(void)state;
	for (int s = 0; s < SVC_STATE_COUNT; s++)
		for (int e = 0; e < SVC_EVENT_COUNT; e++) {
			enum service_state got =
			    service_next_state((enum service_state)s, (enum service_event)e);
			enum service_state want =
			    listed((enum service_state)s, (enum service_event)e);
			if (got != want)
				fail_msg("%s + %s: table says %s, the list says %s",
					 service_state_name((enum service_state)s),
					 service_event_name((enum service_event)e),
					 service_state_name(got), service_state_name(want));
		}
	assert_int_equal(service_next_state(SVC_STATE_COUNT, SVC_EV_SPAWN), SVC_STATE_COUNT);
	assert_int_equal(service_next_state(SVC_INACTIVE, SVC_EVENT_COUNT), SVC_STATE_COUNT);
}

static void test_list_has_no_duplicates(void **state)
{
	(void)state;
	for (size_t i = 0; i < NLEGAL; i++)
		for (size_t k = i + 1; k < NLEGAL; k++)
			assert_false(legal[i].from == legal[k].from &&
				     legal[i].event == legal[k].event);
}

/* Every state can be reached from a fresh service and every state can get back to inactive
 * (no trap state). */
static void test_every_state_reachable_and_left(void **state)
{
	(void)state;
	bool reach[SVC_STATE_COUNT] = {0};
	reach[SVC_INACTIVE] = true;
	for (int round = 0; round < SVC_STATE_COUNT; round++)
		for (size_t i = 0; i < NLEGAL; i++)
			if (reach[legal[i].from])
				reach[legal[i].to] = true;
	for (int s = 0; s < SVC_STATE_COUNT; s++)
		if (!reach[s])
			fail_msg("%s unreachable", service_state_name((enum service_state)s));
	bool back[SVC_STATE_COUNT] = {0};
	back[SVC_INACTIVE] = true;
	for (int round = 0; round < SVC_STATE_COUNT; round++)
		for (size_t i = 0; i < NLEGAL; i++)
			if (back[legal[i].to])
				back[legal[i].from] = true;
	for (int s = 0; s < SVC_STATE_COUNT; s++)
		if (!back[s])
			fail_msg("%s can never return to inactive",
				 service_state_name((enum service_state)s));
}

/* Stop and reset are heard in every state where something runs or waits. */
static void test_stop_is_heard_wherever_something_runs(void **state)
{
	(void)state;
	static const enum service_state busy[] = {SVC_WAITING, SVC_STARTING,  SVC_RUNNING,
						  SVC_READY,   SVC_SCHEDULED, SVC_BACKOFF};
	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++) {
		assert_int_not_equal(service_next_state(busy[i], SVC_EV_STOP), SVC_STATE_COUNT);
		assert_int_not_equal(service_next_state(busy[i], SVC_EV_RESET), SVC_STATE_COUNT);
	}
	/* nothing restarts a stopped or disabled service by itself */
	assert_int_equal(service_next_state(SVC_STOPPING, SVC_EV_SPAWN), SVC_STATE_COUNT);
	assert_int_equal(service_next_state(SVC_STOPPING, SVC_EV_RESTART), SVC_STATE_COUNT);
	assert_int_equal(service_next_state(SVC_DISABLED, SVC_EV_SPAWN), SVC_STATE_COUNT);
	assert_int_equal(service_next_state(SVC_DISABLED, SVC_EV_REQUEST), SVC_STATE_COUNT);
}

static void test_dispatch_follows_the_table(void **state)
{
	(void)state;
	struct service svc;
	for (int s = 0; s < SVC_STATE_COUNT; s++)
		for (int e = 0; e < SVC_EVENT_COUNT; e++) {
			enum service_state from = (enum service_state)s;
			enum service_event ev = (enum service_event)e;
			enum service_state want = listed(from, ev);
			fresh(&svc, from, true);
			service_dispatch(&svc, ev);
			if (want == SVC_STATE_COUNT) {
				/* ignored: untouched, and the system hears nothing */
				assert_int_equal(svc.state, from);
				assert_int_equal(changes, 0);
				assert_int_equal(starts + stops + failures, 0);
				continue;
			}
			if (svc.state != want)
				fail_msg("%s + %s: landed in %s, want %s", service_state_name(from),
					 service_event_name(ev), service_state_name(svc.state),
					 service_state_name(want));
			assert_int_equal(changes, 1);
			assert_int_equal(starts, want == SVC_STARTING ? 1 : 0);
			assert_int_equal(stops, want == SVC_STOPPING ? 1 : 0);
			if (want == SVC_STOPPING)
				assert_true(svc.stop_requested);
			if (want == SVC_RUNNING || want == SVC_READY || want == SVC_SCHEDULED ||
			    want == SVC_EXITED)
				assert_true(svc.started);
			if (want == SVC_INACTIVE || want == SVC_DISABLED)
				assert_false(svc.started);
		}
}

/* STOPPING with no process left to wait for goes straight on to inactive. */
static void test_stopping_without_a_process_finishes(void **state)
{
	(void)state;
	struct service svc;
	fresh(&svc, SVC_RUNNING, false);
	service_dispatch(&svc, SVC_EV_STOP);
	assert_int_equal(svc.state, SVC_INACTIVE);
	assert_int_equal(stops, 1);
	assert_int_equal(changes, 2);
}

/* A restart that fails on start-up is one more crash within the budget (no system failure),
 * and the failure once the budget is spent leaves the service failed, still no system
 * failure; the very first start failure is a system failure. */
static void test_start_failure_first_and_on_restart(void **state)
{
	(void)state;
	struct service svc;
	struct service_conf conf = {.name = "r.service",
				    .restart = true,
				    .restart_limit = 1,
				    .restart_delay = 1,
				    .kill_signal = 15};
	fresh(&svc, SVC_STARTING, false);
	svc.conf = &conf;
	service_start_failed(&svc, "first start failed");
	assert_int_equal(svc.state, SVC_FAILED);
	assert_int_equal(failures, 1);

	fresh(&svc, SVC_STARTING, false);
	svc.conf = &conf;
	svc.restarting = true;
	service_start_failed(&svc, "restart failed");
	assert_int_equal(svc.state, SVC_BACKOFF);
	assert_int_equal(failures, 0);
	assert_int_equal(svc.restarts_left, 0);

	svc.state = SVC_STARTING;
	svc.restarting = true;
	failures = 0;
	service_start_failed(&svc, "restart failed again");
	assert_int_equal(svc.state, SVC_FAILED);
	assert_int_equal(failures, 0);
	assert_false(svc.restarting);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_cover_every_state_and_event),
	    cmocka_unit_test(test_table_matches_the_listed_transitions),
	    cmocka_unit_test(test_list_has_no_duplicates),
	    cmocka_unit_test(test_every_state_reachable_and_left),
	    cmocka_unit_test(test_stop_is_heard_wherever_something_runs),
	    cmocka_unit_test(test_dispatch_follows_the_table),
	    cmocka_unit_test(test_stopping_without_a_process_finishes),
	    cmocka_unit_test(test_start_failure_first_and_on_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
