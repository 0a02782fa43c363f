/*
 * fuzz_conf_yaml.c — arbitrary bytes as a chaperone.d file through the whole loader (tab
 * expansion, libyaml, the tree, merging, the schema, the graph), then the JSON dump and the
 * error printer. Nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_memfile file;
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	fuzz_memfile_set(&file, "tend.conf", data, size);
	struct conf_load_options options = {.path = file.path};
	struct config config;
	struct conf_errors errors = {0};
	config_init_defaults(&config);
	if (conf_load(&options, &config, &errors) == 0)
		free(config_to_json(&config));
	conf_errors_print(&errors, sink);
	conf_errors_free(&errors);
	config_free(&config);
	return 0;
}
