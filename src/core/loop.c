/*
 * loop.c — epoll + one timerfd (driving a binary min-heap of timers) + one signalfd.
 *
 * Why one timerfd and a heap: tend may have hundreds of timers (restart delays, timeouts,
 * cron ticks); a heap keeps arming O(log n) and the kernel only ever sees the earliest due
 * time, so an idle tend sleeps with no wake-ups at all.
 */
#include "core/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct fd_watch {
	loop_fd_fn *fn;
	void *arg;
	bool used;
};

struct loop {
	int epoll_fd;
	int timer_fd;
	int signal_fd;
	bool stopping;
	struct fd_watch *watches; /* indexed by fd */
	size_t nwatches;
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t armed_ms; /* what timer_fd is set to, 0 when disarmed */
	loop_signal_fn *signal_fn;
	void *signal_arg;
};

static sigset_t original_mask;

const sigset_t *loop_original_sigmask(void)
{
	return &original_mask;
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int fd_set_nonblock_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/* ---- timer heap ---- */

static void heap_swap(struct loop *loop, size_t a, size_t b)
{
	struct loop_timer *t = loop->heap[a];
	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_index = a;
	loop->heap[b]->heap_index = b;
}

static void heap_up(struct loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent]->due_ms <= loop->heap[i]->due_ms)
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void heap_down(struct loop *loop, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, min = i;
		if (left < loop->heap_len && loop->heap[left]->due_ms < loop->heap[min]->due_ms)
			min = left;
		if (right < loop->heap_len && loop->heap[right]->due_ms < loop->heap[min]->due_ms)
			min = right;
		if (min == i)
			return;
		heap_swap(loop, i, min);
		i = min;
	}
}

static void heap_remove(struct loop *loop, size_t i)
{
	struct loop_timer *removed = loop->heap[i];
	loop->heap_len--;
	if (i != loop->heap_len) {
		loop->heap[i] = loop->heap[loop->heap_len];
		loop->heap[i]->heap_index = i;
		heap_down(loop, i);
		heap_up(loop, i);
	}
	removed->heap_index = SIZE_MAX;
}

/* Point the timerfd at the earliest due timer (or disarm it). */
static void timerfd_sync(struct loop *loop)
{
	uint64_t due = loop->heap_len ? loop->heap[0]->due_ms : 0;
	if (due == loop->armed_ms)
		return;
	struct itimerspec spec = {0};
	if (due) {
		spec.it_value.tv_sec = (time_t)(due / 1000u);
		spec.it_value.tv_nsec = (long)(due % 1000u) * 1000000L;
	}
	/* TFD_TIMER_ABSTIME with a past time fires immediately, which is what we want. */
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) == 0)
		loop->armed_ms = due;
}

void loop_timer_init(struct loop_timer *timer, loop_timer_fn *fn, void *arg)
{
	timer->due_ms = 0;
	timer->heap_index = SIZE_MAX;
	timer->fn = fn;
	timer->arg = arg;
}

bool loop_timer_armed(const struct loop_timer *timer)
{
	return timer->heap_index != SIZE_MAX;
}

void loop_timer_start_at(struct loop *loop, struct loop_timer *timer, uint64_t due_ms)
{
	if (due_ms == 0)
		due_ms = 1; /* 0 means "disarmed" to timerfd */
	if (loop_timer_armed(timer) && timer->heap_index < loop->heap_len &&
	    loop->heap[timer->heap_index] == timer) {
		timer->due_ms = due_ms;
		heap_down(loop, timer->heap_index);
		heap_up(loop, timer->heap_index);
	} else {
		if (loop->heap_len == loop->heap_cap) {
			size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
			struct loop_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
			if (!heap)
				abort(); /* out of memory in PID 1: nothing sensible is left */
			loop->heap = heap;
			loop->heap_cap = cap;
		}
		timer->due_ms = due_ms;
		timer->heap_index = loop->heap_len;
		loop->heap[loop->heap_len++] = timer;
		heap_up(loop, timer->heap_index);
	}
	timerfd_sync(loop);
}

void loop_timer_start(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms)
{
	loop_timer_start_at(loop, timer, loop_now_ms() + delay_ms);
}

void loop_timer_stop(struct loop *loop, struct loop_timer *timer)
{
	/* Also tolerate a zeroed, never-initialised timer: it is not in the heap. */
	if (!loop_timer_armed(timer) || timer->heap_index >= loop->heap_len ||
	    loop->heap[timer->heap_index] != timer)
		return;
	heap_remove(loop, timer->heap_index);
	timerfd_sync(loop);
}

static void timers_fire(struct loop *loop)
{
	uint64_t expirations;
	while (read(loop->timer_fd, &expirations, sizeof(expirations)) > 0)
		;
	loop->armed_ms = 0;
	uint64_t now = loop_now_ms();
	/* A callback may arm or stop other timers; take one at a time from the top. */
	while (loop->heap_len && loop->heap[0]->due_ms <= now && !loop->stopping) {
		struct loop_timer *timer = loop->heap[0];
		heap_remove(loop, 0);
		timer->fn(loop, timer->arg);
	}
	timerfd_sync(loop);
}

/* ---- fds ---- */

static int watch_reserve(struct loop *loop, int fd)
{
	if ((size_t)fd < loop->nwatches)
		return 0;
	size_t n = loop->nwatches ? loop->nwatches : 64;
	while (n <= (size_t)fd)
		n *= 2;
	struct fd_watch *w = realloc(loop->watches, n * sizeof(*w));
	if (!w)
		return -1;
	memset(w + loop->nwatches, 0, (n - loop->nwatches) * sizeof(*w));
	loop->watches = w;
	loop->nwatches = n;
	return 0;
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn *fn, void *arg)
{
	if (fd < 0 || watch_reserve(loop, fd) < 0)
		return -1;
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	loop->watches[fd] = (struct fd_watch){.fn = fn, .arg = arg, .used = true};
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_del_fd(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nwatches || !loop->watches[fd].used)
		return;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	loop->watches[fd].used = false;
}

/* ---- signals ---- */

void loop_on_signal(struct loop *loop, loop_signal_fn *fn, void *arg)
{
	loop->signal_fn = fn;
	loop->signal_arg = arg;
}

static void signals_read(struct loop *loop)
{
	struct signalfd_siginfo infos[16];
	ssize_t n;
	while ((n = read(loop->signal_fd, infos, sizeof(infos))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(infos[0]); i++)
			if (loop->signal_fn)
				loop->signal_fn(loop, &infos[i], loop->signal_arg);
	}
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epoll_fd = loop->timer_fd = loop->signal_fd = -1;

	/* Every signal we can catch goes to the signalfd; the original mask is kept so that
	 * children can be given back exactly what tend itself was started with. */
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	if (sigprocmask(SIG_BLOCK, &all, &original_mask) < 0)
		goto fail;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	loop->signal_fd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->epoll_fd < 0 || loop->timer_fd < 0 || loop->signal_fd < 0)
		goto fail;
	if (loop_add_fd(loop, loop->timer_fd, EPOLLIN, NULL, NULL) < 0 ||
	    loop_add_fd(loop, loop->signal_fd, EPOLLIN, NULL, NULL) < 0)
		goto fail;
	return loop;
fail:
	loop_free(loop);
	return NULL;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	if (loop->signal_fd >= 0)
		close(loop->signal_fd);
	/* Timers still armed belong to owners that may already be freed: leave them alone. */
	free(loop->heap);
	free(loop->watches);
	free(loop);
}

void loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[64];
	/* loop_stop() may already have been called before the loop ran (a start-up failure). */
	while (!loop->stopping) {
		int n = epoll_wait(loop->epoll_fd, events, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !loop->stopping; i++) {
			int fd = events[i].data.fd;
			if (fd == loop->timer_fd) {
				timers_fire(loop);
			} else if (fd == loop->signal_fd) {
				signals_read(loop);
			} else if ((size_t)fd < loop->nwatches && loop->watches[fd].used) {
				/* Copy first: the callback may delete its own watch. */
				struct fd_watch w = loop->watches[fd];
				w.fn(loop, fd, events[i].events, w.arg);
			}
		}
	}
	return 0;
}
