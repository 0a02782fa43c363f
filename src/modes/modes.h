/*
 * modes.h — tend answering as another init. main() calls these first, before reading any
 * configuration or opening any socket, when argv[0] (or `tend tini` / `tend dumb-init`) asks.
 */
#ifndef TEND_MODES_MODES_H
#define TEND_MODES_MODES_H

int tini_main(int argc, char **argv);
int dumb_init_main(int argc, char **argv);

#endif
