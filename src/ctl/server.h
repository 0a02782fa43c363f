/*
 * server.h — the control face's insides, shared by server.c (the socket, the FIFO, the
 * connections), exec.c (what each command does) and ops.c (commands that finish later:
 * --wait, start --force, restart, stop --disable). Not for other layers: they only see
 * ctl_server_start/stop (called from src/faces.c).
 */
#ifndef TEND_CTL_SERVER_H
#define TEND_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/loop.h"
#include "ctl/buf.h"
#include "ctl/command.h"

struct system;
struct service;
struct logring;
struct ctl_op;

#define CTL_MAX_CONNECTIONS  32
#define CTL_READ_TIMEOUT_MS  5000	  /* the whole command must arrive within this */
#define CTL_WRITE_TIMEOUT_MS 30000	  /* a reader that stops reading is dropped */
#define CTL_QUIET_MS	     100	  /* telchap sends no newline: a pause ends the command */
#define CTL_REPLY_LIMIT	     (4u << 20)	  /* replies (status of many services, logs) */
#define CTL_FOLLOW_LIMIT     (256u << 10) /* what a slow `logs -f` reader may have pending */
#define CTL_WAIT_TIMEOUT_MS  300000	  /* --wait gives up after this */

enum ctl_reply_kind { CTL_RESULT, CTL_COMMAND_ERROR, CTL_EXCEPTION };

enum ctl_conn_phase { CONN_READING, CONN_WAITING, CONN_WRITING, CONN_FOLLOWING };

struct ctl_conn {
	struct ctl_server *server;
	struct ctl_conn *next;
	int fd;
	enum ctl_conn_phase phase;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool privileged; /* may run every command (else: read-only ones) */
	char in[CTL_LINE_MAX + 2];
	size_t in_len;
	bool in_eof;
	struct ctl_buf out;
	struct loop_timer timer;
	struct ctl_op *op;   /* the command it waits for (CONN_WAITING) */
	char **follow_names; /* logs -f filter (owned copies) */
	size_t nfollow;
	unsigned long dropped; /* logs -f lines dropped for a slow reader */
};

struct ctl_server {
	struct system *system;
	struct loop *loop;
	int listen_fd;
	char *socket_path;
	dev_t socket_dev;
	ino_t socket_ino;
	int fifo_fd;
	char *fifo_path;
	char fifo_buf[CTL_LINE_MAX + 2];
	size_t fifo_len;
	bool fifo_discarding; /* inside an over-long line: skip to the next newline */
	uid_t owner_uid;
	gid_t group_gid;
	bool has_group;
	bool readonly_world;
	struct ctl_conn *conns;
	size_t nconns;
	unsigned long refused; /* connections turned away (limit, credentials) */
	struct ctl_op *ops;
	struct ctl_conn *reload_conn; /* waiting for a reload to finish */
	bool reloading;
	bool ops_busy; /* ctl_ops_progress is running (it re-enters through system events) */
	bool ops_again;
	struct logring *ring;
	size_t nfollowing; /* connections streaming `logs -f`: the ring tells us only then */
	struct loop_timer shutdown_timer;
	struct loop_timer sweep_timer; /* frees closed connections outside their callbacks */
	struct ctl_conn *dead;
};

/* fifo.c: chaperone's command FIFO. */
struct settings_conf;
void ctl_fifo_open(struct ctl_server *server, const struct settings_conf *settings);
void ctl_fifo_close(struct ctl_server *server);
/* server.c: remove a path only if it is still the file we created. */
void ctl_unlink_if_ours(const char *path, dev_t dev, ino_t ino);

/* exec.c: run one parsed command. conn is NULL for the FIFO (no reply, no waiting). */
void ctl_execute(struct ctl_server *server, struct ctl_conn *conn, const struct ctl_command *cmd);

/* server.c: finish a connection with a reply (then it is written out and closed). */
void ctl_conn_reply(struct ctl_conn *conn, enum ctl_reply_kind kind, const char *text);
void ctl_conn_reply_buf(struct ctl_conn *conn, enum ctl_reply_kind kind, struct ctl_buf *text);
/* Start streaming: "RESULT\n" then whatever is queued with ctl_conn_stream(). */
void ctl_conn_follow(struct ctl_conn *conn, char *const *names, size_t nnames);
void ctl_conn_stream(struct ctl_conn *conn, const char *text, size_t len);

/* ops.c: a command whose effect completes later. */
enum ctl_op_step {
	OP_STEP_DONE,
	OP_STEP_STOP_THEN_START, /* wait until stopped, then request a start */
	OP_STEP_WAIT_STARTED,
	OP_STEP_WAIT_STOPPED
};
struct ctl_op *ctl_op_new(struct ctl_server *server, struct ctl_conn *conn, enum ctl_verb verb,
			  unsigned options, struct service *const *services, size_t n,
			  enum ctl_op_step first_step);
/* Re-examine every op (called on every service change). */
void ctl_ops_progress(struct ctl_server *server);
/* The connection went away: the op goes on without anyone to reply to. */
void ctl_op_forget_conn(struct ctl_op *op);
/* Drop every op (reload, shutdown): waiting connections get `why`. */
void ctl_ops_cancel(struct ctl_server *server, const char *why);
void ctl_ops_free(struct ctl_server *server);

/* src/system_reload.c (weak here: a build without it has no reload). */
typedef void system_reload_done_fn(void *arg, int rc, const char *summary);
int system_reload(struct system *system, system_reload_done_fn *done, void *arg, char *err,
		  size_t len) __attribute__((weak));
int system_reload_prepare(struct system *system) __attribute__((weak));
void system_reload_release(struct system *system) __attribute__((weak));

#endif
