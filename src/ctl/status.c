/*
 * status.c — the `status` command's replies (see status.h). The table is laid out as
 * chaperone's TableFormatter does: every column padded to its widest cell, two blanks between
 * columns, a row of dashes under the headings, "-" for an empty cell.
 */
#include "ctl/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "ctl/buf.h"
#include "ctl/svcinfo.h"
#include "svc/service.h"
#include "system.h"

#define COLUMNS 5

struct row {
	char cell[COLUMNS][200];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->cell[1], ((const struct row *)b)->cell[1]);
}

static void put_row(struct ctl_buf *out, const char cells[COLUMNS][200], const size_t *width)
{
	for (int c = 0; c < COLUMNS; c++)
		ctl_buf_printf(out, "%s%-*s", c ? "  " : "", (int)width[c], cells[c]);
	ctl_buf_str(out, "\n");
}

void ctl_status_text(const struct system *system, struct ctl_buf *out)
{
	size_t n = system_service_count(system), enabled = 0;
	char uptime[64];
	ctl_format_uptime(loop_now_ms() - system_started_at_ms(system), uptime, sizeof(uptime));
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		const struct service *svc = system_service_at(system, i);
		if (ctl_service_hidden(system, svc))
			continue;
		enabled += svc->enabled;
		shown++;
	}
	ctl_buf_printf(out,
		       "\nRunning:           tend version %s\nUptime:            %s\n"
		       "Managed processes: %zu (%zu enabled)\n\nServices:\n\n",
		       TEND_VERSION, uptime, shown, enabled);

	struct row *rows = calloc(n + 2, sizeof(*rows));
	if (!rows) {
		ctl_buf_str(out, "(out of memory)\n");
		return;
	}
	static const char *const headings[COLUMNS] = {"pid", "name", "enabled", "status", "note"};
	size_t width[COLUMNS];
	for (int c = 0; c < COLUMNS; c++) {
		snprintf(rows[0].cell[c], sizeof(rows[0].cell[c]), "%s", headings[c]);
		width[c] = strlen(headings[c]);
	}
	size_t nrows = 0;
	for (size_t i = 0; i < n; i++) {
		const struct service *svc = system_service_at(system, i);
		if (ctl_service_hidden(system, svc))
			continue;
		struct row *r = &rows[2 + nrows++];
		pid_t pid = svc->pid ? svc->pid : svc->attached_pid;
		char buf[64];
		const char *status = ctl_service_status(svc, buf, sizeof(buf));
		if (pid)
			snprintf(r->cell[0], sizeof(r->cell[0]), "%d", (int)pid);
		else
			strcpy(r->cell[0], "-");
		snprintf(r->cell[1], sizeof(r->cell[1]), "%s", svc->conf->name);
		snprintf(r->cell[2], sizeof(r->cell[2]), "%s", svc->enabled ? "true" : "false");
		snprintf(r->cell[3], sizeof(r->cell[3]), "%s", status ? status : "-");
		snprintf(r->cell[4], sizeof(r->cell[4]), "%s", svc->note[0] ? svc->note : "-");
		for (int c = 0; c < COLUMNS; c++)
			if (strlen(r->cell[c]) > width[c])
				width[c] = strlen(r->cell[c]);
	}
	qsort(rows + 2, nrows, sizeof(*rows), by_name);
	for (int c = 0; c < COLUMNS; c++) {
		memset(rows[1].cell[c], '-', width[c] < 199 ? width[c] : 199);
		rows[1].cell[c][width[c] < 199 ? width[c] : 199] = '\0';
	}
	for (size_t i = 0; i < nrows + 2; i++)
		put_row(out, (const char(*)[200])rows[i].cell, width);
	free(rows);
}

static const char *phase_name(enum system_phase phase)
{
	switch (phase) {
	case PHASE_BOOT:
		return "boot";
	case PHASE_STARTING:
		return "starting";
	case PHASE_RUNNING:
		return "running";
	case PHASE_STOPPING:
		return "stopping";
	default:
		return "done";
	}
}

json_t *ctl_status_json(const struct system *system)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(TEND_VERSION));
	json_object_set_new(o, "phase", json_string(phase_name(system_phase(system))));
	json_object_set_new(
	    o, "uptime_seconds",
	    json_real((double)(loop_now_ms() - system_started_at_ms(system)) / 1000.0));
	json_object_set_new(o, "healthy", json_boolean(ctl_system_healthy(system)));
	json_t *list = json_array();
	size_t n = system_service_count(system);
	/* sorted by name, as the table */
	const struct service **sorted = calloc(n ? n : 1, sizeof(*sorted));
	size_t nsorted = 0;
	for (size_t i = 0; sorted && i < n; i++) {
		const struct service *svc = system_service_at(system, i);
		if (ctl_service_hidden(system, svc))
			continue;
		size_t k = nsorted++;
		while (k > 0 && strcmp(sorted[k - 1]->conf->name, svc->conf->name) > 0) {
			sorted[k] = sorted[k - 1];
			k--;
		}
		sorted[k] = svc;
	}
	for (size_t i = 0; sorted && i < nsorted; i++)
		json_array_append_new(list, ctl_service_json(system, sorted[i]));
	free(sorted);
	json_object_set_new(o, "services", list);
	return o;
}

bool ctl_status_check(const struct system *system, struct ctl_buf *out)
{
	enum system_phase phase = system_phase(system);
	if (phase != PHASE_RUNNING) {
		ctl_buf_printf(out, "unhealthy: tend is %s\n", phase_name(phase));
		return false;
	}
	bool healthy = true;
	for (size_t i = 0; i < system_service_count(system); i++) {
		const struct service *svc = system_service_at(system, i);
		const char *why;
		if (ctl_service_hidden(system, svc) || ctl_service_healthy(system, svc, &why))
			continue;
		ctl_buf_printf(out, "%s%s %s", healthy ? "unhealthy: " : ", ", svc->conf->name,
			       why);
		healthy = false;
	}
	ctl_buf_str(out, healthy ? "healthy\n" : "\n");
	return healthy;
}
