/*
 * names.c — facility and severity names (see names.h).
 */
#include "log/names.h"

#include <string.h>
#include <strings.h>

static const char *const facility_names[LOG_FACILITY_COUNT] = {
    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog", "lpr",    "news",
    "uucp",   "cron",	"authpriv", "ftp",    "ntp",	"audit",  "alert",  "altcron",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
};

static const char *const severity_names[LOG_SEVERITY_COUNT] = {
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
};

const char *log_facility_name(int facility)
{
	if (facility < 0 || facility >= LOG_FACILITY_COUNT)
		return "?";
	return facility_names[facility];
}

const char *log_severity_name(int severity)
{
	if (severity < 0 || severity >= LOG_SEVERITY_COUNT)
		return "?";
	return severity_names[severity];
}

static int lookup(const char *const *table, int count, const char *name, size_t len)
{
	for (int i = 0; i < count; i++)
		if (strlen(table[i]) == len && strncasecmp(table[i], name, len) == 0)
			return i;
	return -1;
}

int log_facility_from_name(const char *name, size_t len)
{
	return lookup(facility_names, LOG_FACILITY_COUNT, name, len);
}

int log_severity_from_name(const char *name, size_t len)
{
	int severity = lookup(severity_names, LOG_SEVERITY_COUNT, name, len);
	if (severity >= 0)
		return severity;
	if (len == 7 && strncasecmp(name, "warning", len) == 0)
		return 4;
	if (len == 5 && strncasecmp(name, "error", len) == 0)
		return 3;
	return -1;
}
