/*
 * main.c — from argv and the environment to an exit code:
 *   personality (tini, dumb-init, envcp, tendctl... by argv[0]) -> options -> configuration
 *   -> loop, logger, system -> run -> exit code.
 * Nothing here runs after the loop starts except the final flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/graph.h"
#include "core/child.h"
#include "core/loop.h"
#include "log/log.h"
#include "modes/modes.h"
#include "options.h"
#include "setup.h"
#include "system.h"

/* Personalities linked in from tools/ (weak: a build without one still links). */
int envcp_main(int argc, char **argv) __attribute__((weak));
int tendctl_main(int argc, char **argv) __attribute__((weak));
int sdnotify_main(int argc, char **argv) __attribute__((weak));
int sdnotify_exec_main(int argc, char **argv) __attribute__((weak));

struct personality {
	const char *name;
	int (*main)(int argc, char **argv);
};

static int personality_main(const char *name, int argc, char **argv, bool *found)
{
	const struct personality table[] = {
	    {"tini", tini_main},	   {"docker-init", tini_main},
	    {"dumb-init", dumb_init_main}, {"envcp", envcp_main},
	    {"tendctl", tendctl_main},	   {"telchap", tendctl_main},
	    {"sdnotify", sdnotify_main},   {"sdnotify-exec", sdnotify_exec_main},
	    {"notify", sdnotify_main},	   {"notify-exec", sdnotify_exec_main},
	    {"ctl", tendctl_main},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(name, table[i].name) != 0)
			continue;
		*found = true;
		if (!table[i].main) {
			fprintf(stderr, "tend: '%s' is not available in this build\n", name);
			return EXIT_USAGE;
		}
		return table[i].main(argc, argv);
	}
	*found = false;
	return 0;
}

/* A container runtime may start us with 0, 1 or 2 closed: the next open() would land there
 * and a socket or log file would receive writes meant for stdout. */
static void ensure_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) < 0)
			return;
}

int main(int argc, char **argv)
{
	bool found;
	ensure_standard_fds();
	char *self = argv[0] ? argv[0] : "tend";
	const char *base = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
	/* `chaperone` is tend itself; every other known name is a personality. */
	if (strcmp(base, "tend") != 0 && strcmp(base, "chaperone") != 0) {
		int rc = personality_main(base, argc, argv, &found);
		if (found)
			return rc;
	}
	/* `tend tini ...`, `tend envcp ...`: the personality gets argv shifted by one. */
	if (argc > 1 && argv[1][0] != '-') {
		int rc = personality_main(argv[1], argc - 1, argv + 1, &found);
		if (found)
			return rc;
	}

	struct options options;
	char err[512];
	if (options_parse(&options, argc - 1, argv + 1, getenv("_CHAP_OPTIONS"), err, sizeof(err)) <
	    0) {
		fprintf(stderr, "tend: %s\n", err);
		fprintf(stderr, "Try 'tend --help' for the list of options.\n");
		return EXIT_USAGE;
	}
	if (options.help) {
		options_print_usage(stdout);
		return EXIT_OK;
	}
	if (options.version) {
		printf("tend version %s (chaperone-compatible init and process supervisor)\n",
		       TEND_VERSION);
		return EXIT_OK;
	}
	int rc = setup_and_run(&options);
	options_free(&options);
	return rc;
}
