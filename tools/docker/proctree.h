/*
 * proctree.h — kill a process and all its descendants, after checking through /proc that the
 * pid really belongs to the container we ran it in (an exec's pid is in the daemon's pid
 * namespace, which may not be ours: the same number may be another process here).
 */
#ifndef TEND_DOCKER_PROCTREE_H
#define TEND_DOCKER_PROCTREE_H

#include <stddef.h>

/* Kill pid and its descendants with SIGKILL if /proc/<pid>/cgroup mentions container_id (the
 * full 64-hex id: cgroupfs and systemd drivers both put it in the path). Returns the number of
 * processes signalled. */
int proctree_kill(int pid, const char *container_id);

#endif
