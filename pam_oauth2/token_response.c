#include "config.h"

#include "token_response.h"

#include "json_fields.h"
#include "scope_set.h"
#include "strbuf.h"

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
