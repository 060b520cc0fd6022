#include "config.h"

#include "introspection.h"

#include "json_fields.h"
#include "scope_set.h"

#include <stdbool.h>
#include <string.h>

int introspection_check(const char *body, size_t len, const char *client_id, int64_t now, long leeway,
			struct json_object **claims, const char **scope, const char **why)
{
	*claims = NULL;
	*scope = NULL;
	struct json_object *obj = json_parse_object(body, len, why);
	if (obj == NULL)
		return -1;
	struct json_object *field;
	if (!json_object_object_get_ex(obj, "active", &field) || !json_object_is_type(field, json_type_boolean) ||
	    !json_object_get_boolean(field)) {
		*why = "token is not active";
		goto fail;
	}
	/* Compared with its length: a NUL inside must not cut "ours\0theirs" down to "ours". */
	if (json_object_object_get_ex(obj, "client_id", &field) &&
	    (!json_object_is_type(field, json_type_string) ||
	     (size_t)json_object_get_string_len(field) != strlen(client_id) ||
	     memcmp(json_object_get_string(field), client_id, strlen(client_id)) != 0)) {
		*why = "token was issued to another client";
		goto fail;
	}
	long exp = 0;
	enum json_field_status status = json_get_integer(obj, "exp", 0, INT32_MAX * 4L, &exp);
	if (status == JSON_FIELD_BAD_TYPE || status == JSON_FIELD_BAD_VALUE ||
	    (status == JSON_FIELD_OK && exp + leeway <= now)) {
		*why = "token expired, or exp is not a time";
		goto fail;
	}
	*scope = "";
	if (json_object_object_get_ex(obj, "scope", &field)) {
		const char *text = json_object_is_type(field, json_type_string) ? json_object_get_string(field) : NULL;
		if (text == NULL || strlen(text) != (size_t)json_object_get_string_len(field) ||
		    !scope_set_is_valid(text)) {
			*why = "scope is not a valid scope string";
			goto fail;
		}
		*scope = text;
	}
	*claims = obj;
	return 0;
fail:
	json_object_wipe_put(obj); /* claims about the token and its owner */
	*scope = NULL;
	return -1;
}
