#include "config.h"

#include "login/session.h"

#include "io/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum login_result login_begin(struct login *login, pam_handle_t *pamh, const struct oauth2_config *config,
			      const struct login_context *context, struct login_identity *identity, char *reason,
			      size_t reason_size)
{
	memset(login, 0, sizeof(*login));
	login->pamh = pamh;
	login->config = config;
	login->context = context;
	login->identity = identity;
	login->reason = reason;
	login->reason_size = reason_size;
	snprintf(reason, reason_size, "-");
	int64_t deadline_ms = clock_monotonic_ms() + (int64_t)config->timeout * 1000;
	return login_step(login, idp_open(&login->idp, pamh, config, deadline_ms, reason, reason_size));
}

void login_end(struct login *login)
{
	idp_close(&login->idp);
}

enum login_result login_fail(struct login *login, enum login_result result, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(login->reason, login->reason_size, format, args);
	va_end(args);
	return result;
}

enum login_result login_step(struct login *login, enum idp_status status)
{
	return login_result_of_idp(status, login->approved, login->reason, login->reason_size);
}
