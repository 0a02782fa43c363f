/*
 * sd_notify_ready.c — a notify service built on libsystemd's sd_notify(3), compiled by
 * test_svc_notify.py: announces "STATUS=<argv[1]>", then READY=1, then sleeps argv[2]
 * seconds (default 30) and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

int main(int argc, char **argv)
{
	const char *status = argc > 1 ? argv[1] : "working";
	int seconds = argc > 2 ? atoi(argv[2]) : 30;
	if (sd_notifyf(0, "STATUS=%s", status) <= 0)
		return 2;
	if (sd_notify(0, "READY=1") <= 0)
		return 3;
	printf("sd_notify sent READY=1\n");
	fflush(stdout);
	sleep((unsigned)seconds);
	return 0;
}
