/*
 * faces.c — the list of faces tend starts after the system exists. A face is a start/stop
 * pair in src/ctl/; a missing one is simply skipped.
 */
#include "faces.h"

#include <stdlib.h>

struct face_handle;
struct face_handle *ctl_server_start(struct system *system, const struct config *config)
    __attribute__((weak));
void ctl_server_stop(struct face_handle *handle) __attribute__((weak));
struct face_handle *http_start(struct system *system, const struct config *config)
    __attribute__((weak));
void http_stop(struct face_handle *handle) __attribute__((weak));
struct face_handle *hostnotify_start(struct system *system, const struct config *config)
    __attribute__((weak));
void hostnotify_stop(struct face_handle *handle) __attribute__((weak));

struct faces {
	struct face_handle *server, *http, *hostnotify;
};

struct faces *faces_start(struct system *system, const struct config *config)
{
	struct faces *faces = calloc(1, sizeof(*faces));
	if (!faces)
		return NULL;
	if (hostnotify_start)
		faces->hostnotify = hostnotify_start(system, config);
	if (ctl_server_start)
		faces->server = ctl_server_start(system, config);
	if (http_start)
		faces->http = http_start(system, config);
	return faces;
}

void faces_stop(struct faces *faces)
{
	if (!faces)
		return;
	if (faces->http && http_stop)
		http_stop(faces->http);
	if (faces->server && ctl_server_stop)
		ctl_server_stop(faces->server);
	if (faces->hostnotify && hostnotify_stop)
		hostnotify_stop(faces->hostnotify);
	free(faces);
}
