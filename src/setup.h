/*
 * setup.h — tend proper (not a personality): from parsed options to a finished run.
 */
#ifndef TEND_SETUP_H
#define TEND_SETUP_H

struct options;

/* Returns the process exit code (see docs/exit-codes.md). */
int setup_and_run(struct options *options);

#endif
