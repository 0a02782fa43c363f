/*
 * options.c — parse tend-docker's command line (see options.h and the usage text below).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: tend-docker [options]\n"
    "Runs the scripts containers publish in /contrainer/ on the targets and Docker events\n"
    "their headers name (see docs/docker-controller.md).\n"
    "  --docker-host URL     unix:///path of the Engine socket (default: $DOCKER_HOST,\n"
    "                        else unix:///var/run/docker.sock)\n"
    "  --script-dir DIR      where containers publish scripts (default /contrainer)\n"
    "  --self NAME|ID        the container tend-docker acts as for %contrainer\n"
    "                        (default: detected from /proc/self/mountinfo)\n"
    "  --host-pid PID        enable %host: run host scripts in the namespaces of PID\n"
    "  --host-proc DIR       the host's /proc as mounted here (default /proc)\n"
    "  --allow-label K[=V]   only containers with this label may target %host or %all\n"
    "  --timeout SEC         per run of a dispatched script (default 60, 0: none)\n"
    "  --script-timeout SEC  per run of a registration script (default 30, 0: none)\n"
    "  --jobs N              runs in flight at once (default 8)\n"
    "  --max-queue N         queued runs before new ones are dropped (default 1000)\n"
    "  --output-limit BYTES  output kept per stream and run (default 4096)\n"
    "  --max-script-size B   largest registration output accepted (default 65536)\n"
    "  --max-scripts N       scripts per container (default 64)\n"
    "  --dry-run             report what would run where, run nothing but registration\n"
    "  --help, --version\n";

static int parse_number(const char *name, const char *text, unsigned long long max,
			unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max) {
		fprintf(stderr, "tend-docker: %s: invalid number '%s'\n", name, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_docker_host(const char *value, struct options *opt)
{
	const char *path = value;
	if (strncmp(value, "unix://", 7) == 0)
		path = value + 7;
	else if (strstr(value, "://")) {
		fprintf(stderr, "tend-docker: DOCKER_HOST %s: only unix:// sockets are supported\n",
			value);
		return -1;
	}
	if (path[0] != '/' || strlen(path) >= sizeof(opt->socket_path)) {
		fprintf(stderr, "tend-docker: DOCKER_HOST %s: need an absolute socket path\n",
			value);
		return -1;
	}
	snprintf(opt->socket_path, sizeof(opt->socket_path), "%s", path);
	return 0;
}

/* The directory goes into a shell command: keep it to characters that need no quoting. */
static bool script_dir_valid(const char *dir)
{
	size_t n = strlen(dir);
	return dir[0] == '/' && n > 1 && n < 200 && dir[n - 1] != '/' &&
	       strspn(dir, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") ==
		   n;
}

int options_parse(int argc, char **argv, struct options *opt)
{
	enum {
		O_HOST = 256,
		O_DIR,
		O_SELF,
		O_HPID,
		O_HPROC,
		O_LABEL,
		O_TIMEOUT,
		O_STIMEOUT,
		O_JOBS,
		O_QUEUE,
		O_OUTPUT,
		O_SSIZE,
		O_SCRIPTS,
		O_DRY,
		O_HELP,
		O_VERSION
	};
	static const struct option longs[] = {
	    {"docker-host", required_argument, NULL, O_HOST},
	    {"script-dir", required_argument, NULL, O_DIR},
	    {"self", required_argument, NULL, O_SELF},
	    {"host-pid", required_argument, NULL, O_HPID},
	    {"host-proc", required_argument, NULL, O_HPROC},
	    {"allow-label", required_argument, NULL, O_LABEL},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"script-timeout", required_argument, NULL, O_STIMEOUT},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"max-queue", required_argument, NULL, O_QUEUE},
	    {"output-limit", required_argument, NULL, O_OUTPUT},
	    {"max-script-size", required_argument, NULL, O_SSIZE},
	    {"max-scripts", required_argument, NULL, O_SCRIPTS},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"help", no_argument, NULL, O_HELP},
	    {"version", no_argument, NULL, O_VERSION},
	    {NULL, 0, NULL, 0},
	};
	*opt = (struct options){
	    .script_dir = "/contrainer",
	    .host_proc = "/proc",
	    .timeout_ms = 60000,
	    .script_timeout_ms = 30000,
	    .jobs = 8,
	    .max_queue = 1000,
	    .output_limit = 4096,
	    .max_script_size = 65536,
	    .max_scripts = 64,
	};
	const char *env_host = getenv("DOCKER_HOST");
	const char *docker_host =
	    env_host && env_host[0] ? env_host : "unix:///var/run/docker.sock";
	int c;
	unsigned long long v = 0;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case O_HOST:
			docker_host = optarg;
			break;
		case O_DIR:
			opt->script_dir = optarg;
			break;
		case O_SELF:
			opt->self = optarg;
			break;
		case O_HPID:
			rc = parse_number("--host-pid", optarg, 0x3fffffff, &v);
			opt->host_pid = (int)v;
			break;
		case O_HPROC:
			opt->host_proc = optarg;
			break;
		case O_LABEL:
			opt->allow_label = optarg;
			break;
		case O_TIMEOUT:
		case O_STIMEOUT:
			rc = parse_number(c == O_TIMEOUT ? "--timeout" : "--script-timeout", optarg,
					  86400 * 7, &v);
			*(c == O_TIMEOUT ? &opt->timeout_ms : &opt->script_timeout_ms) = v * 1000;
			break;
		case O_JOBS:
			rc = parse_number("--jobs", optarg, 1024, &v);
			opt->jobs = (size_t)v;
			break;
		case O_QUEUE:
			rc = parse_number("--max-queue", optarg, 1000000, &v);
			opt->max_queue = (size_t)v;
			break;
		case O_OUTPUT:
			rc = parse_number("--output-limit", optarg, 16u << 20, &v);
			opt->output_limit = (size_t)v;
			break;
		case O_SSIZE:
			/* the body becomes one argv string: Linux caps those at 128 KiB */
			rc = parse_number("--max-script-size", optarg, 128u << 10, &v);
			opt->max_script_size = (size_t)v;
			break;
		case O_SCRIPTS:
			rc = parse_number("--max-scripts", optarg, 4096, &v);
			opt->max_scripts = (size_t)v;
			break;
		case O_DRY:
			opt->dry_run = true;
			break;
		case O_HELP:
			fputs(usage, stdout);
			return 1;
		case O_VERSION:
			printf("tend-docker %s\n", TEND_VERSION);
			return 1;
		default:
			fputs(usage, stderr);
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "tend-docker: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	if (!script_dir_valid(opt->script_dir)) {
		fprintf(stderr,
			"tend-docker: --script-dir %s: need an absolute path of letters, "
			"digits and _ . - /, without a trailing /\n",
			opt->script_dir);
		return -1;
	}
	if (opt->jobs == 0 || opt->max_scripts == 0 || opt->max_script_size == 0) {
		fprintf(stderr,
			"tend-docker: --jobs, --max-scripts and --max-script-size must be > 0\n");
		return -1;
	}
	return parse_docker_host(docker_host, opt);
}
