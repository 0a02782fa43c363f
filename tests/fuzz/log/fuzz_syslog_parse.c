/*
 * fuzz_syslog_parse.c — any bytes as a /dev/log datagram: the parser must never read outside
 * the input, must keep every byte (the text or raw covers the input), and every output format
 * must stay within its announced bound.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/format.h"
#include "log/syslog_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly size bytes: ASan catches a read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct syslog_parsed scratch;
	struct log_record record;
	memset(&record, 0, sizeof(record));
	syslog_parse(buf, size, &scratch, &record);
	if (record.raw != buf || record.raw_len != size)
		abort();
	if (record.text < buf || record.text + record.text_len != buf + size)
		abort(); /* the message runs to the end of the input: nothing is cut */
	if (record.facility < 0 || record.facility > 23 || record.severity < 0 ||
	    record.severity > 7)
		abort();
	record.origin = LOG_ORIGIN_SYSLOG;
	static const enum log_format_kind kinds[] = {
	    LOG_FORMAT_TEXT,	    LOG_FORMAT_JSON,	LOG_FORMAT_PIDZERO_JSON,
	    LOG_FORMAT_PIDZERO_MAP, LOG_FORMAT_RFC3164, LOG_FORMAT_PLAIN,
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct log_format format = {
		    .kind = kinds[i], .extended = true, .default_hostname = "fuzz"};
		size_t bound = log_format_bound(&format, &record);
		char *out = malloc(bound);
		if (!out)
			break;
		if (log_format_write(&format, &record, out) > bound)
			abort();
		free(out);
	}
	free(buf);
	return 0;
}
