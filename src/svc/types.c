/*
 * types.c — which file implements which service type, and the meaning of `enabled`.
 * Kept apart from service.c so the state table can be unit-tested without every type.
 */
#include "conf/config.h"
#include "svc/service.h"

const struct service_ops *service_ops_for(enum service_type type)
{
	static const struct service_ops *const ops[SERVICE_TYPE_COUNT] = {
		[SERVICE_SIMPLE] = &simple_ops, [SERVICE_FORKING] = &forking_ops,
		[SERVICE_ONESHOT] = &oneshot_ops, [SERVICE_NOTIFY] = &notify_ops,
		[SERVICE_INETD] = &inetd_ops,   [SERVICE_CRON] = &cron_ops,
	};
	return (unsigned)type < SERVICE_TYPE_COUNT ? ops[type] : NULL;
}

bool service_enabled_value(const char *value)
{
	bool enabled = false;
	return value && conf_bool_from_string(value, &enabled) == 0 && enabled;
}
