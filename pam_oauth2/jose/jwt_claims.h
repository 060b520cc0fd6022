/* The claims checks a verified JWT must pass before we believe it: issuer, audience,
 * authorized party, lifetime, and the header's typ (RFC 7519, RFC 9068, OIDC Core
 * §3.1.3.7). */
#ifndef PAM_OAUTH2_JWT_CLAIMS_H
#define PAM_OAUTH2_JWT_CLAIMS_H

#include "jose/jws.h"

#include <stdbool.h>
#include <stdint.h>

struct jwt_rules {
	const char *issuer;           /* iss must equal it exactly */
	const char *audience;         /* aud (string or array) must contain it */
	const char *authorized_party; /* azp, when present, must equal it; NULL: not checked */
	const char *typ;              /* the header typ required (e.g. "at+jwt"); NULL: not checked */
	const char *refused_typ;      /* a header typ that must not appear (at+jwt on an ID token) */
	bool require_iat;             /* OIDC Core §2: an ID token must say when it was issued */
	int64_t now;                  /* seconds since the epoch */
	long leeway;                  /* seconds of clock skew allowed */
};

/* Returns 0 when the claims of JWS pass RULES, else -1 with a fixed reason in *WHY.
 * exp is required; nbf and iat, when present, must not be in the future. */
int jwt_check_claims(const struct jws *jws, const struct jwt_rules *rules, const char **why);

/* A string claim of a verified JWT, or NULL when absent or not a string. */
const char *jwt_string_claim(const struct jws *jws, const char *name);

#endif
