/* The IdP's signing keys (its JWKS) and the verification of the JWTs it signs: ID tokens
 * and JWT access tokens. On a signature whose kid is unknown the keys are fetched again,
 * once: the IdP may have rotated them. */
#ifndef PAM_OAUTH2_IDP_KEYS_H
#define PAM_OAUTH2_IDP_KEYS_H

#include "idp/status.h"
#include "jose/jwt_claims.h"

#include <json-c/json.h>
#include <stdbool.h>

struct idp;

/* (Re)loads the keys from jwks_uri: from the disk cache when allowed and valid, else
 * (always, when FRESH) from the network. */
enum idp_status idp_load_keys(struct idp *idp, bool fresh);

/* Verifies TOKEN (labelled WHAT) with the IdP's keys and its claims against RULES. On
 * IDP_OK *CLAIMS holds the payload (json_object_wipe_put it); else IDP_INVALID (the
 * token is bad) or the status of fetching the keys. */
enum idp_status idp_verify_jwt(struct idp *idp, const char *what, const char *token, const struct jwt_rules *rules,
			       struct json_object **claims);

/* OIDC Core §3.1.3.7: an ID token from our issuer, for us, with iat and a usable sub,
 * and never an access token (typ at+jwt). */
enum idp_status idp_verify_id_token(struct idp *idp, const char *id_token, struct json_object **claims);

/* RFC 9068: a JWT access token (typ at+jwt) for our audience, issued to our client. */
enum idp_status idp_verify_access_token(struct idp *idp, const char *access_token, struct json_object **claims);

#endif
