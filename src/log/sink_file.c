/*
 * sink_file.c — file outputs: the strftime-expanded name, missing parent directories
 * (0755, or 0775 when a group is given, owned by uid/gid as chaperone does), reopening when
 * the name's expansion changes or the file was renamed or deleted (logrotate), and tend's own
 * size-based rotation (name -> name.1 -> ... -> name.N).
 *
 * The rename check costs one stat() at most every SINK_REOPEN_CHECK_MS, made when writing:
 * lines written in between go to the renamed file, so with logrotate's default (rename,
 * then signal nobody) every line ends up in exactly one of the two files.
 */
#include "log/sink_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/logger_internal.h"

static char *expand_name(const char *template)
{
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm))
		return strdup(template);
	char name[PATH_MAX];
	size_t len = strftime(name, sizeof(name), template, &tm);
	if (len == 0)
		return strdup(template); /* empty or too long: use it as written */
	return strdup(name);
}

static bool owner_given(const struct sink *sink)
{
	return sink->file.uid != (uid_t)-1 || sink->file.gid != (gid_t)-1;
}

static void make_parents(const struct sink *sink, const char *path)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(dir))
		return;
	memcpy(dir, path, len + 1);
	mode_t mode = sink->file.gid != (gid_t)-1 ? 0775 : 0755;
	for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, mode) == 0) {
			/* As chaperone: the mode is meant, not filtered by tend's umask. Failures
			 * are not fatal: the file itself is what matters. */
			if (chmod(dir, mode) < 0 ||
			    (owner_given(sink) && chown(dir, sink->file.uid, sink->file.gid) < 0)) {
			}
		}
		*slash = '/';
	}
}

int sink_file_open(struct sink *sink)
{
	char *path = expand_name(sink->file_template);
	if (!path)
		return -1;
	free(sink->path);
	sink->path = path;
	make_parents(sink, path);
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	flags |= sink->file.overwrite ? O_TRUNC : O_APPEND;
	mode_t mode = sink->file.gid != (gid_t)-1 ? 0664 : 0644;
	int fd = open(path, flags, mode);
	if (fd < 0)
		return -1;
	/* A file tend creates for a gid gets group write whatever the umask (chaperone's 0664). */
	if (sink->file.gid != (gid_t)-1)
		(void)!fchmod(fd, mode);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (owner_given(sink) && fchown(fd, sink->file.uid, sink->file.gid) < 0) {
		/* chaperone would fail here only when not root; tend keeps logging */
	}
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = fd;
	sink->dev = st.st_dev;
	sink->ino = st.st_ino;
	sink->size = sink->file.overwrite ? 0 : st.st_size;
	sink->pollable = !S_ISREG(st.st_mode);
	sink->next_check_ms = loop_now_ms() + SINK_REOPEN_CHECK_MS;
	return 0;
}

void sink_file_close(struct sink *sink)
{
	sink_unwatch(sink);
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
}

static void reopen(struct sink *sink)
{
	sink_file_close(sink);
	if (sink_file_open(sink) < 0)
		sink_fail(sink, errno);
}

void sink_file_check(struct sink *sink)
{
	uint64_t now = loop_now_ms();
	if (now < sink->next_check_ms)
		return;
	sink->next_check_ms = now + SINK_REOPEN_CHECK_MS;
	char *name = expand_name(sink->file_template);
	bool renamed = name && sink->path && strcmp(name, sink->path) != 0;
	free(name);
	struct stat st;
	if (renamed || !sink->path || stat(sink->path, &st) < 0 || st.st_dev != sink->dev ||
	    st.st_ino != sink->ino)
		reopen(sink);
}

static void rotate(struct sink *sink)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	sink_file_close(sink);
	if (sink->file.rotate_keep <= 0) {
		unlink(sink->path);
	} else {
		for (int i = sink->file.rotate_keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%d", sink->path, i);
			snprintf(to, sizeof(to), "%s.%d", sink->path, i + 1);
			rename(from, to); /* missing ones are simply not there yet */
		}
		snprintf(to, sizeof(to), "%s.1", sink->path);
		rename(sink->path, to);
	}
	bool overwrite = sink->file.overwrite;
	sink->file.overwrite = false;
	if (sink_file_open(sink) < 0)
		sink_fail(sink, errno);
	sink->file.overwrite = overwrite;
}

static size_t whole_lines(const char *data, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (data[i - 1] == '\n')
			return i;
	return 0;
}

size_t sink_file_room(struct sink *sink, const char *data, size_t n)
{
	long limit = sink->file.rotate_size;
	if (limit <= 0)
		return n;
	if (sink->size > 0 && sink->size + (off_t)n > (off_t)limit) {
		size_t room = sink->size < (off_t)limit ? (size_t)((off_t)limit - sink->size) : 0;
		size_t fits = whole_lines(data, room < n ? room : n);
		if (fits > 0)
			return fits;
		rotate(sink);
		if (sink->fd < 0)
			return 0;
	}
	if ((off_t)n <= (off_t)limit)
		return n;
	/* A fresh file: as many whole lines as fit, or one over-long line whole. */
	size_t fits = whole_lines(data, (size_t)limit);
	if (fits > 0)
		return fits;
	const char *newline = memchr(data, '\n', n);
	return newline ? (size_t)(newline - data) + 1 : n;
}

void sink_file_wrote(struct sink *sink, size_t n)
{
	sink->size += (off_t)n;
}
