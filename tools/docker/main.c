/*
 * main.c — tend-docker, the Docker events controller: options -> event loop -> Engine
 * (negotiated API version) -> controller (catch-up, then the event stream) -> run until
 * SIGTERM/SIGINT. See docs/docker-controller.md.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "controller.h"
#include "dispatch.h"
#include "engine.h"
#include "evloop.h"
#include "http.h"
#include "options.h"
#include "report.h"

struct app {
	struct options opt;
	struct evloop *loop;
	struct engine *engine;
	struct controller *controller;
	struct dispatch *dispatch;
	struct evloop_timer retry;
	uint64_t retry_ms;
	bool stopping;
};

static void negotiate(struct app *app);

static void on_ready(void *arg, const char *error)
{
	struct app *app = arg;
	if (app->stopping)
		return;
	if (error) {
		report_text("cannot reach the Engine at %s: %s; retrying in %llu ms",
			    app->opt.socket_path, error, (unsigned long long)app->retry_ms);
		evloop_timer_start(app->loop, &app->retry, app->retry_ms);
		app->retry_ms = app->retry_ms * 2 > 30000 ? 30000 : app->retry_ms * 2;
		return;
	}
	report_text("connected to %s, API %s%s", app->opt.socket_path,
		    engine_api_version(app->engine), app->opt.dry_run ? " (dry run)" : "");
	controller_start(app->controller);
}

static void negotiate(struct app *app)
{
	if (engine_negotiate(app->engine, on_ready, app) < 0)
		on_ready(app, "out of memory");
}

static void on_retry(struct evloop *loop, void *arg)
{
	negotiate(arg);
}

static void on_signal(struct evloop *loop, int fd, short revents, void *arg)
{
	struct signalfd_siginfo info;
	ssize_t n = read(fd, &info, sizeof(info));
	if (n != (ssize_t)sizeof(info))
		return;
	report_text("stopping on signal %u", info.ssi_signo);
	evloop_stop(loop);
}

static int signals_setup(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct app app = {.retry_ms = 500};
	int rc = options_parse(argc, argv, &app.opt);
	if (rc != 0)
		return rc > 0 ? EXIT_STOPPED : EXIT_USAGE;
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
		report_text("cannot initialise libcurl");
		return EXIT_FATAL;
	}
	int sigfd = signals_setup();
	app.loop = evloop_new(http_transfer_done);
	app.engine = app.loop ? engine_new(app.loop, app.opt.socket_path) : NULL;
	struct controller_config cc = {
	    .script_dir = app.opt.script_dir,
	    .max_scripts = app.opt.max_scripts,
	    .max_script_size = app.opt.max_script_size,
	    .script_timeout_ms = app.opt.script_timeout_ms,
	    .host_enabled = app.opt.host_pid > 0,
	    .allow_label = app.opt.allow_label,
	    .self = app.opt.self,
	};
	app.controller = app.engine ? controller_new(app.loop, app.engine, &cc) : NULL;
	if (app.controller) {
		struct dispatch_config dc = {
		    .max_running = app.opt.jobs,
		    .max_queued = app.opt.max_queue,
		    .timeout_ms = app.opt.timeout_ms,
		    .output_limit = app.opt.output_limit,
		    .dry_run = app.opt.dry_run,
		    .host_pid = app.opt.host_pid,
		    .proc_root = app.opt.host_proc,
		    .self_id = controller_self_id(app.controller),
		    .self_name = controller_self_name(app.controller),
		};
		app.dispatch = dispatch_new(app.loop, app.engine, &dc);
	}
	if (sigfd < 0 || !app.dispatch ||
	    evloop_add_fd(app.loop, sigfd, POLLIN, on_signal, &app) < 0) {
		report_text("cannot start: %s", strerror(errno ? errno : ENOMEM));
		return EXIT_FATAL;
	}
	controller_set_dispatch(app.controller, app.dispatch);
	evloop_timer_init(&app.retry, on_retry, &app);
	negotiate(&app);
	rc = evloop_run(app.loop);
	app.stopping = true;
	/* end what is in flight, each with its own report, before freeing anything */
	controller_stop(app.controller);
	dispatch_stop(app.dispatch);
	engine_shutdown(app.engine);
	evloop_timer_stop(app.loop, &app.retry);
	controller_free(app.controller);
	dispatch_free(app.dispatch);
	engine_free(app.engine);
	evloop_free(app.loop);
	close(sigfd);
	curl_global_cleanup();
	return rc < 0 ? EXIT_FATAL : EXIT_STOPPED;
}
