/*
 * faces.h — starting and stopping the faces: the control socket and FIFO, the HTTP health
 * API and sd_notify to the host. Each is optional at link time (weak), so the core builds and
 * runs without them.
 */
#ifndef TEND_FACES_H
#define TEND_FACES_H

struct system;
struct config;
struct faces;

struct faces *faces_start(struct system *system, const struct config *config);
void faces_stop(struct faces *faces);

#endif
