/*
 * proc.c — /proc/PID/stat parsing (see proc.h). The command name in the second field may
 * contain anything, spaces and ')' included, so the fields are read after the last ')'.
 */
#include "core/proc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proc_stat_read(pid_t pid, struct proc_stat *stat)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	int ppid, pgrp;
	if (!paren || sscanf(paren + 1, " %c %d %d", &stat->state, &ppid, &pgrp) != 3)
		return -1;
	stat->pid = pid;
	stat->ppid = (pid_t)ppid;
	stat->pgrp = (pid_t)pgrp;
	return 0;
}

int proc_for_each(proc_visit_fn *visit, void *arg)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return -1;
	struct dirent *d;
	int rc = 0;
	while (rc == 0 && (d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		struct proc_stat stat;
		if (*end || pid <= 0 || proc_stat_read((pid_t)pid, &stat) < 0)
			continue;
		rc = visit(&stat, arg);
	}
	closedir(dir);
	return 0;
}
