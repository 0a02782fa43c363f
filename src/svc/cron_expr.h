/*
 * cron_expr.h — cron expressions for `type: cron` services: parsing, and the next time one
 * fires. Pure (no fds, no timers): the cron service arms a single loop timer for the time
 * cron_expr_next() returns, and asks again after each tick.
 *
 * Syntax (chaperone's, which is croniter's): five fields "minute hour day-of-month month
 * day-of-week", plus an optional SIXTH field for seconds at the END ("* * * * * *\/10").
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n` (a to the maximum),
 * and comma lists of those; months and weekdays also take names (jan-dec, sun-sat, any case);
 * weekday 7 is Sunday. When both day-of-month and day-of-week are restricted (not the whole
 * range), a day matches if EITHER does (vixie cron, croniter).
 * Aliases, with or without `@`: yearly, annually, monthly, weekly, daily, midnight, hourly, and
 * tend's `@reboot` (fires once when the service starts; sets `reboot`).
 *
 * Times are local (TZ). Across DST changes (docs/cron.md):
 *  - an expression with a restricted hour field (a time of day: "30 2 * * *") fires at most
 *    once per wall-clock time: a time skipped by spring-forward fires once, at the first
 *    second after the gap (03:00); a time repeated by fall-back fires only the first time.
 *  - an expression whose hour field is `*` follows the clock as it is: skipped times do not
 *    fire, repeated times fire again (so "every 10 minutes" stays every 10 minutes).
 */
#ifndef TEND_SVC_CRON_EXPR_H
#define TEND_SVC_CRON_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How many years ahead cron_expr_next() looks before giving up (an expression that can fire
 * at all fires at least every 8 years: Feb 29 skips 2100). */
#define CRON_SEARCH_YEARS 30

struct cron_expr {
	uint64_t seconds; /* bit s: second s (0-59); only bit 0 without a sixth field */
	uint64_t minutes; /* bit m: minute m (0-59) */
	uint32_t hours;	  /* bit h: hour h (0-23) */
	uint32_t days;	  /* bit d: day of month d (1-31) */
	uint16_t months;  /* bit m: month m (1-12) */
	uint8_t weekdays; /* bit w: weekday w (0 = Sunday .. 6) */
	bool reboot;	  /* @reboot: runs once at start, never from the clock */
};

/* Parses text (surrounding blanks allowed). 0 on success; -1 with errno EINVAL and a message
 * in err naming the field and what it allows, e.g.
 * "hour: found '24', allowed: 0-23". err may be NULL. */
int cron_expr_parse(const char *text, struct cron_expr *out, char *err, size_t errlen);

/* The next fire time strictly after `after`. 0 and *next on success; -1 with errno ERANGE
 * when the expression never fires within CRON_SEARCH_YEARS ("0 0 30 2 *") or is @reboot, or
 * when the time is beyond what localtime_r handles. */
int cron_expr_next(const struct cron_expr *e, time_t after, time_t *next);

/* The five-field spec an alias stands for ("@daily" or "daily" -> "0 0 * * *"), for status
 * notes as chaperone shows them; "@reboot" for reboot; NULL when text is not an alias. */
const char *cron_expr_alias(const char *text);

#endif
