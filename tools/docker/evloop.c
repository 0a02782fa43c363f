/*
 * evloop.c — the loop described in evloop.h. curl_multi_poll waits on curl's sockets and our
 * extra fds together, with curl's own timeout folded in; after each wake-up we let curl make
 * progress, report finished transfers, then serve the extra fds and the timers that are due.
 */
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct evloop_watch {
	int fd;
	short events;
	evloop_fd_fn *fn;
	void *arg;
};

struct evloop {
	CURLM *multi;
	evloop_done_fn *on_done;
	struct evloop_watch *watches;
	size_t n_watches, cap_watches;
	struct evloop_timer *timers; /* unsorted list of armed timers: there are few */
	bool stop;
};

uint64_t evloop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct evloop *evloop_new(evloop_done_fn *on_done)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->multi = curl_multi_init();
	if (!loop->multi) {
		free(loop);
		return NULL;
	}
	loop->on_done = on_done;
	return loop;
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	curl_multi_cleanup(loop->multi);
	free(loop->watches);
	free(loop);
}

CURLM *evloop_multi(struct evloop *loop)
{
	return loop->multi;
}

int evloop_add_fd(struct evloop *loop, int fd, short events, evloop_fd_fn *fn, void *arg)
{
	if (loop->n_watches == loop->cap_watches) {
		size_t cap = loop->cap_watches ? loop->cap_watches * 2 : 16;
		struct evloop_watch *grown = realloc(loop->watches, cap * sizeof(*grown));
		if (!grown)
			return -1;
		loop->watches = grown;
		loop->cap_watches = cap;
	}
	loop->watches[loop->n_watches++] = (struct evloop_watch){fd, events, fn, arg};
	return 0;
}

void evloop_del_fd(struct evloop *loop, int fd)
{
	for (size_t i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i].fd == fd) {
			loop->watches[i] = loop->watches[--loop->n_watches];
			return;
		}
	}
}

void evloop_timer_init(struct evloop_timer *timer, evloop_timer_fn *fn, void *arg)
{
	memset(timer, 0, sizeof(*timer));
	timer->fn = fn;
	timer->arg = arg;
}

void evloop_timer_stop(struct evloop *loop, struct evloop_timer *timer)
{
	if (!timer->armed)
		return;
	for (struct evloop_timer **at = &loop->timers; *at; at = &(*at)->next) {
		if (*at == timer) {
			*at = timer->next;
			break;
		}
	}
	timer->armed = false;
	timer->next = NULL;
}

void evloop_timer_start(struct evloop *loop, struct evloop_timer *timer, uint64_t delay_ms)
{
	evloop_timer_stop(loop, timer);
	timer->due_ms = evloop_now_ms() + delay_ms;
	timer->armed = true;
	timer->next = loop->timers;
	loop->timers = timer;
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
	curl_multi_wakeup(loop->multi);
}

void evloop_kick(struct evloop *loop)
{
	curl_multi_wakeup(loop->multi);
}

static int next_timeout(const struct evloop *loop)
{
	uint64_t now = evloop_now_ms();
	uint64_t wait = 60000; /* curl folds in its own, shorter timeouts */
	for (const struct evloop_timer *t = loop->timers; t; t = t->next) {
		uint64_t left = t->due_ms > now ? t->due_ms - now : 0;
		if (left < wait)
			wait = left;
	}
	return (int)wait;
}

static void run_timers(struct evloop *loop)
{
	/* fire one due timer at a time: a callback may stop or re-arm any timer */
	for (;;) {
		uint64_t now = evloop_now_ms();
		struct evloop_timer *due = NULL;
		for (struct evloop_timer *t = loop->timers; t; t = t->next)
			if (t->due_ms <= now && (!due || t->due_ms < due->due_ms))
				due = t;
		if (!due || loop->stop)
			return;
		evloop_timer_stop(loop, due);
		due->fn(loop, due->arg);
	}
}

static void finish_transfers(struct evloop *loop)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(loop->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			loop->on_done(msg->easy_handle, msg->data.result);
}

int evloop_run(struct evloop *loop)
{
	struct curl_waitfd *waits = NULL;
	size_t cap = 0;
	int running;
	while (!loop->stop) {
		size_t n = loop->n_watches;
		if (n > cap) {
			struct curl_waitfd *grown = realloc(waits, n * sizeof(*grown));
			if (!grown) {
				free(waits);
				return -1;
			}
			waits = grown;
			cap = n;
		}
		for (size_t i = 0; i < n; i++)
			waits[i] = (struct curl_waitfd){loop->watches[i].fd,
							(short)loop->watches[i].events, 0};
		CURLMcode mc =
		    curl_multi_poll(loop->multi, waits, (unsigned)n, next_timeout(loop), NULL);
		if (mc != CURLM_OK) {
			free(waits);
			return -1;
		}
		curl_multi_perform(loop->multi, &running);
		finish_transfers(loop);
		for (size_t i = 0; i < n && !loop->stop; i++) {
			if (waits[i].revents == 0)
				continue;
			/* the watch may have gone (or moved) in an earlier callback */
			for (size_t w = 0; w < loop->n_watches; w++) {
				if (loop->watches[w].fd == waits[i].fd) {
					struct evloop_watch watch = loop->watches[w];
					watch.fn(loop, watch.fd, waits[i].revents, watch.arg);
					break;
				}
			}
		}
		run_timers(loop);
		/* callbacks may have added transfers: start them before sleeping */
		curl_multi_perform(loop->multi, &running);
		finish_transfers(loop);
	}
	free(waits);
	return 0;
}
