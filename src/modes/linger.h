/*
 * linger.h — tend's one addition to the tini and dumb-init modes: after the main child has
 * exited, stay until every descendant it left behind is gone, instead of exiting at once.
 * Opt-in (TEND_WAIT_DESCENDANTS=1 or --wait-descendants), so the default stays identical to
 * the originals.
 */
#ifndef TEND_MODES_LINGER_H
#define TEND_MODES_LINGER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Seconds a subreaper gives the processes left behind between SIGTERM and SIGKILL. */
#define LINGER_GRACE_SECONDS 5

/* True when the environment asks for lingering (TEND_WAIT_DESCENDANTS set to anything but
 * "" or "0"). */
bool linger_requested(void);

/* Called for each process reaped while lingering (for the mode's own messages). */
typedef void linger_reaped_fn(pid_t pid, int status, void *arg);

/* Wait until no child is left. `waited` is the blocked set the mode waits on. As PID 1 the
 * processes left are simply waited for (whatever signal tend gets is passed on to all of
 * them); otherwise tend is a subreaper and they are sent SIGTERM at once and SIGKILL after
 * LINGER_GRACE_SECONDS. Returns 0, or -1 with errno set when waiting itself failed. */
int linger_run(const sigset_t *waited, linger_reaped_fn *reaped, void *arg);

/* Send signo to every descendant: kill(-1) as PID 1, else a walk of /proc. Returns how many
 * processes were signalled (PID 1: 1 when any was). */
int linger_signal_descendants(int signo);

#endif
