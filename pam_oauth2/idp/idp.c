#include "config.h"

#include "idp/idp.h"

#include "io/auth_log.h"
#include "io/clock.h"
#include "util/basic_auth.h"
#include "util/form_encode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum idp_status idp_open(struct idp *idp, pam_handle_t *pamh, const struct oauth2_config *config, int64_t deadline_ms,
			 char *reason, size_t reason_size)
{
	memset(idp, 0, sizeof(*idp));
	idp->pamh = pamh;
	idp->config = config;
	idp->deadline_ms = deadline_ms;
	idp->reason = reason;
	idp->reason_size = reason_size;
	const char *why = NULL;
	idp->http = http_client_new(config->ca_file, &why);
	if (idp->http == NULL)
		return idp_fail(idp, IDP_NO_MEMORY, "%s", why);
	if (config->client_auth == CLIENT_AUTH_BASIC) {
		idp->client_authorization = basic_auth_header_value(config->client_id, config->client_secret);
		if (idp->client_authorization == NULL)
			return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	return IDP_OK;
}

void idp_close(struct idp *idp)
{
	jwk_set_free(&idp->keys);
	provider_metadata_clear(&idp->discovered);
	secret_free(idp->client_authorization);
	http_client_free(idp->http);
	idp->client_authorization = NULL;
	idp->http = NULL;
}

enum idp_status idp_fail(struct idp *idp, enum idp_status status, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(idp->reason, idp->reason_size, format, args);
	va_end(args);
	return status;
}

void idp_debug(struct idp *idp, const char *format, ...)
{
	if (!idp->config->debug)
		return;
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	auth_log(idp->pamh, LOG_DEBUG, "%s", line);
}

int idp_append_client_fields(const struct idp *idp, struct strbuf *body)
{
	const struct oauth2_config *config = idp->config;
	if (config->client_auth == CLIENT_AUTH_BASIC)
		return 0;
	if (form_append_field(body, "client_id", config->client_id) != 0)
		return -1;
	if (config->client_auth == CLIENT_AUTH_POST)
		return form_append_field(body, "client_secret", config->client_secret);
	return 0;
}

/* A request may take http_timeout, but never run past the login's deadline. */
static long request_timeout_ms(const struct idp *idp)
{
	int64_t left = idp->deadline_ms - clock_monotonic_ms();
	int64_t limit = (int64_t)idp->config->http_timeout * 1000;
	if (left < limit)
		limit = left;
	return limit > 0 ? (long)limit : 1;
}

enum idp_status idp_exchange(struct idp *idp, const char *what, const char *url, const char *form, const char *bearer,
			     struct http_response *response, enum http_status *transport)
{
	static const char *const kinds[] = {
		[HTTP_DONE] = "done",           [HTTP_TIMEOUT] = "timed out",        [HTTP_UNREACHABLE] = "unreachable",
		[HTTP_TLS_ERROR] = "TLS error", [HTTP_TOO_LARGE] = "body too large", [HTTP_FAILED] = "failed",
	};
	char error[256];
	long timeout_ms = request_timeout_ms(idp);
	enum http_status status =
	    form != NULL ? http_post_form(idp->http, url, form, idp->client_authorization, timeout_ms, response, error,
					  sizeof(error))
			 : http_get_with_bearer(idp->http, url, bearer, timeout_ms, response, error, sizeof(error));
	if (transport != NULL)
		*transport = status;
	if (status == HTTP_DONE)
		return IDP_OK;
	/* A request that the login's own deadline cut short says nothing about the IdP: the
	 * time is up. Calling it an outage would hand the login to an "authinfo_unavail=ignore"
	 * fallback to anyone who presses Enter just before the deadline. */
	if (status == HTTP_TIMEOUT && timeout_ms < idp->config->http_timeout * 1000L)
		return idp_fail(idp, IDP_DEADLINE, "%s: cut short by the login's timeout", what);
	return idp_fail(idp, IDP_UNAVAILABLE, "%s: %s (%s)", what, kinds[status], error);
}
