#include "config.h"

#include "idp/introspection.h"

#include "idp/idp.h"
#include "idp/oauth_error.h"
#include "io/clock.h"
#include "util/form_encode.h"

#include "util/json_fields.h"
#include "rules/scope_set.h"

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

/* ---- the request ---- */

enum idp_status idp_introspect(struct idp *idp, const char *access_token, struct json_object **claims,
			       const char **scope)
{
	*claims = NULL;
	*scope = NULL;
	if (idp->endpoints.introspection == NULL)
		return idp_fail(idp, IDP_MISCONFIGURED, "introspection needed, but no endpoint is known");
	struct strbuf body;
	strbuf_init(&body, 0);
	if (form_append_field(&body, "token", access_token) != 0 ||
	    form_append_field(&body, "token_type_hint", "access_token") != 0 ||
	    idp_append_client_fields(idp, &body) != 0) {
		strbuf_wipe_free(&body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	idp_debug(idp, "introspection at %s", idp->endpoints.introspection);
	struct http_response response;
	enum idp_status status =
	    idp_exchange(idp, "introspection", idp->endpoints.introspection, body.data, NULL, &response, NULL);
	strbuf_wipe_free(&body);
	const char *why = NULL;
	struct oauth_error oauth;
	if (status != IDP_OK)
		goto done;
	if (response.status_code == 401 && oauth_error_parse(response.body.data, response.body.len, &oauth))
		status = idp_fail(idp, IDP_MISCONFIGURED, "introspection refused the client: error=%s", oauth.code);
	else if (response.status_code != 200)
		status = idp_fail(idp, IDP_UNAVAILABLE, "introspection: HTTP %ld", response.status_code);
	else if (introspection_check(response.body.data, response.body.len, idp->config->client_id,
				     clock_wall_seconds(), idp->config->leeway, claims, scope, &why) != 0)
		status = idp_fail(idp, IDP_INVALID, "introspection: %s", why);
done:
	http_response_clear(&response);
	return status;
}
