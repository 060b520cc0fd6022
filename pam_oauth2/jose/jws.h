/* Compact JWS (RFC 7515) signed with the IdP's keys: ID tokens and JWT access tokens.
 * Only asymmetric algorithms; "none" and HMAC are refused whatever the configuration. */
#ifndef PAM_OAUTH2_JWS_H
#define PAM_OAUTH2_JWS_H

#include "jose/jwk.h"

#include <json-c/json.h>
#include <stddef.h>

#define JWS_MAX 32768

/* The algorithms we implement, space separated: the default of allowed_algs. */
#define JWS_SUPPORTED_ALGS "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"

struct jws {
	struct json_object *header;
	struct json_object *payload; /* the claims */
	const char *alg;             /* in header */
	const char *kid;             /* in header; NULL when absent */
	const char *typ;             /* in header; NULL when absent */
	char *signing_input;         /* BASE64URL(header) "." BASE64URL(payload) */
	unsigned char *signature;
	size_t signature_len;
};

enum jws_verdict {
	JWS_VALID,
	JWS_UNKNOWN_KID, /* no key with the token's kid: the set may be stale, fetch it again once */
	JWS_INVALID
};

/* Splits and decodes TOKEN. Header and payload must be JSON objects, alg a string,
 * and no "crit" extension. Keys named in the token (jwk, jku, x5u) are never used.
 * Returns 0, or -1 with *WHY. */
int jws_parse(const char *token, struct jws *jws, const char **why);

/* Verifies the signature with a key of KEYS: alg must be in ALLOWED_ALGS (space
 * separated) and one we implement; the key is chosen by kid, must be of the type and
 * curve the alg requires, and its own alg, when set, must match. */
enum jws_verdict jws_verify(const struct jws *jws, const struct jwk_set *keys, const char *allowed_algs,
			    const char **why);

/* Wipes and frees everything decoded (header, payload, signature): the payload too, so a
 * caller that keeps the claims takes jws->payload and sets it to NULL first. */
void jws_free(struct jws *jws);

/* True when ALG is one jws_verify implements. */
int jws_alg_supported(const char *alg, size_t len);

#endif
