#include "config.h"

#include "idp/device_authorization.h"

#include "idp/idp.h"
#include "idp/oauth_error.h"
#include "util/form_encode.h"

#include "util/json_fields.h"
#include "util/sanitize.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int device_authorization_parse(const char *body, size_t len, struct device_authorization *auth, const char **why)
{
	memset(auth, 0, sizeof(*auth));
	struct json_object *obj = json_parse_object(body, len, why);
	if (obj == NULL)
		return -1;
	int rc = -1;
	if (json_get_string(obj, "device_code", DEVICE_CODE_MAX, &auth->device_code) != JSON_FIELD_OK) {
		*why = "device_code missing or invalid";
		goto done;
	}
	if (json_get_string(obj, "user_code", USER_CODE_MAX, &auth->user_code) != JSON_FIELD_OK ||
	    !is_visible_ascii(auth->user_code, strlen(auth->user_code))) {
		*why = "user_code missing or invalid";
		goto done;
	}
	/* Google names the same field verification_url: taken only when verification_uri is
	 * absent, and checked exactly the same way. */
	const char *uri_field = json_object_object_get_ex(obj, "verification_uri", NULL) ||
					!json_object_object_get_ex(obj, "verification_url", NULL)
				    ? "verification_uri"
				    : "verification_url";
	if (json_get_string(obj, uri_field, VERIFICATION_URI_MAX, &auth->verification_uri) != JSON_FIELD_OK ||
	    !is_https_url(auth->verification_uri)) {
		*why = "verification_uri missing, invalid or not https";
		goto done;
	}
	enum json_field_status status =
	    json_get_string(obj, "verification_uri_complete", VERIFICATION_URI_MAX, &auth->verification_uri_complete);
	if (status != JSON_FIELD_ABSENT &&
	    (status != JSON_FIELD_OK || !is_https_url(auth->verification_uri_complete))) {
		*why = "verification_uri_complete invalid or not https";
		goto done;
	}
	if (json_get_integer(obj, "expires_in", 1, EXPIRES_IN_MAX, &auth->expires_in) != JSON_FIELD_OK) {
		*why = "expires_in missing or out of range";
		goto done;
	}
	status = json_get_integer(obj, "interval", 0, INTERVAL_MAX, &auth->interval);
	if (status == JSON_FIELD_ABSENT) {
		auth->interval = INTERVAL_DEFAULT;
	} else if (status != JSON_FIELD_OK) {
		*why = "interval invalid or out of range";
		goto done;
	}
	rc = 0;
done:
	json_object_wipe_put(obj); /* it held the device code */
	if (rc != 0)
		device_authorization_clear(auth);
	return rc;
}

void device_authorization_clear(struct device_authorization *auth)
{
	secret_free(auth->device_code);
	free(auth->user_code);
	free(auth->verification_uri);
	free(auth->verification_uri_complete);
	memset(auth, 0, sizeof(*auth));
}

/* ---- the request ---- */

/* The IdP refused our request outright: our client, or the IdP, is misconfigured. */
static enum idp_status refused_request(struct idp *idp, const char *what, const struct http_response *response)
{
	struct oauth_error error;
	if (response->status_code >= 500 || response->status_code == 429 ||
	    !oauth_error_parse(response->body.data, response->body.len, &error))
		return idp_fail(idp, IDP_UNAVAILABLE, "%s: HTTP %ld", what, response->status_code);
	return idp_fail(idp, IDP_MISCONFIGURED, "%s refused: HTTP %ld error=%s description=\"%s\"", what,
			response->status_code, error.code, error.description);
}

enum idp_status idp_request_device_code(struct idp *idp, struct device_authorization *auth)
{
	const struct oauth2_config *config = idp->config;
	struct strbuf body;
	strbuf_init(&body, 0);
	/* RFC 8707: naming the resource makes the IdP issue a JWT access token for that audience
	 * (Auth0 calls the field audience). */
	if (idp_append_client_fields(idp, &body) != 0 || form_append_field(&body, "scope", config->scope) != 0 ||
	    (config->audience != NULL &&
	     form_append_field(&body, config->audience_param == AUDIENCE_PARAM_AUDIENCE ? "audience" : "resource",
			       config->audience) != 0)) {
		strbuf_wipe_free(&body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	idp_debug(idp, "device authorization request to %s", idp->endpoints.device_authorization);
	struct http_response response;
	enum idp_status status = idp_exchange(idp, "device authorization", idp->endpoints.device_authorization,
					      body.data, NULL, &response, NULL);
	strbuf_wipe_free(&body);
	const char *why;
	if (status == IDP_OK && response.status_code != 200)
		status = refused_request(idp, "device authorization", &response);
	else if (status == IDP_OK && device_authorization_parse(response.body.data, response.body.len, auth, &why) != 0)
		status = idp_fail(idp, IDP_UNAVAILABLE, "device authorization response: %s", why);
	http_response_clear(&response);
	return status;
}
