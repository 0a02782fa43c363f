/*
 * child.h — starting, signalling and reaping processes. Every child tend starts goes
 * through child_spawn(), which gives it a clean signal mask and default dispositions, only
 * fds 0-2 (plus any the caller maps explicitly), and the user, groups, directory, process
 * group and environment asked for. Reaping is in one place: child_reap_all() is called on
 * SIGCHLD and hands each exit to whoever registered the pid; pids nobody registered are
 * orphans adopted by tend and are only counted.
 */
#ifndef TEND_CORE_CHILD_H
#define TEND_CORE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One fd to place in the child: dup2(from, to). from == -1 means "open /dev/null". */
struct child_fd_map {
	int from;
	int to;
};

enum child_pgrp {
	CHILD_PGRP_KEEP,   /* stay in tend's process group */
	CHILD_PGRP_NEW,	   /* setpgid(0, 0) */
	CHILD_PGRP_SESSION /* setsid() */
};

struct child_spec {
	const char *path; /* executable; if no '/', searched in the PATH of envp */
	char *const *argv;
	char *const *envp;     /* NULL: tend's own environ */
	const char *directory; /* NULL: tend's cwd */
	bool set_user;	       /* when true: setgroups/initgroups, setgid, setuid below */
	uid_t uid;
	gid_t gid;
	const char *user_name; /* for initgroups(); NULL: setgroups(0, NULL) */
	enum child_pgrp pgrp;
	const struct child_fd_map *fds; /* applied in order, after which fds >= 3 are closed */
	size_t nfds;
	bool keep_fds;		  /* do not close fds >= 3 beyond those mapped (tini modes) */
	const char **failed_step; /* if not NULL, set to "exec", "chdir", "setuid"... on error */
};

/* Start the child (vfork; fork when it switches users) and wait until it has exec'd.
 * Returns the pid, or -1 with errno set to the cause: a failure before or in exec reaches
 * the parent at once, so a missing executable is an immediate error (ENOENT, EACCES...)
 * rather than a child that exits 127. */
pid_t child_spawn(const struct child_spec *spec);

/* Called for a pid that was registered with child_watch(); status as from waitpid. */
typedef void child_exit_fn(pid_t pid, int status, void *arg);

/* The registry of known children. Fixed growth, no limit beyond memory. */
struct child_table;
struct child_table *child_table_new(void);
void child_table_free(struct child_table *table);
int child_watch(struct child_table *table, pid_t pid, child_exit_fn *fn, void *arg);
void child_unwatch(struct child_table *table, pid_t pid);
bool child_is_watched(const struct child_table *table, pid_t pid);
size_t child_table_count(const struct child_table *table);

/* Reap every exited child (waitpid(-1, WNOHANG) until nothing is left), dispatching known
 * pids. Returns how many were reaped. Orphans are added to *orphans_reaped. Sets
 * *no_children when waitpid reported ECHILD (tend has no children at all). */
size_t child_reap_all(struct child_table *table, unsigned long *orphans_reaped, bool *no_children);

/* 128+signal or the exit code, as shells and container runtimes report it. */
int child_status_code(int status);
/* "exit status 3", "killed by SIGKILL" ... into buf. */
const char *child_status_describe(int status, char *buf, size_t len);

/* Signal names both ways: "SIGTERM"/"TERM"/"15" -> 15; 15 -> "SIGTERM". -1 / NULL if unknown. */
int signal_from_name(const char *name);
const char *signal_name(int signo);

#endif
