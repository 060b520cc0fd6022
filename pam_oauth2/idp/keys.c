#include "config.h"

#include "idp/keys.h"

#include "idp/cache.h"
#include "idp/idp.h"
#include "io/clock.h"
#include "jose/jws.h"
#include "rules/identity_rules.h"
#include "util/json_fields.h"

#include <string.h>

#include <stdlib.h>

enum idp_status idp_load_keys(struct idp *idp, bool fresh)
{
	const char *jwks_uri = idp->endpoints.jwks_uri;
	if (jwks_uri == NULL)
		return idp_fail(idp, IDP_MISCONFIGURED, "a token must be verified but no jwks_uri is known");
	jwk_set_free(&idp->keys);
	idp->keys_loaded = false;
	const char *why = NULL;
	size_t cached_len = 0;
	char *cached = fresh ? NULL : idp_cache_lookup(idp, "jwks", jwks_uri, &cached_len);
	if (cached != NULL) {
		int parsed = jwk_set_parse(cached, cached_len, &idp->keys, &why);
		free(cached);
		if (parsed == 0 && idp->keys.count > 0) {
			idp->keys_loaded = true;
			return IDP_OK;
		}
		jwk_set_free(&idp->keys);
		idp_debug(idp, "cached keys refused (%s): fetching them", parsed == 0 ? "no usable key" : why);
	}
	struct http_response response;
	idp_debug(idp, "fetching keys from %s", jwks_uri);
	enum idp_status status = idp_exchange(idp, "jwks", jwks_uri, NULL, NULL, &response, NULL);
	if (status != IDP_OK) {
		http_response_clear(&response);
		return status;
	}
	if (response.status_code != 200) {
		status = idp_fail(idp, IDP_UNAVAILABLE, "jwks: HTTP %ld", response.status_code);
	} else if (jwk_set_parse(response.body.data, response.body.len, &idp->keys, &why) != 0) {
		status = idp_fail(idp, IDP_UNAVAILABLE, "jwks refused: %s", why);
	} else {
		idp->keys_loaded = true;
		idp_cache_keep(idp, "jwks", jwks_uri, &response);
	}
	http_response_clear(&response);
	return status;
}

enum idp_status idp_verify_jwt(struct idp *idp, const char *what, const char *token, const struct jwt_rules *rules,
			       struct json_object **claims)
{
	*claims = NULL;
	struct jws jws;
	const char *why = NULL;
	if (jws_parse(token, &jws, &why) != 0)
		return idp_fail(idp, IDP_INVALID, "%s refused: %s", what, why);
	enum idp_status status = idp->keys_loaded ? IDP_OK : idp_load_keys(idp, false);
	enum jws_verdict verdict = JWS_INVALID;
	if (status == IDP_OK)
		verdict = jws_verify(&jws, &idp->keys, idp->config->allowed_algs, &why);
	if (status == IDP_OK && verdict == JWS_UNKNOWN_KID && !idp->keys_refetched) {
		idp->keys_refetched = true;
		idp_debug(idp, "%s: unknown kid, fetching the keys again", what);
		status = idp_load_keys(idp, true);
		if (status == IDP_OK)
			verdict = jws_verify(&jws, &idp->keys, idp->config->allowed_algs, &why);
	}
	if (status != IDP_OK)
		goto done;
	if (verdict != JWS_VALID) {
		status = idp_fail(idp, IDP_INVALID, "%s refused: %s", what, why);
		goto done;
	}
	if (jwt_check_claims(&jws, rules, &why) != 0) {
		status = idp_fail(idp, IDP_INVALID, "%s refused: %s", what, why);
		goto done;
	}
	*claims = jws.payload; /* ours now: jws_free would wipe it */
	jws.payload = NULL;
done:
	jws_free(&jws);
	return status;
}

static struct jwt_rules base_rules(const struct idp *idp)
{
	struct jwt_rules rules = {
		.issuer = idp->config->issuer,
		.now = clock_wall_seconds(),
		.leeway = idp->config->leeway,
	};
	return rules;
}

enum idp_status idp_verify_access_token(struct idp *idp, const char *access_token, struct json_object **claims)
{
	struct jwt_rules rules = base_rules(idp);
	rules.audience = idp->config->audience;
	rules.typ = "at+jwt";
	enum idp_status status = idp_verify_jwt(idp, "access token", access_token, &rules, claims);
	if (status != IDP_OK)
		return status;
	const char *client_id = identity_string_claim(*claims, "client_id");
	if (client_id == NULL || strcmp(client_id, idp->config->client_id) != 0) {
		json_object_wipe_put(*claims);
		*claims = NULL;
		return idp_fail(idp, IDP_INVALID, "access token refused: issued to another client");
	}
	return IDP_OK;
}

enum idp_status idp_verify_id_token(struct idp *idp, const char *id_token, struct json_object **claims)
{
	struct jwt_rules rules = base_rules(idp);
	rules.audience = idp->config->client_id;
	rules.authorized_party = idp->config->client_id;
	rules.refused_typ = "at+jwt";
	rules.require_iat = true;
	enum idp_status status = idp_verify_jwt(idp, "id_token", id_token, &rules, claims);
	/* OIDC Core §2: sub is REQUIRED; an ID token without a usable one names nobody. */
	if (status == IDP_OK && identity_string_claim(*claims, "sub") == NULL) {
		json_object_wipe_put(*claims);
		*claims = NULL;
		return idp_fail(idp, IDP_INVALID, "id_token refused: no usable sub claim");
	}
	return status;
}
