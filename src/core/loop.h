/*
 * loop.h — the one event loop: fds (epoll), timers (one timerfd driving a binary heap) and
 * signals (one signalfd). The only place in tend that waits. Single-threaded; callbacks run
 * to completion and must never block. When nothing is due, tend sleeps in epoll_wait with no
 * timeout, so an idle tend makes no system calls at all.
 */
#ifndef TEND_CORE_LOOP_H
#define TEND_CORE_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/signalfd.h>

struct loop;

/* Called when fd is ready; events is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void loop_fd_fn(struct loop *loop, int fd, uint32_t events, void *arg);
typedef void loop_timer_fn(struct loop *loop, void *arg);
/* Called with the siginfo of each signal read from the signalfd. */
typedef void loop_signal_fn(struct loop *loop, const struct signalfd_siginfo *info, void *arg);

/* A timer lives inside its owner's struct: no allocation when (re)arming. */
struct loop_timer {
	uint64_t due_ms;   /* CLOCK_MONOTONIC milliseconds */
	size_t heap_index; /* position in the heap, or SIZE_MAX when not armed */
	loop_timer_fn *fn;
	void *arg;
};

/* Create the loop. Blocks every catchable signal in the calling thread and routes them all
 * to the signalfd (children get a clean mask back in child_spawn). NULL on failure. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch fd. The fd must already be non-blocking and close-on-exec. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn *fn, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
void loop_del_fd(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *timer, loop_timer_fn *fn, void *arg);
/* Arm (or re-arm) the timer to fire once after delay_ms. */
void loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms);
/* Arm the timer to fire at an absolute CLOCK_MONOTONIC time in ms. */
void loop_timer_start_at(struct loop *loop, struct loop_timer *timer, uint64_t due_ms);
void loop_timer_stop(struct loop *loop, struct loop_timer *timer);
bool loop_timer_armed(const struct loop_timer *timer);

/* One handler for every signal (tend dispatches on ssi_signo itself). */
void loop_on_signal(struct loop *loop, loop_signal_fn *fn, void *arg);

/* Run until loop_stop() is called. Returns 0, or -1 if epoll itself failed. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* CLOCK_MONOTONIC in milliseconds: the time base of every timer. */
uint64_t loop_now_ms(void);

/* The signal mask tend had when it started (restored in children). */
const sigset_t *loop_original_sigmask(void);

/* Helpers for fds that go on the loop. */
int fd_set_nonblock_cloexec(int fd);

#endif
