/*
 * yaml_resolve.h — PyYAML's (YAML 1.1) implicit typing of plain scalars.
 */
#ifndef TEND_CONF_YAML_RESOLVE_H
#define TEND_CONF_YAML_RESOLVE_H

#include <stdbool.h>

#include "conf/yaml.h"

bool yaml_resolve_null(const char *text);
bool yaml_resolve_bool(const char *text, bool *value);
bool yaml_resolve_int(const char *text, long long *value);
bool yaml_resolve_float(const char *text, double *value);
/* The type of a plain (unquoted, untagged) scalar; fills the matching value. */
enum yaml_scalar_type yaml_resolve_plain(const char *text, bool *bool_value, long long *int_value,
					 double *float_value);

#endif
