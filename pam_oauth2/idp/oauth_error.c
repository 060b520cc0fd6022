#include "config.h"

#include "idp/oauth_error.h"

#include "util/json_fields.h"
#include "util/sanitize.h"

#include <stdlib.h>
#include <string.h>

/* RFC 6749 §5.2: error = 1*( %x20-21 / %x23-5B / %x5D-7E ) */
static bool is_error_code(const char *code)
{
	for (const unsigned char *p = (const unsigned char *)code; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return false;
	}
	return true;
}

bool oauth_error_parse(const char *body, size_t len, struct oauth_error *error)
{
	memset(error, 0, sizeof(*error));
	const char *why;
	struct json_object *obj = json_parse_object(body, len, &why);
	if (obj == NULL)
		return false;
	bool ok = false;
	char *code = NULL, *description = NULL;
	if (json_get_string(obj, "error", OAUTH_ERROR_CODE_MAX, &code) != JSON_FIELD_OK || !is_error_code(code))
		goto done;
	memcpy(error->code, code, strlen(code) + 1);
	/* The description is free text from the server: keep only a safe, short form. */
	if (json_get_string(obj, "error_description", 4096, &description) == JSON_FIELD_OK) {
		char *safe = sanitize_for_terminal(description, strlen(description), OAUTH_ERROR_DESCRIPTION_MAX);
		if (safe != NULL) {
			memcpy(error->description, safe, strlen(safe) + 1);
			free(safe);
		}
	}
	long interval = 0;
	if (json_get_integer(obj, "interval", 1, 3600, &interval) == JSON_FIELD_OK)
		error->interval = interval;
	ok = true;
done:
	free(code);
	free(description);
	json_object_put(obj);
	return ok;
}
