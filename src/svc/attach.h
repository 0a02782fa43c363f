/*
 * attach.h — following a daemon that is not the process tend spawned: read from a pidfile
 * (simple, forking), given by MAINPID= (notify), or found as the orphaned children of a
 * forking launcher. The attached pid is watched through the child table when it is (or
 * becomes) tend's child, and through a pidfd otherwise, so its end is noticed either way.
 */
#ifndef TEND_SVC_ATTACH_H
#define TEND_SVC_ATTACH_H

#include <sys/types.h>

struct service;

enum attach_result { ATTACH_FOUND, ATTACH_WAITING, ATTACH_TIMED_OUT };

/* Start waiting for the pidfile: deadline = now + process_timeout. */
void attach_begin(struct service *svc);
/* Read the pidfile once; re-arms the service timer (20 ms doubling to 3 s) while waiting. */
enum attach_result attach_poll_pidfile(struct service *svc);
/* One step of a start that waits for the pidfile: up when found, a start failure naming the
 * pidfile at process_timeout, otherwise the timer is re-armed. */
void attach_wait_pidfile(struct service *svc);
int attach_pid(struct service *svc, pid_t pid);
void attach_release(struct service *svc);

#endif
