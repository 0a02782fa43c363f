/*
 * conf.h — loading configuration: chaperone.d (YAML) and pidzero (JSON) into a struct config.
 */
#ifndef TEND_CONF_CONF_H
#define TEND_CONF_CONF_H

#include <stdbool.h>

#include "conf/config.h"

struct conf_load_options {
	const char *path;         /* file or directory, already resolved against the user home */
};

/* Load a chaperone.d file or directory. A path that does not exist gives an empty config
 * (as chaperone). Returns 0 when valid; otherwise -1 with every problem in errors.
 * Both loaders fill a config that config_init_defaults() has prepared; after either result
 * it is released with config_free(). Errors own their strings (free with conf_errors_free,
 * before or after config_free). */
int conf_load(const struct conf_load_options *options, struct config *config,
	      struct conf_errors *errors);

/* Load pidzero's daemons.json and config.json from explicit paths (config_json may be NULL). */
int conf_load_pidzero(const char *daemons_json, const char *config_json, struct config *config,
		      struct conf_errors *errors);

/* Checks that need the whole merged config (dependency cycles, unknown references that
 * chaperone rejects). Called by both loaders; exposed for reload. */
int conf_validate(struct config *config, struct conf_errors *errors);

/* The merged, typed configuration with defaults filled in, as a JSON document (malloc'd). */
char *config_to_json(const struct config *config);

#endif
