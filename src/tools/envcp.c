/*
 * envcp.c — chaperone's envcp: copy text files, expanding $(VAR) expressions with the
 * current environment as they are copied, so that a directory of templates becomes a
 * configuration at container start (`tend envcp ...`, or tend invoked as `envcp`).
 *
 *	envcp [options] FILE... DEST     into a directory, or FILE to a single DEST file
 *	envcp [options] -                stdin to stdout
 *
 * Same options and messages as chaperone's exec/envcp.py. Differences (docs/compat.md):
 * --strip removes a suffix (chaperone's rstrip removed any trailing characters of the set),
 * an unwritable destination directory stops with an error, and errors go to stderr.
 * Exit status: 0 when every file was copied, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/backtick.h"
#include "conf/env.h"
#include "conf/expand.h"
#include "tools/tools.h"

/* envcp is a command-line tool, not PID 1: a template's commands may take their time. */
#define ENVCP_BACKTICK_TIMEOUT_MS 60000
#define ENVCP_BACKTICK_MAX_OUTPUT (1u << 20)

static const char envcp_usage[] =
    "Copy text files and expand environment variables as you copy.\n"
    "\n"
    "Usage:\n"
    "    envcp [options] FILE ...\n"
    "\n"
    "Options:\n"
    "        --strip suffix      If the destination is a directory, strip \"suffix\"\n"
    "                            off source files.\n"
    "        --overwrite         Overwrite destination files rather than exiting\n"
    "                            with an error.\n"
    "        -v --verbose        Display progress.\n"
    "        -a --archive        Preserve permissions when copying.\n"
    "        --shell-enable      Enable shell escapes using backticks, as in $(`ls`)\n"
    "        --xprefix char      The leading string to identify a variable.  Defaults to '$'\n"
    "        --xgrouping chars   Grouping types which are recognized, defaults to '({'\n"
    "\n"
    "Copies a file to a destination file (two arguments), or any number of files to a "
    "destination\n"
    "directory.  As files are copied, environment variables will be expanded.   If the "
    "destination\n"
    "is a directory, then --strip can be used to specify a file suffix to be stripped off.\n"
    "\n"
    "Formats allowed: are $(ENV) or ${ENV}.  The bareword $ENV is not recognized.\n";

struct envcp {
	const char *strip;
	bool overwrite;
	bool verbose;
	bool archive;
	bool shell_enable;
	struct expand_syntax syntax;
	struct expand_options options;
	struct env *env;
};

static int envcp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int envcp_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static void envcp_backtick_failed(void *arg, const char *command, const char *message)
{
	(void)arg;
	fprintf(stderr, "warning: backtick expansion of `%s` failed: %s\n", command, message);
}

/* The whole of fd, NUL-terminated. */
static char *envcp_read_all(int fd, size_t *len_out)
{
	size_t len = 0, cap = 8192;
	char *data = malloc(cap);
	if (!data)
		return NULL;
	for (;;) {
		if (len + 1 == cap) {
			char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(data, cap * 2);
			if (!grown) {
				free(data);
				errno = ENOMEM;
				return NULL;
			}
			data = grown;
			cap *= 2;
		}
		ssize_t n = read(fd, data + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(data);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = '\0';
	if (len_out)
		*len_out = len;
	return data;
}

static int envcp_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Expands one text; prints the error and returns NULL when an expression fails. */
static char *envcp_expand(struct envcp *cp, const char *text, const char *where)
{
	char *error = NULL;
	char *expanded = expand_text(cp->env, text, &cp->options, &error);
	if (!expanded) {
		envcp_error("%s: %s", where, error ? error : "out of memory");
		free(error);
	}
	return expanded;
}

static int envcp_stdin(struct envcp *cp)
{
	char *text = envcp_read_all(STDIN_FILENO, NULL);
	if (!text)
		return envcp_error("cannot read standard input: %s", strerror(errno));
	char *expanded = envcp_expand(cp, text, "<stdin>");
	free(text);
	if (!expanded)
		return 1;
	int rc = envcp_write_all(STDOUT_FILENO, expanded, strlen(expanded));
	free(expanded);
	if (rc < 0)
		return envcp_error("cannot write standard output: %s", strerror(errno));
	return 0;
}

/* chaperone's --archive: owner, group, mode and times, each as far as permitted. */
static void envcp_archive(const char *dest, const struct stat *st)
{
	if (chown(dest, st->st_uid, st->st_gid) < 0) {
		if (chown(dest, st->st_uid, (gid_t)-1) < 0) {
			/* not permitted: keep ours */
		}
		if (chown(dest, (uid_t)-1, st->st_gid) < 0) {
			/* not permitted: keep ours */
		}
	}
	if (chmod(dest, st->st_mode & 07777) < 0) {
		/* not permitted: keep ours */
	}
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (utimensat(AT_FDCWD, dest, times, 0) < 0) {
		/* not permitted: keep ours */
	}
}

static int envcp_copy(struct envcp *cp, const char *source, const char *dest)
{
	int in = open(source, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return envcp_error("cannot open input file %s: %s", source, strerror(errno));
	struct stat st;
	if (fstat(in, &st) < 0) {
		close(in);
		return envcp_error("cannot open input file %s: %s", source, strerror(errno));
	}
	char *text = envcp_read_all(in, NULL);
	int read_errno = errno;
	close(in);
	if (!text)
		return envcp_error("cannot read input file %s: %s", source, strerror(read_errno));
	char *expanded = envcp_expand(cp, text, source);
	free(text);
	if (!expanded)
		return 1;

	int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (out < 0) {
		free(expanded);
		return envcp_error("cannot open output file %s: %s", dest, strerror(errno));
	}
	int rc = envcp_write_all(out, expanded, strlen(expanded));
	int write_errno = errno;
	free(expanded);
	if (close(out) < 0 && rc == 0) {
		rc = -1;
		write_errno = errno;
	}
	if (rc < 0)
		return envcp_error("cannot write output file %s: %s", dest, strerror(write_errno));
	if (cp->archive)
		envcp_archive(dest, &st);
	if (cp->verbose)
		printf("envcp %s %s\n", source, dest);
	return 0;
}

static const char *envcp_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The destination name inside a directory: the source's base name, less the --strip
 * suffix when it ends with it. malloc'd. */
static char *envcp_dest_in_dir(const struct envcp *cp, const char *dir, const char *source)
{
	const char *base = envcp_basename(source);
	size_t len = strlen(base);
	if (cp->strip && *cp->strip) {
		size_t suffix = strlen(cp->strip);
		if (suffix < len && strcmp(base + len - suffix, cp->strip) == 0)
			len -= suffix;
	}
	char *dest = NULL;
	if (asprintf(&dest, "%s/%.*s", dir, (int)len, base) < 0)
		return NULL;
	return dest;
}

static int envcp_files(struct envcp *cp, char **files, int count)
{
	const char *last = files[count - 1];
	struct stat st;
	bool to_dir = stat(last, &st) == 0 && S_ISDIR(st.st_mode);
	int nsources = count - 1;
	char **dests = calloc((size_t)nsources, sizeof(*dests));
	if (!dests)
		return envcp_error("out of memory");

	int rc = 0;
	if (to_dir) {
		if (access(last, W_OK | X_OK) < 0)
			rc = envcp_error("directory %s exists but is not writable", last);
		for (int i = 0; rc == 0 && i < nsources; i++) {
			dests[i] = envcp_dest_in_dir(cp, last, files[i]);
			if (!dests[i])
				rc = envcp_error("out of memory");
		}
	} else if (count != 2) {
		rc = envcp_error("destination is not a directory and more than 2 files specified");
	} else {
		dests[0] = strdup(last);
		if (!dests[0])
			rc = envcp_error("out of memory");
	}
	/* Nothing is written unless every destination may be and every source is readable. */
	for (int i = 0; rc == 0 && i < nsources; i++)
		if (!cp->overwrite && access(dests[i], F_OK) == 0)
			rc = envcp_error("file %s exists, won't overwrite", dests[i]);
	for (int i = 0; rc == 0 && i < nsources; i++) {
		if (access(files[i], F_OK) < 0)
			rc = envcp_error("file does not exist, %s", files[i]);
		else if (access(files[i], R_OK) < 0)
			rc = envcp_error("file is not readable, %s", files[i]);
	}
	for (int i = 0; rc == 0 && i < nsources; i++)
		rc = envcp_copy(cp, files[i], dests[i]);

	for (int i = 0; i < nsources; i++)
		free(dests[i]);
	free(dests);
	return rc;
}

enum {
	OPT_STRIP = 256,
	OPT_OVERWRITE,
	OPT_SHELL,
	OPT_XPREFIX,
	OPT_XGROUPING,
	OPT_HELP,
	OPT_VERSION
};

static int envcp_parse(struct envcp *cp, int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"strip", required_argument, NULL, OPT_STRIP},
	    {"overwrite", no_argument, NULL, OPT_OVERWRITE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"archive", no_argument, NULL, 'a'},
	    {"shell-enable", no_argument, NULL, OPT_SHELL},
	    {"xprefix", required_argument, NULL, OPT_XPREFIX},
	    {"xgrouping", required_argument, NULL, OPT_XGROUPING},
	    {"help", no_argument, NULL, OPT_HELP},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	optind = 0; /* GNU: start afresh even if tend parsed its own options before */
	opterr = 1;
	int c;
	while ((c = getopt_long(argc, argv, "va", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_STRIP:
			cp->strip = optarg;
			break;
		case OPT_OVERWRITE:
			cp->overwrite = true;
			break;
		case 'v':
			cp->verbose = true;
			break;
		case 'a':
			cp->archive = true;
			break;
		case OPT_SHELL:
			cp->shell_enable = true;
			break;
		case OPT_XPREFIX:
			cp->syntax.prefix = optarg;
			break;
		case OPT_XGROUPING:
			for (const char *p = optarg; *p; p++)
				if (!strchr("{([", *p))
					return envcp_error(
					    "--xgrouping can accept one or more of "
					    "'{', '[', or '(' only.  Not this: '%s'.",
					    optarg);
			if (*optarg)
				cp->syntax.openers = optarg;
			break;
		case OPT_HELP:
			fputs(envcp_usage, stdout);
			return -1;
		case OPT_VERSION:
			printf("envcp (tend) %s\n", TEND_VERSION);
			return -1;
		default:
			fputs(envcp_usage, stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fputs(envcp_usage, stderr);
		return 1;
	}
	if (!*cp->syntax.prefix)
		cp->syntax.prefix = "$"; /* as chaperone: an empty prefix means the default */
	return 0;
}

int envcp_main(int argc, char **argv)
{
	extern char **environ;
	struct envcp cp = {0};
	cp.syntax.prefix = "$";
	cp.syntax.openers = "({";

	/* Options may come before or after the files (as docopt allows), not after "--". */
	int rc = envcp_parse(&cp, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	char **files = argv + optind;
	int count = argc - optind;

	struct backtick_shell shell = {ENVCP_BACKTICK_TIMEOUT_MS, ENVCP_BACKTICK_MAX_OUTPUT, NULL,
				       NULL};
	struct backtick *backtick = NULL;
	if (cp.shell_enable) {
		backtick = backtick_new(backtick_shell_run, &shell);
		if (!backtick)
			return envcp_error("out of memory");
		backtick_set_cache(backtick, false); /* as chaperone's envcp */
		backtick_on_error(backtick, envcp_backtick_failed, NULL);
	}
	cp.options.syntax = &cp.syntax;
	cp.options.backtick = backtick;
	cp.env = env_from_environ(environ);
	if (!cp.env) {
		backtick_free(backtick);
		return envcp_error("out of memory");
	}

	bool has_stdin = false;
	for (int i = 0; i < count; i++)
		if (strcmp(files[i], "-") == 0)
			has_stdin = true;
	if (has_stdin && count > 1)
		rc = envcp_error("'-' for stdin/stdout cannot be combined with other filename "
				 "arguments");
	else if (has_stdin)
		rc = envcp_stdin(&cp);
	else if (count < 2)
		rc = envcp_error("must include two or more filename arguments");
	else
		rc = envcp_files(&cp, files, count);

	env_free(cp.env);
	backtick_free(backtick);
	return rc;
}
