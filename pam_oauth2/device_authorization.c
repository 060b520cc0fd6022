#include "config.h"

#include "device_authorization.h"

#include "json_fields.h"
#include "sanitize.h"
#include "strbuf.h"

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
	if (json_get_string(obj, "verification_uri", VERIFICATION_URI_MAX, &auth->verification_uri) != JSON_FIELD_OK ||
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
