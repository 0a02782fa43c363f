/*
 * names.h — syslog facility and severity names, both ways. The facility table is chaperone's
 * (kern ... alert, altcron, local0-7), so selectors written for chaperone mean the same here.
 */
#ifndef TEND_LOG_NAMES_H
#define TEND_LOG_NAMES_H

#include <stddef.h>

#define LOG_FACILITY_COUNT 24
#define LOG_SEVERITY_COUNT 8

/* "daemon", or "?" for a number out of range. */
const char *log_facility_name(int facility);
/* "info", or "?" for a number out of range. */
const char *log_severity_name(int severity);
/* Case-insensitive; len bytes of name (not NUL-terminated). -1 when unknown. */
int log_facility_from_name(const char *name, size_t len);
/* Accepts chaperone's names plus "warning" and "error". -1 when unknown. */
int log_severity_from_name(const char *name, size_t len);

#endif
