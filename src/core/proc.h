/*
 * proc.h — reading the process table from /proc: one process's state, parent and group, and
 * a walk over every process. Used to adopt a forking service's daemon, to check a notify
 * sender's ancestry, and to find tend's descendants at shutdown in subreaper mode.
 */
#ifndef TEND_CORE_PROC_H
#define TEND_CORE_PROC_H

#include <sys/types.h>

struct proc_stat {
	pid_t pid;
	char state; /* 'R', 'S', 'Z'... */
	pid_t ppid;
	pid_t pgrp;
};

/* 0, or -1 when the process is gone (or /proc is not mounted). */
int proc_stat_read(pid_t pid, struct proc_stat *stat);

/* Calls visit for every process in /proc; a non-zero return stops the walk. */
typedef int proc_visit_fn(const struct proc_stat *stat, void *arg);
int proc_for_each(proc_visit_fn *visit, void *arg);

#endif
