/*
 * evloop.h — tend-docker's event loop: libcurl's multi interface (curl_multi_poll) waiting on
 * every transfer at once, plus extra fds (signalfd, %host children's pipes and pidfds) and
 * one-shot timers. Single-threaded; callbacks run to completion and never block.
 *
 * tend-docker keeps its own small loop rather than core/loop.c so that the init's loop never
 * has to know about libcurl, and this binary stays independent of the init's internals.
 */
#ifndef TEND_DOCKER_EVLOOP_H
#define TEND_DOCKER_EVLOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

struct evloop;

typedef void evloop_fd_fn(struct evloop *loop, int fd, short revents, void *arg);
typedef void evloop_timer_fn(struct evloop *loop, void *arg);
/* Called for each finished transfer (CURLMSG_DONE); the handle is still in the multi. */
typedef void evloop_done_fn(CURL *easy, CURLcode result);

/* A timer lives inside its owner: arming never allocates. */
struct evloop_timer {
	uint64_t due_ms;
	bool armed;
	evloop_timer_fn *fn;
	void *arg;
	struct evloop_timer *next;
};

struct evloop *evloop_new(evloop_done_fn *on_done);
void evloop_free(struct evloop *loop);
CURLM *evloop_multi(struct evloop *loop);

/* Watch fd for POLLIN/POLLOUT (events); the fd must be non-blocking. */
int evloop_add_fd(struct evloop *loop, int fd, short events, evloop_fd_fn *fn, void *arg);
void evloop_del_fd(struct evloop *loop, int fd);

void evloop_timer_init(struct evloop_timer *timer, evloop_timer_fn *fn, void *arg);
void evloop_timer_start(struct evloop *loop, struct evloop_timer *timer, uint64_t delay_ms);
void evloop_timer_stop(struct evloop *loop, struct evloop_timer *timer);

/* Run until evloop_stop. 0, or -1 if curl_multi_poll failed. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);
/* Make a transfer progress soon (after adding a handle outside the loop's own callbacks). */
void evloop_kick(struct evloop *loop);

uint64_t evloop_now_ms(void);

#endif
