/*
 * fuzz_pidzero.c — arbitrary bytes as pidzero's daemons.json and config.json (split at the
 * first NUL byte) through conf_load_pidzero(), then the JSON dump and the error printer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/conf.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_memfile daemons, settings;
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	const uint8_t *split = memchr(data, '\0', size);
	size_t first = split ? (size_t)(split - data) : size;
	fuzz_memfile_set(&daemons, "daemons.json", data, first);
	bool with_config = split != NULL;
	if (with_config)
		fuzz_memfile_set(&settings, "config.json", split + 1, size - first - 1);
	struct config config;
	struct conf_errors errors = {0};
	config_init_defaults(&config);
	if (conf_load_pidzero(daemons.path, with_config ? settings.path : NULL, &config, &errors) ==
	    0)
		free(config_to_json(&config));
	conf_errors_print(&errors, sink);
	conf_errors_free(&errors);
	config_free(&config);
	return 0;
}
