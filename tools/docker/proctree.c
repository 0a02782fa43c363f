/*
 * proctree.c — see proctree.h. Descendants are found through /proc/<pid>/task/<tid>/children;
 * the walk is bounded, and the root is stopped first so that it cannot fork more meanwhile.
 */
#include "proctree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCTREE_MAX 256

static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

static size_t add_children(int pid, int *pids, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *dir = opendir(path);
	if (!dir)
		return n;
	struct dirent *entry;
	while ((entry = readdir(dir)) && n < PROCTREE_MAX) {
		if (entry->d_name[0] == '.')
			continue;
		char file[96], text[4096];
		snprintf(file, sizeof(file), "/proc/%d/task/%s/children", pid, entry->d_name);
		ssize_t len = read_small(file, text, sizeof(text) - 1);
		if (len <= 0)
			continue;
		text[len] = '\0';
		char *save = NULL;
		for (char *tok = strtok_r(text, " \n", &save); tok && n < PROCTREE_MAX;
		     tok = strtok_r(NULL, " \n", &save))
			pids[n++] = atoi(tok);
	}
	closedir(dir);
	return n;
}

int proctree_kill(int pid, const char *container_id)
{
	if (pid <= 1 || strlen(container_id) < 12)
		return 0;
	char path[64], text[8192];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	ssize_t len = read_small(path, text, sizeof(text) - 1);
	if (len <= 0)
		return 0;
	text[len] = '\0';
	if (!strstr(text, container_id))
		return 0; /* not visible from here, or not that container's */
	if (kill(pid, SIGSTOP) < 0)
		return 0;
	int pids[PROCTREE_MAX];
	size_t n = 0;
	pids[n++] = pid;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			kill(pids[i], SIGSTOP);
		n = add_children(pids[i], pids, n);
	}
	int killed = 0;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], SIGKILL) == 0)
			killed++;
	return killed;
}
