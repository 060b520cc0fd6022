#include "config.h"

#include "identity_check.h"

#include "json_fields.h"
#include "sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum identity_status identity_check_userinfo(const char *body, size_t len, const char *claim, const char *pam_user,
					     char *seen, size_t seen_size)
{
	if (seen_size > 0)
		seen[0] = '\0';
	const char *why;
	struct json_object *obj = json_parse_object(body, len, &why);
	if (obj == NULL)
		return IDENTITY_BAD_RESPONSE;
	char *value = NULL;
	enum identity_status status = IDENTITY_CLAIM_MISSING;
	if (json_get_string(obj, claim, IDENTITY_CLAIM_MAX, &value) == JSON_FIELD_OK) {
		status = strcmp(value, pam_user) == 0 ? IDENTITY_MATCH : IDENTITY_MISMATCH;
		char *safe = sanitize_for_terminal(value, strlen(value), seen_size > 4 ? seen_size - 1 : 4);
		if (safe != NULL && seen_size > 0)
			snprintf(seen, seen_size, "%s", safe);
		free(safe);
	}
	free(value);
	json_object_put(obj);
	return status;
}
