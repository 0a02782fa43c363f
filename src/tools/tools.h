/*
 * tools.h — the multi-call personalities linked into tend: each is a main() of its own,
 * reached by argv[0] (e.g. a symlink named envcp) or as `tend NAME ...` (argv shifted so
 * that argv[0] is NAME). Each returns the process exit status.
 */
#ifndef TEND_TOOLS_TOOLS_H
#define TEND_TOOLS_TOOLS_H

/* chaperone's envcp: copy files expanding $(VAR) expressions (src/tools/envcp.c). */
int envcp_main(int argc, char **argv);

/* tendctl / telchap / `tend ctl`: the control client (src/tools/tendctl.c). */
int tendctl_main(int argc, char **argv);

/* chaperone's sdnotify and sdnotify-exec (src/tools/sdnotify.c, sdnotify_exec.c). */
int sdnotify_main(int argc, char **argv);
int sdnotify_exec_main(int argc, char **argv);

#endif
