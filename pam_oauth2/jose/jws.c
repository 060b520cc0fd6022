#include "config.h"

#include "jose/jws.h"

#include "jose/base64url.h"
#include "util/json_fields.h"
#include "rules/scope_set.h"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct jws_alg {
	const char *name;
	enum jwk_type kty;
	const char *digest; /* NULL for EdDSA, which hashes internally */
	int rsa_padding;    /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING */
	const char *crv;    /* EC: the one curve this alg uses */
	size_t ec_half;     /* EC: bytes of r and of s in the JOSE signature */
};

/* RFC 7518 §3 and RFC 8037 §3.1. */
static const struct jws_alg algs[] = {
	{ "RS256", JWK_RSA, "SHA256", RSA_PKCS1_PADDING, NULL, 0 },
	{ "RS384", JWK_RSA, "SHA384", RSA_PKCS1_PADDING, NULL, 0 },
	{ "RS512", JWK_RSA, "SHA512", RSA_PKCS1_PADDING, NULL, 0 },
	{ "PS256", JWK_RSA, "SHA256", RSA_PKCS1_PSS_PADDING, NULL, 0 },
	{ "PS384", JWK_RSA, "SHA384", RSA_PKCS1_PSS_PADDING, NULL, 0 },
	{ "PS512", JWK_RSA, "SHA512", RSA_PKCS1_PSS_PADDING, NULL, 0 },
	{ "ES256", JWK_EC, "SHA256", 0, "P-256", 32 },
	{ "ES384", JWK_EC, "SHA384", 0, "P-384", 48 },
	{ "ES512", JWK_EC, "SHA512", 0, "P-521", 66 },
	{ "EdDSA", JWK_OKP, NULL, 0, NULL, 0 },
};

static const struct jws_alg *find_alg(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strlen(algs[i].name) == len && memcmp(algs[i].name, name, len) == 0)
			return &algs[i];
	}
	return NULL;
}

int jws_alg_supported(const char *alg, size_t len)
{
	return find_alg(alg, len) != NULL;
}

static struct json_object *decode_json_segment(const char *segment, size_t len, const char **why)
{
	unsigned char *bytes;
	size_t bytes_len;
	if (base64url_decode(segment, len, &bytes, &bytes_len) != 0) {
		*why = "a segment is not base64url";
		return NULL;
	}
	struct json_object *obj = json_parse_object((const char *)bytes, bytes_len, why);
	/* The decoded claims are as secret as the token that carried them. */
	explicit_bzero(bytes, bytes_len);
	free(bytes);
	return obj;
}

static const char *header_string(struct json_object *header, const char *name, bool *bad)
{
	struct json_object *value;
	if (!json_object_object_get_ex(header, name, &value))
		return NULL;
	if (!json_object_is_type(value, json_type_string) ||
	    strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(value);
}

int jws_parse(const char *token, struct jws *jws, const char **why)
{
	memset(jws, 0, sizeof(*jws));
	size_t len = strnlen(token, JWS_MAX + 1);
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (len > JWS_MAX || dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) {
		*why = "not a compact JWS (three segments)";
		return -1;
	}
	bool bad = false;
	jws->header = decode_json_segment(token, (size_t)(dot1 - token), why);
	if (jws->header == NULL)
		goto fail;
	jws->alg = header_string(jws->header, "alg", &bad);
	jws->kid = header_string(jws->header, "kid", &bad);
	jws->typ = header_string(jws->header, "typ", &bad);
	if (jws->alg == NULL || bad) {
		*why = "header alg missing, or alg, kid or typ not a string";
		goto fail;
	}
	/* RFC 7515 §4.1.11: we understand no extension, so any "crit" must be refused. */
	if (json_object_object_get_ex(jws->header, "crit", NULL)) {
		*why = "header has crit";
		goto fail;
	}
	jws->payload = decode_json_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), why);
	if (jws->payload == NULL)
		goto fail;
	if (base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &jws->signature, &jws->signature_len) != 0 ||
	    jws->signature_len == 0) {
		*why = "signature missing or not base64url";
		goto fail;
	}
	jws->signing_input = strndup(token, (size_t)(dot2 - token));
	if (jws->signing_input == NULL) {
		*why = "out of memory";
		goto fail;
	}
	return 0;
fail:
	jws_free(jws);
	return -1;
}

/* JOSE carries ECDSA signatures as r||s of fixed size (RFC 7518 §3.4); OpenSSL wants DER. */
static unsigned char *ecdsa_signature_to_der(const unsigned char *raw, size_t half, int *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)half, NULL);
	BIGNUM *s = BN_bin2bn(raw + half, (int)half, NULL);
	unsigned char *der = NULL;
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	return *der_len > 0 ? der : NULL;
}

static bool signature_verifies(const struct jws *jws, const struct jws_alg *alg, EVP_PKEY *key)
{
	const unsigned char *signature = jws->signature;
	size_t signature_len = jws->signature_len;
	unsigned char *der = NULL;
	if (alg->kty == JWK_EC) {
		int der_len = 0;
		if (signature_len != 2 * alg->ec_half ||
		    (der = ecdsa_signature_to_der(signature, alg->ec_half, &der_len)) == NULL)
			return false;
		signature = der;
		signature_len = (size_t)der_len;
	}
	/* RSA and ECDSA: the digest first, then EVP_PKEY_verify over it. OpenSSL 3.4+
	 * (Debian 13 has 3.5) keeps a copy of the signature in a digest-verify context and
	 * frees it without wiping it (the "set signature" of its message-signing API); the
	 * verify of a digest reads it in place. Same checks, padding and algorithms. EdDSA
	 * hashes internally (RFC 8032): it has only the one-shot digest-verify. */
	bool valid = false;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	EVP_MD *md = alg->digest != NULL ? EVP_MD_fetch(NULL, alg->digest, NULL) : NULL;
	EVP_PKEY_CTX *pkey_ctx = NULL;
	if (md != NULL) {
		if (EVP_Digest(jws->signing_input, strlen(jws->signing_input), digest, &digest_len, md, NULL) == 1 &&
		    (pkey_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) != NULL &&
		    EVP_PKEY_verify_init(pkey_ctx) == 1 && EVP_PKEY_CTX_set_signature_md(pkey_ctx, md) == 1) {
			bool ready = true;
			if (alg->kty == JWK_RSA) {
				ready = EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, alg->rsa_padding) == 1 &&
					(alg->rsa_padding != RSA_PKCS1_PSS_PADDING ||
					 EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) == 1);
			}
			valid = ready && EVP_PKEY_verify(pkey_ctx, signature, signature_len, digest, digest_len) == 1;
		}
		EVP_PKEY_CTX_free(pkey_ctx);
		EVP_MD_free(md);
	} else if (alg->digest == NULL) {
		EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
		valid = md_ctx != NULL && EVP_DigestVerifyInit_ex(md_ctx, NULL, NULL, NULL, NULL, key, NULL) == 1 &&
			EVP_DigestVerify(md_ctx, signature, signature_len, (const unsigned char *)jws->signing_input,
					 strlen(jws->signing_input)) == 1;
		EVP_MD_CTX_free(md_ctx);
	}
	if (der != NULL)
		OPENSSL_clear_free(der, signature_len);
	return valid;
}

static bool key_fits_alg(const struct jwk *jwk, const struct jws_alg *alg)
{
	if (jwk->kty != alg->kty || (jwk->alg != NULL && strcmp(jwk->alg, alg->name) != 0))
		return false;
	return alg->crv == NULL || (jwk->crv != NULL && strcmp(jwk->crv, alg->crv) == 0);
}

enum jws_verdict jws_verify(const struct jws *jws, const struct jwk_set *keys, const char *allowed_algs,
			    const char **why)
{
	/* "none" and HMAC never: an HMAC "signed" with the public key is the classic forgery. */
	if (strcmp(jws->alg, "none") == 0 || strncmp(jws->alg, "HS", 2) == 0) {
		*why = "alg none or HMAC refused";
		return JWS_INVALID;
	}
	const struct jws_alg *alg = find_alg(jws->alg, strlen(jws->alg));
	if (alg == NULL || !scope_set_contains(allowed_algs, jws->alg, strlen(jws->alg))) {
		*why = "alg not allowed";
		return JWS_INVALID;
	}
	bool kid_seen = false;
	for (size_t i = 0; i < keys->count; i++) {
		const struct jwk *jwk = &keys->keys[i];
		if (jws->kid != NULL && (jwk->kid == NULL || strcmp(jwk->kid, jws->kid) != 0))
			continue;
		kid_seen = true;
		if (key_fits_alg(jwk, alg) && signature_verifies(jws, alg, jwk->key))
			return JWS_VALID;
	}
	if (jws->kid != NULL && !kid_seen) {
		*why = "no key with the token's kid";
		return JWS_UNKNOWN_KID;
	}
	*why = "signature does not verify with a matching key";
	return JWS_INVALID;
}

void jws_free(struct jws *jws)
{
	/* Everything decoded from a token is wiped before it is freed: header, claims,
	 * signing input and signature (README, "Secrets"). */
	json_object_wipe_put(jws->header);
	json_object_wipe_put(jws->payload);
	if (jws->signing_input != NULL)
		explicit_bzero(jws->signing_input, strlen(jws->signing_input));
	free(jws->signing_input);
	if (jws->signature != NULL)
		explicit_bzero(jws->signature, jws->signature_len);
	free(jws->signature);
	explicit_bzero(jws, sizeof(*jws));
}
