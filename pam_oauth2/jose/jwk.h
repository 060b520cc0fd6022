/* JSON Web Key sets (RFC 7517): the IdP's public signing keys, as OpenSSL keys. */
#ifndef PAM_OAUTH2_JWK_H
#define PAM_OAUTH2_JWK_H

#include <openssl/evp.h>
#include <stddef.h>

#define JWKS_MAX_KEYS 32
#define RSA_MIN_BITS 2048

enum jwk_type { JWK_RSA, JWK_EC, JWK_OKP };

struct jwk {
	char *kid; /* NULL when the key has none */
	char *alg; /* NULL when the key does not restrict its algorithm */
	enum jwk_type kty;
	char *crv; /* EC: P-256, P-384, P-521; OKP: Ed25519, Ed448 */
	EVP_PKEY *key;
};

struct jwk_set {
	struct jwk keys[JWKS_MAX_KEYS];
	size_t count;
};

/* Parses a JWKS document. Keys we cannot use for verifying signatures (use other than
 * "sig", symmetric "oct" keys, unknown types or curves, RSA under 2048 bits) are
 * skipped; a key of a known type with malformed members fails the whole set, as does
 * a document that is not {"keys": [...]}. Returns 0 or -1 with *WHY. */
int jwk_set_parse(const char *body, size_t len, struct jwk_set *set, const char **why);

void jwk_set_free(struct jwk_set *set);

#endif
