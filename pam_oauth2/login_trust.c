/* The trust steps of a login: which endpoints (discovery), which keys (JWKS), which
 * scopes were really granted (response, introspection or a verified JWT), and who
 * really approved (ID token, JWT, introspection or userinfo) under the identity rules. */
#include "config.h"

#include "login_state.h"

#include "auth_log.h"
#include "cache_policy.h"
#include "disk_cache.h"
#include "form_encode.h"
#include "identity_rules.h"
#include "introspection.h"
#include "json_fields.h"
#include "jws.h"
#include "jwt_claims.h"
#include "oauth_error.h"
#include "sanitize.h"
#include "scope_set.h"
#include "source_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- discovery ---- */

/* GETs URL without credentials. Returns LOGIN_APPROVED with RESPONSE filled (any status). */
enum login_result login_fetch(struct login *login, const char *what, const char *url, struct http_response *response)
{
	char error[256];
	enum http_status status = http_get_with_bearer(login->http, url, NULL, login_request_timeout_ms(login),
						       response, error, sizeof(error));
	if (status != HTTP_DONE)
		return login_transport_failure(login, what, status, error);
	return LOGIN_APPROVED;
}

/* A cached copy of KIND for URL, or NULL (the reason logged at debug level). */
/* Entries are keyed by URL and by the CA bundle that vouched for the answer: two
 * configurations trusting different CAs never share what they fetched. */
static char *cache_key(const struct login *login, const char *url)
{
	char *key = NULL;
	const char *ca = login->config->ca_file != NULL ? login->config->ca_file : "(system store)";
	return asprintf(&key, "%s\n%s", url, ca) < 0 ? NULL : key;
}

/* A cached copy of KIND for URL, or NULL (the reason logged at debug level). */
static char *cache_lookup(struct login *login, const char *kind, const char *url, size_t *len)
{
	char *key = login->config->cache ? cache_key(login, url) : NULL;
	if (key == NULL)
		return NULL;
	const char *why = NULL;
	char *body =
	    disk_cache_load(login->config->cache_dir, TRUSTED_OWNER, kind, key, (int64_t)time(NULL), len, &why);
	free(key);
	login_debug(login, "cache %s for %s: %s", body != NULL ? "hit" : "miss", kind, body != NULL ? "valid" : why);
	return body;
}

/* Keeps a validated response for later logins, for as long as the IdP allows. */
static void cache_keep(struct login *login, const char *kind, const char *url, const struct http_response *response)
{
	char *key = login->config->cache ? cache_key(login, url) : NULL;
	if (key == NULL)
		return;
	int64_t now = (int64_t)time(NULL);
	long lifetime = cache_lifetime(response->cache_control, response->expires_at, now, login->config->cache_ttl);
	const char *why = NULL;
	if (disk_cache_store(login->config->cache_dir, TRUSTED_OWNER, kind, key, response->body.data,
			     response->body.len, lifetime, now, &why) != 0)
		login_debug(login, "not caching %s: %s", kind, why);
	free(key);
}

static enum login_result discover(struct login *login)
{
	const char *issuer = login->config->issuer;
	const char *why = NULL;
	size_t cached_len = 0;
	/* A cached document is checked exactly like a fresh one; a bad one is simply refetched. */
	char *cached = cache_lookup(login, "discovery", issuer, &cached_len);
	if (cached != NULL) {
		int parsed = provider_metadata_parse(cached, cached_len, issuer, &login->discovered, &why);
		free(cached);
		if (parsed == 0)
			return LOGIN_APPROVED;
		login_debug(login, "cached discovery document refused (%s): fetching it", why);
	}
	char *urls[2] = { provider_metadata_openid_url(issuer), provider_metadata_rfc8414_url(issuer) };
	enum login_result result = LOGIN_SYSTEM_ERROR;
	if (urls[0] == NULL || urls[1] == NULL) {
		result = login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < 2; i++) {
		struct http_response response;
		login_debug(login, "discovery: %s", urls[i]);
		result = login_fetch(login, "discovery", urls[i], &response);
		if (result != LOGIN_APPROVED)
			goto done;
		/* Only a missing document sends us to RFC 8414's location. */
		if (response.status_code == 404 && i == 0) {
			http_response_clear(&response);
			continue;
		}
		if (response.status_code != 200) {
			result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "discovery: HTTP %ld", response.status_code);
		} else if (provider_metadata_parse(response.body.data, response.body.len, issuer, &login->discovered,
						   &why) != 0) {
			/* A document for another issuer is a configuration (or an attack) to look at. */
			result = login_fail(login, LOGIN_CONFIG_ERROR, "discovery document refused: %s", why);
		} else {
			cache_keep(login, "discovery", issuer, &response);
		}
		http_response_clear(&response);
		goto done;
	}
	result = login_fail(login, LOGIN_CONFIG_ERROR, "no discovery document for the issuer (HTTP 404)");
done:
	free(urls[0]);
	free(urls[1]);
	return result;
}

enum login_result login_resolve_endpoints(struct login *login)
{
	const struct oauth2_config *config = login->config;
	if (config->issuer != NULL) {
		enum login_result result = discover(login);
		if (result != LOGIN_APPROVED)
			return result;
	}
	/* Endpoints set in the configuration win over discovered ones. */
	const struct provider_metadata *found = &login->discovered;
	login->device_authorization_endpoint = config->device_authorization_endpoint
						   ? config->device_authorization_endpoint
						   : found->device_authorization_endpoint;
	login->token_endpoint = config->token_endpoint ? config->token_endpoint : found->token_endpoint;
	login->userinfo_endpoint = config->userinfo_endpoint ? config->userinfo_endpoint : found->userinfo_endpoint;
	login->introspection_endpoint =
	    config->introspection_endpoint ? config->introspection_endpoint : found->introspection_endpoint;
	login->jwks_uri = config->jwks_uri ? config->jwks_uri : found->jwks_uri;
	if (login->device_authorization_endpoint == NULL || login->token_endpoint == NULL)
		return login_fail(
		    login, LOGIN_CONFIG_ERROR,
		    "no device_authorization_endpoint or token_endpoint (set them, or an issuer that has them)");
	return LOGIN_APPROVED;
}

/* ---- signed tokens ---- */

enum login_result login_load_keys(struct login *login, bool fresh)
{
	if (login->jwks_uri == NULL)
		return login_fail(login, LOGIN_CONFIG_ERROR, "a token must be verified but no jwks_uri is known");
	jwk_set_free(&login->keys);
	login->keys_loaded = false;
	const char *why = NULL;
	size_t cached_len = 0;
	char *cached = fresh ? NULL : cache_lookup(login, "jwks", login->jwks_uri, &cached_len);
	if (cached != NULL) {
		int parsed = jwk_set_parse(cached, cached_len, &login->keys, &why);
		free(cached);
		if (parsed == 0 && login->keys.count > 0) {
			login->keys_loaded = true;
			return LOGIN_APPROVED;
		}
		jwk_set_free(&login->keys);
		login_debug(login, "cached keys refused (%s): fetching them", parsed == 0 ? "no usable key" : why);
	}
	struct http_response response;
	login_debug(login, "fetching keys from %s", login->jwks_uri);
	enum login_result result = login_fetch(login, "jwks", login->jwks_uri, &response);
	if (result != LOGIN_APPROVED)
		return result;
	if (response.status_code != 200) {
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "jwks: HTTP %ld", response.status_code);
	} else if (jwk_set_parse(response.body.data, response.body.len, &login->keys, &why) != 0) {
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "jwks refused: %s", why);
	} else {
		login->keys_loaded = true;
		cache_keep(login, "jwks", login->jwks_uri, &response);
	}
	http_response_clear(&response);
	return result;
}

/* Verifies TOKEN's signature with the IdP's keys (fetching them again once when its kid
 * is unknown: the IdP may have rotated them) and its claims against RULES. On success
 * *CLAIMS holds the payload (json_object_put it). */
static enum login_result verify_jwt(struct login *login, const char *what, const char *token,
				    const struct jwt_rules *rules, struct json_object **claims)
{
	*claims = NULL;
	struct jws jws;
	const char *why = NULL;
	if (jws_parse(token, &jws, &why) != 0)
		return login_fail(login, LOGIN_TOKEN_INVALID, "%s refused: %s", what, why);
	enum login_result result = login->keys_loaded ? LOGIN_APPROVED : login_load_keys(login, false);
	enum jws_verdict verdict = JWS_INVALID;
	if (result == LOGIN_APPROVED)
		verdict = jws_verify(&jws, &login->keys, login->config->allowed_algs, &why);
	if (result == LOGIN_APPROVED && verdict == JWS_UNKNOWN_KID && !login->keys_refetched) {
		login->keys_refetched = true;
		login_debug(login, "%s: unknown kid, fetching the keys again", what);
		result = login_load_keys(login, true);
		if (result == LOGIN_APPROVED)
			verdict = jws_verify(&jws, &login->keys, login->config->allowed_algs, &why);
	}
	if (result != LOGIN_APPROVED)
		goto done;
	if (verdict != JWS_VALID) {
		result = login_fail(login, LOGIN_TOKEN_INVALID, "%s refused: %s", what, why);
		goto done;
	}
	if (jwt_check_claims(&jws, rules, &why) != 0) {
		result = login_fail(login, LOGIN_TOKEN_INVALID, "%s refused: %s", what, why);
		goto done;
	}
	*claims = jws.payload; /* ours now: jws_free would wipe it */
	jws.payload = NULL;
done:
	jws_free(&jws);
	return result;
}

static struct jwt_rules base_rules(const struct login *login)
{
	struct jwt_rules rules = {
		.issuer = login->config->issuer,
		.now = (int64_t)time(NULL),
		.leeway = login->config->leeway,
	};
	return rules;
}

/* RFC 9068: a JWT access token for our audience, issued to us. */
static enum login_result verify_access_token(struct login *login, const char *access_token, struct json_object **claims)
{
	struct jwt_rules rules = base_rules(login);
	rules.audience = login->config->audience;
	rules.typ = "at+jwt";
	enum login_result result = verify_jwt(login, "access token", access_token, &rules, claims);
	if (result != LOGIN_APPROVED)
		return result;
	const char *client_id = identity_string_claim(*claims, "client_id");
	if (client_id == NULL || strcmp(client_id, login->config->client_id) != 0) {
		json_object_wipe_put(*claims);
		*claims = NULL;
		return login_fail(login, LOGIN_TOKEN_INVALID, "access token refused: issued to another client");
	}
	return LOGIN_APPROVED;
}

/* OIDC Core §3.1.3.7: an ID token from our issuer, for us. */
static enum login_result verify_id_token(struct login *login, const char *id_token, struct json_object **claims)
{
	struct jwt_rules rules = base_rules(login);
	rules.audience = login->config->client_id;
	rules.authorized_party = login->config->client_id;
	rules.refused_typ = "at+jwt";
	rules.require_iat = true;
	enum login_result result = verify_jwt(login, "id_token", id_token, &rules, claims);
	/* OIDC Core §2: sub is REQUIRED; an ID token without a usable one names nobody. */
	if (result == LOGIN_APPROVED && identity_string_claim(*claims, "sub") == NULL) {
		json_object_wipe_put(*claims);
		*claims = NULL;
		return login_fail(login, LOGIN_TOKEN_INVALID, "id_token refused: no usable sub claim");
	}
	return result;
}

/* ---- introspection (RFC 7662) ---- */

static enum login_result introspect(struct login *login, const char *access_token, struct json_object **claims,
				    const char **scope)
{
	struct strbuf body;
	struct http_response response;
	char error[256];
	strbuf_init(&body, 0);
	if (form_append_field(&body, "token", access_token) != 0 ||
	    form_append_field(&body, "token_type_hint", "access_token") != 0 ||
	    login_append_client_fields(login, &body) != 0) {
		strbuf_wipe_free(&body);
		return login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
	}
	login_debug(login, "introspection at %s", login->introspection_endpoint);
	enum http_status status =
	    http_post_form(login->http, login->introspection_endpoint, body.data, login->client_authorization,
			   login_request_timeout_ms(login), &response, error, sizeof(error));
	strbuf_wipe_free(&body);
	if (status != HTTP_DONE)
		return login_transport_failure(login, "introspection", status, error);
	enum login_result result = LOGIN_APPROVED;
	const char *why = NULL;
	struct oauth_error oauth;
	if (response.status_code == 401 && oauth_error_parse(response.body.data, response.body.len, &oauth))
		result =
		    login_fail(login, LOGIN_CONFIG_ERROR, "introspection refused the client: error=%s", oauth.code);
	else if (response.status_code != 200)
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "introspection: HTTP %ld", response.status_code);
	else if (introspection_check(response.body.data, response.body.len, login->config->client_id,
				     (int64_t)time(NULL), login->config->leeway, claims, scope, &why) != 0)
		result = login_fail(login, LOGIN_TOKEN_INVALID, "introspection: %s", why);
	http_response_clear(&response);
	return result;
}

/* ---- userinfo ---- */

static enum login_result fetch_userinfo(struct login *login, const char *access_token, struct json_object **claims)
{
	*claims = NULL;
	if (login->userinfo_endpoint == NULL)
		return login_fail(login, LOGIN_CONFIG_ERROR,
				  "identity from userinfo, but no userinfo_endpoint is known");
	struct http_response response;
	char error[256];
	enum http_status status =
	    http_get_with_bearer(login->http, login->userinfo_endpoint, access_token, login_request_timeout_ms(login),
				 &response, error, sizeof(error));
	if (status != HTTP_DONE)
		return login_transport_failure(login, "userinfo request", status, error);
	enum login_result result = LOGIN_APPROVED;
	const char *why = NULL;
	if (response.status_code == 401 || response.status_code == 403)
		result = login_fail(login, LOGIN_REFUSED_BY_IDP, "userinfo refused the access token: HTTP %ld",
				    response.status_code);
	else if (response.status_code != 200)
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "userinfo: HTTP %ld", response.status_code);
	else if ((*claims = json_parse_object(response.body.data, response.body.len, &why)) == NULL)
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "userinfo response: %s", why);
	http_response_clear(&response);
	return result;
}

/* ---- evaluation ---- */

/* Claims gathered for this login, each from one source; NULL when not (yet) obtained. */
struct evidence {
	struct json_object *access_token; /* verified JWT access token */
	struct json_object *introspection;
	struct json_object *id_token;
	struct json_object *userinfo;
	const char *scope; /* the authoritative granted scopes */
};

static void evidence_clear(struct evidence *evidence)
{
	/* Claims about the person and the grant: wiped like the tokens they came from. */
	json_object_wipe_put(evidence->access_token);
	json_object_wipe_put(evidence->introspection);
	json_object_wipe_put(evidence->id_token);
	json_object_wipe_put(evidence->userinfo);
}

static struct source_availability availability(const struct login *login)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = {
		.audience_set = config->audience != NULL,
		.introspection_usable =
		    login->introspection_endpoint != NULL && config->client_auth != CLIENT_AUTH_NONE,
		.id_token_usable =
		    config->issuer != NULL && login->jwks_uri != NULL && scope_set_contains(config->scope, "openid", 6),
		.userinfo_known = login->userinfo_endpoint != NULL,
	};
	return available;
}

static enum login_result establish_scopes(struct login *login, const struct token_grant *grant,
					  enum scope_source source, struct evidence *evidence)
{
	switch (source) {
	case SCOPE_SOURCE_JWT: {
		enum login_result result = verify_access_token(login, grant->access_token, &evidence->access_token);
		if (result != LOGIN_APPROVED)
			return result;
		/* RFC 9068 §2.2.3: the scope claim; none means nothing was granted. */
		struct json_object *scope;
		evidence->scope = "";
		if (json_object_object_get_ex(evidence->access_token, "scope", &scope)) {
			if (!json_object_is_type(scope, json_type_string) ||
			    !scope_set_is_valid(json_object_get_string(scope)))
				return login_fail(login, LOGIN_TOKEN_INVALID,
						  "access token's scope claim is not a scope string");
			evidence->scope = json_object_get_string(scope);
		}
		return LOGIN_APPROVED;
	}
	case SCOPE_SOURCE_INTROSPECTION:
		if (login->introspection_endpoint == NULL)
			return login_fail(login, LOGIN_CONFIG_ERROR,
					  "scope_source=introspection, but no endpoint is known");
		return introspect(login, grant->access_token, &evidence->introspection, &evidence->scope);
	default:
		/* RFC 6749 §5.1: the response may leave scope out when it equals the request. */
		evidence->scope = grant->scope != NULL ? grant->scope : login->config->scope;
		return LOGIN_APPROVED;
	}
}

/* Obtains the claims of SOURCE into *CLAIMS (borrowed from EVIDENCE). *ABSENT is set
 * when the source simply has nothing for this login (no ID token came back). */
static enum login_result identity_claims(struct login *login, const struct token_grant *grant,
					 enum identity_source source, struct evidence *evidence,
					 struct json_object **claims, bool *absent)
{
	enum login_result result = LOGIN_APPROVED;
	*absent = false;
	switch (source) {
	case IDENTITY_SOURCE_ID_TOKEN:
		if (grant->id_token == NULL) {
			*absent = true;
			return login_fail(login, LOGIN_TOKEN_INVALID, "no id_token in the token response");
		}
		if (evidence->id_token == NULL)
			result = verify_id_token(login, grant->id_token, &evidence->id_token);
		*claims = evidence->id_token;
		break;
	case IDENTITY_SOURCE_JWT:
		if (evidence->access_token == NULL)
			result = verify_access_token(login, grant->access_token, &evidence->access_token);
		*claims = evidence->access_token;
		break;
	case IDENTITY_SOURCE_INTROSPECTION:
		if (evidence->introspection == NULL) {
			const char *scope;
			if (login->introspection_endpoint == NULL)
				return login_fail(login, LOGIN_CONFIG_ERROR,
						  "identity from introspection, but no endpoint");
			result = introspect(login, grant->access_token, &evidence->introspection, &scope);
		}
		*claims = evidence->introspection;
		break;
	default:
		if (evidence->userinfo == NULL)
			result = fetch_userinfo(login, grant->access_token, &evidence->userinfo);
		*claims = evidence->userinfo;
		break;
	}
	return result;
}

/* OIDC Core §5.3.2: claims about the same login must be about the same subject. A sub
 * that is there but unusable (not a string, empty, too long, a NUL inside) refuses the
 * login: read as "absent" it would skip the comparison. identity_string_claim returns
 * only NUL-free strings, so strcmp compares them whole. */
static enum login_result check_same_subject(struct login *login, const struct evidence *evidence,
					    struct json_object *claims)
{
	struct json_object *sources[] = { claims, evidence->id_token, evidence->access_token, evidence->introspection,
					  evidence->userinfo };
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (identity_claim_present(sources[i], "sub") && identity_string_claim(sources[i], "sub") == NULL)
			return login_fail(login, LOGIN_TOKEN_INVALID,
					  "a sub claim is not a string of 1-%d bytes without NUL", IDENTITY_CLAIM_MAX);
	}
	const char *sub = identity_string_claim(claims, "sub");
	for (size_t i = 1; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const char *other = identity_string_claim(sources[i], "sub");
		if (sources[i] != claims && other != NULL && (sub == NULL || strcmp(sub, other) != 0))
			return login_fail(login, LOGIN_TOKEN_INVALID, "identity sources disagree on sub");
	}
	return LOGIN_APPROVED;
}

static void keep_identity(struct login *login, struct json_object *claims)
{
	const char *values[] = { identity_string_claim(claims, "sub"),
				 identity_string_claim(claims, login->config->username_claim) };
	char *fields[] = { login->identity->sub, login->identity->username };
	for (size_t i = 0; i < 2; i++) {
		fields[i][0] = '\0';
		/* Only plain visible text goes into the PAM environment. */
		if (values[i] != NULL && strlen(values[i]) < LOGIN_IDENTITY_MAX &&
		    is_visible_ascii(values[i], strlen(values[i])))
			memcpy(fields[i], values[i], strlen(values[i]) + 1);
	}
}

enum login_result login_evaluate_grant(struct login *login, const struct token_grant *grant)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = availability(login);
	struct evidence evidence = { 0 };
	enum scope_source scope_source = scope_source_resolve(config->scope_source, &available);
	enum login_result result = establish_scopes(login, grant, scope_source, &evidence);
	if (result != LOGIN_APPROVED)
		goto done;
	char *shown_scope = sanitize_for_terminal(evidence.scope, strlen(evidence.scope), 256);
	login_debug(login, "granted scopes (scope_source=%s): '%s'", scope_source_name(scope_source),
		    shown_scope != NULL ? shown_scope : "?");
	free(shown_scope);
	char missing[128];
	if (!scope_set_contains_all(evidence.scope, config->require_scope, missing, sizeof(missing))) {
		result = login_fail(login, LOGIN_NOT_AUTHORIZED, "required scope '%s' not granted (scope_source=%s)",
				    missing, scope_source_name(scope_source));
		goto done;
	}

	struct identity_rules rules = {
		.username_claim = config->username_claim,
		.username_suffix = config->username_suffix,
		.username_map = config->username_map_content,
		.require_group = config->require_group,
		.groups_claim = config->groups_claim,
		/* uid 0 is matched exactly: an IdP account "Root" must not become root. */
		.ignore_case = config->username_case == USERNAME_CASE_INSENSITIVE && !login->context->user_is_superuser,
	};
	enum identity_source order[4];
	size_t count = identity_source_order(config->identity_source, &available, scope_source, order);
	if (count == 0) {
		result = login_fail(login, LOGIN_CONFIG_ERROR, "no identity source is available");
		goto done;
	}
	struct json_object *claims = NULL;
	size_t used = 0;
	for (; used < count; used++) {
		bool absent = false, last = used + 1 == count;
		result = identity_claims(login, grant, order[used], &evidence, &claims, &absent);
		/* In auto mode an absent ID token, or a source without the claims the rules
		 * need, hands over to the next source; a token that fails verification never does. */
		if (absent && !last && config->identity_source == IDENTITY_SOURCE_AUTO)
			continue;
		if (result != LOGIN_APPROVED)
			goto done;
		if (!last && config->identity_source == IDENTITY_SOURCE_AUTO &&
		    !identity_claims_sufficient(claims, &rules))
			continue;
		break;
	}
	result = check_same_subject(login, &evidence, claims);
	if (result != LOGIN_APPROVED)
		goto done;
	char detail[320];
	enum identity_verdict verdict = identity_decide(claims, &rules, login->context->user, detail, sizeof(detail));
	if (verdict != IDENTITY_ALLOWED) {
		result = login_fail(login, LOGIN_NOT_AUTHORIZED, "%s (identity_source=%s)", detail,
				    identity_source_name(order[used]));
		goto done;
	}
	login_debug(login, "identity (identity_source=%s): %s", identity_source_name(order[used]), detail);
	keep_identity(login, claims);
	snprintf(login->reason, login->reason_size, "%s scope_source=%s identity_source=%s", detail,
		 scope_source_name(scope_source), identity_source_name(order[used]));
	result = LOGIN_APPROVED;
done:
	/* Someone approved: from here on, failing to learn or verify who (a userinfo call that
	 * times out, keys that cannot be fetched, an answer too large) is a refusal. As an
	 * outage it would let an approver's account, or an unlucky moment, reach an
	 * "authinfo_unavail=ignore" fallback. */
	if (result == LOGIN_IDP_UNAVAILABLE) {
		char outage[256];
		snprintf(outage, sizeof(outage), "%s", login->reason);
		result = login_fail(login, LOGIN_TOKEN_INVALID, "after approval: %s", outage);
	}
	evidence_clear(&evidence);
	return result;
}

void login_trust_clear(struct login *login)
{
	jwk_set_free(&login->keys);
	provider_metadata_clear(&login->discovered);
}
