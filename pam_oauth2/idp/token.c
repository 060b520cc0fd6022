#include "config.h"

#include "idp/token.h"

#include "idp/idp.h"
#include "util/form_encode.h"

#include "util/json_fields.h"
#include "rules/scope_set.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum token_outcome parse_grant(const char *body, size_t len, struct token_grant *grant, const char **why)
{
	struct json_object *obj = json_parse_object(body, len, why);
	if (obj == NULL)
		return TOKEN_SERVER_ERROR;
	enum token_outcome outcome = TOKEN_SERVER_ERROR;
	char *token_type = NULL;
	if (json_get_string(obj, "access_token", ACCESS_TOKEN_MAX, &grant->access_token) != JSON_FIELD_OK) {
		*why = "access_token missing or invalid";
		goto done;
	}
	/* RFC 6749 §7.1: the token type is case-insensitive; we only know how to use Bearer. */
	if (json_get_string(obj, "token_type", 64, &token_type) != JSON_FIELD_OK ||
	    strcasecmp(token_type, "Bearer") != 0) {
		*why = "token_type missing or not Bearer";
		goto done;
	}
	enum json_field_status status = json_get_string(obj, "scope", SCOPE_MAX, &grant->scope);
	if (status == JSON_FIELD_BAD_VALUE && json_object_get_string_len(json_object_object_get(obj, "scope")) == 0) {
		/* An empty scope string is a valid answer: nothing was granted. */
		grant->scope = strdup("");
		status = grant->scope != NULL ? JSON_FIELD_OK : JSON_FIELD_BAD_VALUE;
	}
	if ((status != JSON_FIELD_OK && status != JSON_FIELD_ABSENT) ||
	    (grant->scope != NULL && !scope_set_is_valid(grant->scope))) {
		*why = "scope invalid";
		goto done;
	}
	status = json_get_string(obj, "id_token", ID_TOKEN_MAX, &grant->id_token);
	if (status != JSON_FIELD_OK && status != JSON_FIELD_ABSENT) {
		*why = "id_token invalid";
		goto done;
	}
	outcome = TOKEN_GRANTED;
done:
	free(token_type);
	json_object_wipe_put(obj); /* it held the tokens */
	if (outcome != TOKEN_GRANTED)
		token_grant_clear(grant);
	return outcome;
}

static enum token_outcome outcome_of_error(const char *code)
{
	static const struct {
		const char *code;
		enum token_outcome outcome;
	} table[] = {
		{ "authorization_pending", TOKEN_PENDING },
		{ "slow_down", TOKEN_SLOW_DOWN },
		{ "access_denied", TOKEN_DENIED },
		{ "expired_token", TOKEN_EXPIRED },
		/* oidc-provider, among others, answers invalid_grant once a code is past its life. */
		{ "invalid_grant", TOKEN_EXPIRED },
		{ "invalid_client", TOKEN_CLIENT_REJECTED },
		{ "unauthorized_client", TOKEN_CLIENT_REJECTED },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(code, table[i].code) == 0)
			return table[i].outcome;
	}
	return TOKEN_REJECTED;
}

enum token_outcome token_response_classify(long http_status, const char *body, size_t len, struct token_grant *grant,
					   struct oauth_error *error, const char **why)
{
	memset(grant, 0, sizeof(*grant));
	memset(error, 0, sizeof(*error));
	*why = NULL;
	if (http_status == 200)
		return parse_grant(body, len, grant, why);
	/* RFC 6749 §5.2: errors come as 400 (401 for client authentication). 429 and 5xx
	 * are the server's trouble, not an answer about this login. */
	if (http_status >= 400 && http_status < 500 && http_status != 429) {
		if (!oauth_error_parse(body, len, error)) {
			*why = "malformed error response";
			return TOKEN_SERVER_ERROR;
		}
		return outcome_of_error(error->code);
	}
	*why = "unexpected HTTP status";
	return TOKEN_SERVER_ERROR;
}

void token_grant_clear(struct token_grant *grant)
{
	secret_free(grant->access_token);
	secret_free(grant->id_token);
	free(grant->scope);
	memset(grant, 0, sizeof(*grant));
}

/* ---- the request ---- */

#define DEVICE_CODE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

enum idp_status idp_poll_token(struct idp *idp, const char *device_code, struct token_answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	struct strbuf body;
	strbuf_init(&body, 0);
	if (form_append_field(&body, "grant_type", DEVICE_CODE_GRANT) != 0 ||
	    form_append_field(&body, "device_code", device_code) != 0 || idp_append_client_fields(idp, &body) != 0) {
		strbuf_wipe_free(&body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	struct http_response response;
	enum http_status transport = HTTP_FAILED;
	enum idp_status status =
	    idp_exchange(idp, "token request", idp->endpoints.token, body.data, NULL, &response, &transport);
	strbuf_wipe_free(&body);
	/* A 200 means someone approved, whatever went wrong after the status line. */
	answer->approved = response.status_code == 200;
	if (status != IDP_OK) {
		if (answer->approved)
			status = idp_fail(idp, IDP_UNAVAILABLE, "token endpoint: HTTP 200, but the answer %s",
					  transport == HTTP_TOO_LARGE ? "was too large" : "was cut short");
		answer->timed_out = status == IDP_UNAVAILABLE && transport == HTTP_TIMEOUT && !answer->approved;
		http_response_clear(&response);
		return status;
	}
	const char *why = NULL;
	answer->outcome = token_response_classify(response.status_code, response.body.data, response.body.len,
						  &answer->grant, &answer->error, &why);
	if (answer->outcome == TOKEN_SERVER_ERROR)
		status = idp_fail(idp, IDP_UNAVAILABLE, "token endpoint: HTTP %ld, %s", response.status_code,
				  why != NULL ? why : "unexpected answer");
	http_response_clear(&response);
	return status;
}
