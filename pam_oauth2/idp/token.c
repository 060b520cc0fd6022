#include "config.h"

#include "idp/token.h"

#include "idp/idp.h"
#include "io/clock.h"
#include "util/form_encode.h"

#include "util/json_fields.h"
#include "util/sanitize.h"
#include "rules/remember_record.h"
#include "rules/scope_set.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Google names some scopes by URL in what it grants (OAuth 2.0 Scopes for Google APIs:
 * "email" is https://www.googleapis.com/auth/userinfo.email): each documented URL grants
 * its short name too. Only these exact names, never a prefix. */
static const struct {
	const char *url;
	const char *name;
} scope_aliases[] = {
	{ "https://www.googleapis.com/auth/userinfo.email", "email" },
	{ "https://www.googleapis.com/auth/userinfo.profile", "profile" },
};

/* Another shape of the same grant, rewritten as RFC 6749 §3.3's space-separated list:
 * GitHub separates granted scopes with commas ("read:org,read:user"; a comma is never
 * part of a scope any IdP we know grants), and the aliases above are added beside the
 * URLs they stand for. Returns 0, or -1 when memory runs out. */
static int normalize_granted_scope(char **scope)
{
	struct strbuf out;
	strbuf_init(&out, SCOPE_MAX * 2);
	int rc = 0;
	const char *cursor = *scope;
	while (rc == 0 && *cursor != '\0') {
		size_t skip = strspn(cursor, " ,"), len = strcspn(cursor + skip, " ,");
		if (len > 0) {
			rc = strbuf_appendf(&out, "%s%.*s", out.len > 0 ? " " : "", (int)len, cursor + skip);
			for (size_t i = 0; rc == 0 && i < sizeof(scope_aliases) / sizeof(scope_aliases[0]); i++) {
				if (strlen(scope_aliases[i].url) == len &&
				    memcmp(scope_aliases[i].url, cursor + skip, len) == 0)
					rc = strbuf_appendf(&out, " %s", scope_aliases[i].name);
			}
		}
		cursor += skip + len;
	}
	char *normalized = rc == 0 ? strbuf_release(&out) : NULL;
	strbuf_wipe_free(&out);
	if (normalized == NULL)
		return -1;
	free(*scope);
	*scope = normalized;
	return 0;
}

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
	if (status == JSON_FIELD_OK && normalize_granted_scope(&grant->scope) != 0) {
		*why = "scope too long, or out of memory";
		goto done;
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
	/* Kept only in a root-only record (remember), and written there only as visible ASCII
	 * (RFC 6749 Appendix A.17 allows VSCHAR, space included). Anything else is flagged,
	 * never a failure: the grant itself is sound. */
	status = json_get_string(obj, "refresh_token", REFRESH_TOKEN_MAX, &grant->refresh_token);
	if (status == JSON_FIELD_OK && !is_visible_ascii(grant->refresh_token, strlen(grant->refresh_token))) {
		secret_free(grant->refresh_token);
		grant->refresh_token = NULL;
		grant->refresh_token_unusable = true;
	} else if (status != JSON_FIELD_OK && status != JSON_FIELD_ABSENT) {
		grant->refresh_token_unusable =
		    json_object_get_type(json_object_object_get(obj, "refresh_token")) != json_type_null;
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
	/* RFC 8628 §3.5 and RFC 6749 §5.2, with the names other IdPs give the same facts
	 * (ARCHITECTURE.md: a dialect is another shape of the same fact, never a weaker one). */
	static const struct {
		const char *code;
		enum token_outcome outcome;
	} table[] = {
		{ "authorization_pending", TOKEN_PENDING },
		{ "slow_down", TOKEN_SLOW_DOWN },
		{ "access_denied", TOKEN_DENIED },
		/* Entra ID: the user declined the sign-in. */
		{ "authorization_declined", TOKEN_DENIED },
		{ "expired_token", TOKEN_EXPIRED },
		/* GitHub's prose names the expiry token_expired; its table expired_token. */
		{ "token_expired", TOKEN_EXPIRED },
		/* oidc-provider, Keycloak and Auth0 answer invalid_grant once a code is past its life. */
		{ "invalid_grant", TOKEN_EXPIRED },
		{ "invalid_client", TOKEN_CLIENT_REJECTED },
		{ "unauthorized_client", TOKEN_CLIENT_REJECTED },
		/* GitHub: the app's secret is wrong, or the app has device flow switched off. */
		{ "incorrect_client_credentials", TOKEN_CLIENT_REJECTED },
		{ "device_flow_disabled", TOKEN_CLIENT_REJECTED },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(code, table[i].code) == 0)
			return table[i].outcome;
	}
	/* Any other error is final: incorrect_device_code (GitHub), bad_verification_code
	 * (Entra), invalid_request, ... (RFC 8628 §3.5: stop polling). */
	return TOKEN_REJECTED;
}

/* True when BODY is a JSON object with an access_token member. */
static bool has_access_token(const char *body, size_t len)
{
	const char *why;
	struct json_object *obj = json_parse_object(body, len, &why);
	bool found = obj != NULL && json_object_object_get_ex(obj, "access_token", NULL);
	json_object_wipe_put(obj);
	return found;
}

enum token_outcome token_response_classify(long http_status, const char *body, size_t len, struct token_grant *grant,
					   struct oauth_error *error, const char **why)
{
	memset(grant, 0, sizeof(*grant));
	memset(error, 0, sizeof(*error));
	*why = NULL;
	/* An answer with an error member is an error whatever its status: RFC 6749 §5.2 says
	 * 400, but GitHub answers 200, Auth0 403 and 429, older Dex 401. Any other status (5xx
	 * above all) is the server's trouble, whatever its body says. */
	if ((http_status == 200 || (http_status >= 400 && http_status < 500)) && oauth_error_parse(body, len, error)) {
		if (http_status == 200 && has_access_token(body, len)) {
			memset(error, 0, sizeof(*error));
			*why = "both an error and an access_token";
			return TOKEN_SERVER_ERROR;
		}
		enum token_outcome outcome = outcome_of_error(error->code);
		/* A 429 is heeded as slow_down (Auth0), and is otherwise the server's trouble. */
		if (http_status == 429 && outcome != TOKEN_SLOW_DOWN) {
			*why = "unexpected HTTP status";
			return TOKEN_SERVER_ERROR;
		}
		return outcome;
	}
	if (http_status == 200)
		return parse_grant(body, len, grant, why);
	*why = http_status >= 400 && http_status < 500 && http_status != 429 ? "malformed error response"
									     : "unexpected HTTP status";
	return TOKEN_SERVER_ERROR;
}

void token_grant_clear(struct token_grant *grant)
{
	secret_free(grant->access_token);
	secret_free(grant->id_token);
	secret_free(grant->refresh_token);
	free(grant->scope);
	memset(grant, 0, sizeof(*grant));
}

/* ---- the request ---- */

#define DEVICE_CODE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* RFC 9110 §10.2.3: seconds, or a date (from now on the wall clock); 0 when none. */
static long retry_after_seconds(const struct http_response *response)
{
	if (response->retry_after > 0)
		return response->retry_after;
	if (response->retry_at > 0) {
		int64_t left = response->retry_at - clock_wall_seconds();
		return left > 0 ? (long)(left < 86400 ? left : 86400) : 0;
	}
	return 0;
}

/* One request to the token endpoint with the grant's fields already in BODY (wiped here). */
static enum idp_status token_request(struct idp *idp, struct strbuf *body, struct token_answer *answer)
{
	if (idp_append_client_fields(idp, body) != 0) {
		strbuf_wipe_free(body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	struct http_response response;
	enum http_status transport = HTTP_FAILED;
	enum idp_status status =
	    idp_exchange(idp, "token request", idp->endpoints.token, body->data, NULL, &response, &transport);
	strbuf_wipe_free(body);
	/* A 200 means someone approved, whatever went wrong after the status line (unless it
	 * turns out to carry an OAuth error, as GitHub's do). */
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
	answer->approved =
	    answer->approved && (answer->outcome == TOKEN_GRANTED || answer->outcome == TOKEN_SERVER_ERROR);
	if (answer->outcome == TOKEN_SLOW_DOWN)
		answer->retry_after = retry_after_seconds(&response);
	if (answer->outcome == TOKEN_SERVER_ERROR)
		status = idp_fail(idp, IDP_UNAVAILABLE, "token endpoint: HTTP %ld, %s", response.status_code,
				  why != NULL ? why : "unexpected answer");
	http_response_clear(&response);
	return status;
}

enum idp_status idp_poll_token(struct idp *idp, const char *device_code, struct token_answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	struct strbuf body;
	strbuf_init(&body, 0);
	if (form_append_field(&body, "grant_type", DEVICE_CODE_GRANT) != 0 ||
	    form_append_field(&body, "device_code", device_code) != 0) {
		strbuf_wipe_free(&body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	return token_request(idp, &body, answer);
}

enum idp_status idp_refresh_token(struct idp *idp, const char *refresh_token, struct token_answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	struct strbuf body;
	strbuf_init(&body, 0);
	const struct oauth2_config *config = idp->config;
	/* RFC 8707 §2.2: the resource again, so that a JWT access token is for the same API. */
	if (form_append_field(&body, "grant_type", "refresh_token") != 0 ||
	    form_append_field(&body, "refresh_token", refresh_token) != 0 ||
	    (config->audience != NULL &&
	     form_append_field(&body, config->audience_param == AUDIENCE_PARAM_AUDIENCE ? "audience" : "resource",
			       config->audience) != 0)) {
		strbuf_wipe_free(&body);
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	}
	enum idp_status status = token_request(idp, &body, answer);
	answer->approved = false;
	return status;
}
