/*
 * report.h — what tend-docker tells its operator. Records (dispatches, registrations, invalid
 * headers, script failures) are single JSON lines on stdout, one object each, so a log
 * pipeline can parse them; diagnostics about the connection go to stderr as text.
 */
#ifndef TEND_DOCKER_REPORT_H
#define TEND_DOCKER_REPORT_H

#include <jansson.h>
#include <stdbool.h>

/* Print {"time": ..., "kind": kind, ...fields} on one line and consume fields (NULL ok). */
void report_record(const char *kind, json_t *fields);
/* A text line on stderr, prefixed with "tend-docker: ". */
void report_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True if data is valid UTF-8 without NUL bytes (what a JSON string and an argv entry can
 * carry unchanged). */
bool report_is_text(const char *data, size_t len);
/* A JSON string from bytes that may not be UTF-8 (invalid bytes become U+FFFD). */
json_t *report_string(const char *data, size_t len);

#endif
