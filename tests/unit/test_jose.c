/* base64url.h, jwk.h, jws.h and jwt_claims.h: the JOSE layer (RFC 7515, 7517, 7518, 7519,
 * 8037, 9068). Keys are generated at test time and tokens signed here with OpenSSL, so
 * every verdict is checked against real signatures, never against fixed strings. */
#include "config.h"

#include "jose/base64url.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt_claims.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers: text ---- */

static char *format_text(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *format_text(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	char *text = NULL;
	int rc = vasprintf(&text, format, args);
	va_end(args);
	assert_true(rc >= 0);
	return text;
}

/* The test's own base64url encoder (RFC 4648 §5, no padding), independent of the code under test. */
static char *b64url(const void *data, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = data;
	char *out = malloc(len / 3 * 4 + 4);
	assert_non_null(out);
	size_t n = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[n++] = alphabet[v >> 18 & 63];
		out[n++] = alphabet[v >> 12 & 63];
		out[n++] = alphabet[v >> 6 & 63];
		out[n++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[n++] = alphabet[v >> 18 & 63];
		out[n++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[n++] = alphabet[v >> 18 & 63];
		out[n++] = alphabet[v >> 12 & 63];
		out[n++] = alphabet[v >> 6 & 63];
	}
	out[n] = '\0';
	return out;
}

static char *b64url_text(const char *text)
{
	return b64url(text, strlen(text));
}

/* ---- helpers: keys and JWKs ---- */

static EVP_PKEY *generate_rsa(size_t bits)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	assert_non_null(key);
	return key;
}

static EVP_PKEY *generate_ec(const char *curve)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	assert_non_null(key);
	return key;
}

static EVP_PKEY *generate_okp(const char *type)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(key);
	return key;
}

static void add_string(struct json_object *obj, const char *name, const char *value)
{
	json_object_object_add(obj, name, json_object_new_string(value));
}

static void add_owned_string(struct json_object *obj, const char *name, char *value)
{
	add_string(obj, name, value);
	free(value);
}

/* A big-number parameter of KEY in base64url, left-padded with zeros to PAD bytes (0: minimal). */
static char *bn_param_b64url(const EVP_PKEY *key, const char *name, size_t pad)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
	size_t len = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
	unsigned char *bytes = malloc(len);
	assert_non_null(bytes);
	assert_int_equal(BN_bn2binpad(bn, bytes, (int)len), (int)len);
	char *text = b64url(bytes, len);
	free(bytes);
	BN_free(bn);
	return text;
}

static const char *jwk_curve_name(const EVP_PKEY *key)
{
	static const struct {
		const char *group, *crv;
	} names[] = {
		{ "prime256v1", "P-256" }, { "P-256", "P-256" }, { "secp384r1", "P-384" },     { "P-384", "P-384" },
		{ "secp521r1", "P-521" },  { "P-521", "P-521" }, { "secp256k1", "secp256k1" },
	};
	char group[64];
	size_t group_len = 0;
	assert_int_equal(
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_len), 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(group, names[i].group) == 0)
			return names[i].crv;
	}
	fail_msg("unexpected EC group %s", group);
	return NULL;
}

/* The public part of KEY as a JWK object (RFC 7518 §6, RFC 8037 §2); KID may be NULL. */
static struct json_object *public_jwk(const EVP_PKEY *key, const char *kid)
{
	struct json_object *jwk = json_object_new_object();
	assert_non_null(jwk);
	if (EVP_PKEY_is_a(key, "RSA")) {
		add_string(jwk, "kty", "RSA");
		add_owned_string(jwk, "n", bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_N, 0));
		add_owned_string(jwk, "e", bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_E, 0));
	} else if (EVP_PKEY_is_a(key, "EC")) {
		/* RFC 7518 §6.2.1.2: each coordinate is the full size of the curve's field. */
		size_t size = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
		add_string(jwk, "kty", "EC");
		add_string(jwk, "crv", jwk_curve_name(key));
		add_owned_string(jwk, "x", bn_param_b64url(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
		add_owned_string(jwk, "y", bn_param_b64url(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
	} else {
		unsigned char raw[64];
		size_t raw_len = sizeof(raw);
		assert_true(EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"));
		assert_int_equal(EVP_PKEY_get_raw_public_key(key, raw, &raw_len), 1);
		add_string(jwk, "kty", "OKP");
		add_string(jwk, "crv", EVP_PKEY_is_a(key, "ED25519") ? "Ed25519" : "Ed448");
		add_owned_string(jwk, "x", b64url(raw, raw_len));
	}
	if (kid != NULL)
		add_string(jwk, "kid", kid);
	return jwk;
}

static char *json_text(struct json_object *obj)
{
	char *text =
	    strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	assert_non_null(text);
	return text;
}

/* {"keys": [...]} of the given JWK objects, which it takes; the list ends with NULL. */
static char *jwks_text(struct json_object *first, ...)
{
	struct json_object *keys = json_object_new_array();
	va_list args;
	va_start(args, first);
	for (struct json_object *jwk = first; jwk != NULL; jwk = va_arg(args, struct json_object *))
		json_object_array_add(keys, jwk);
	va_end(args);
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	char *text = json_text(doc);
	json_object_put(doc);
	return text;
}

static int parse_set(const char *text, struct jwk_set *set, const char **why)
{
	*why = NULL;
	int rc = jwk_set_parse(text, strlen(text), set, why);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(*why);
		assert_int_equal(set->count, 0);
	}
	return rc;
}

/* Parses a set of one JWK object, which it takes, and checks it fails as a whole. */
static void assert_jwk_fails_set(struct json_object *jwk)
{
	char *text = jwks_text(jwk, NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), -1);
	free(text);
}

/* Parses a set of one unusable JWK and one usable one (both taken): only the usable one is kept. */
static void assert_jwk_is_skipped(struct json_object *unusable, const EVP_PKEY *good_key)
{
	char *text = jwks_text(unusable, public_jwk(good_key, "good"), NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	assert_int_equal(set.count, 1);
	assert_string_equal(set.keys[0].kid, "good");
	assert_int_equal(EVP_PKEY_eq(set.keys[0].key, good_key), 1);
	jwk_set_free(&set);
	free(text);
}

/* ---- helpers: signing ---- */

enum scheme_kind { SCHEME_RSA_PKCS1, SCHEME_RSA_PSS, SCHEME_ECDSA, SCHEME_ECDSA_DER, SCHEME_EDDSA };

/* How the test signs: by JOSE name (RFC 7518 §3), plus a few the module must refuse. */
static const struct scheme {
	const char *name;
	enum scheme_kind kind;
	const char *digest;
	int salt_len;   /* PSS: the digest length (RFC 7518 §3.5) */
	size_t ec_half; /* ECDSA: bytes of r and of s */
} schemes[] = {
	{ "RS1", SCHEME_RSA_PKCS1, "SHA1", 0, 0 },     /* SHA-1: not a JOSE alg we implement */
	{ "RS256", SCHEME_RSA_PKCS1, "SHA256", 0, 0 }, /* RFC 7518 §3.3 */
	{ "RS384", SCHEME_RSA_PKCS1, "SHA384", 0, 0 },
	{ "RS512", SCHEME_RSA_PKCS1, "SHA512", 0, 0 },
	{ "PS256", SCHEME_RSA_PSS, "SHA256", 32, 0 }, /* RFC 7518 §3.5 */
	{ "PS384", SCHEME_RSA_PSS, "SHA384", 48, 0 },
	{ "PS512", SCHEME_RSA_PSS, "SHA512", 64, 0 },
	{ "PS256-salt0", SCHEME_RSA_PSS, "SHA256", 0, 0 }, /* PSS with no salt: not PS256 */
	{ "ES256", SCHEME_ECDSA, "SHA256", 0, 32 },        /* RFC 7518 §3.4 */
	{ "ES384", SCHEME_ECDSA, "SHA384", 0, 48 },
	{ "ES512", SCHEME_ECDSA, "SHA512", 0, 66 },
	{ "ES256-DER", SCHEME_ECDSA_DER, "SHA256", 0, 32 }, /* the DER signature OpenSSL makes, not r||s */
	{ "EdDSA", SCHEME_EDDSA, NULL, 0, 0 },
};

static const struct scheme *find_scheme(const char *name)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strcmp(schemes[i].name, name) == 0)
			return &schemes[i];
	}
	fail_msg("no signing scheme %s", name);
	return NULL;
}

/* ECDSA signatures in JOSE are r||s, each left-padded to HALF bytes (RFC 7518 §3.4). */
static unsigned char *der_to_raw(const unsigned char *der, size_t der_len, size_t half)
{
	const unsigned char *cursor = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &cursor, (long)der_len);
	assert_non_null(sig);
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(sig, &r, &s);
	unsigned char *raw = malloc(2 * half);
	assert_non_null(raw);
	assert_int_equal(BN_bn2binpad(r, raw, (int)half), (int)half);
	assert_int_equal(BN_bn2binpad(s, raw + half, (int)half), (int)half);
	ECDSA_SIG_free(sig);
	return raw;
}

/* Signs INPUT with KEY the way SCHEME_NAME says. Returns the JOSE signature bytes. */
static unsigned char *sign_input(const EVP_PKEY *key, const char *scheme_name, const char *input, size_t *sig_len)
{
	const struct scheme *scheme = find_scheme(scheme_name);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pkey_ctx = NULL;
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pkey_ctx, scheme->digest, NULL, NULL, (EVP_PKEY *)key, NULL), 1);
	if (scheme->kind == SCHEME_RSA_PKCS1)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING), 1);
	if (scheme->kind == SCHEME_RSA_PSS) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, scheme->salt_len), 1);
	}
	size_t len = 0;
	assert_int_equal(EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)input, strlen(input)), 1);
	unsigned char *sig = malloc(len);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	if (scheme->kind == SCHEME_ECDSA) {
		unsigned char *raw = der_to_raw(sig, len, scheme->ec_half);
		free(sig);
		sig = raw;
		len = 2 * scheme->ec_half;
	}
	*sig_len = len;
	return sig;
}

/* BASE64URL(HEADER) "." BASE64URL(PAYLOAD) */
static char *signing_input_of(const char *header, const char *payload)
{
	char *h = b64url_text(header), *p = b64url_text(payload);
	char *input = format_text("%s.%s", h, p);
	free(h);
	free(p);
	return input;
}

static char *token_of(const char *header, const char *payload, const unsigned char *sig, size_t sig_len)
{
	char *input = signing_input_of(header, payload);
	char *s = b64url(sig, sig_len);
	char *token = format_text("%s.%s", input, s);
	free(input);
	free(s);
	return token;
}

static unsigned char *sign_claims(const EVP_PKEY *key, const char *scheme, const char *header, const char *payload,
				  size_t *sig_len)
{
	char *input = signing_input_of(header, payload);
	unsigned char *sig = sign_input(key, scheme, input, sig_len);
	free(input);
	return sig;
}

static char *signed_token(const EVP_PKEY *key, const char *scheme, const char *header, const char *payload)
{
	size_t sig_len;
	unsigned char *sig = sign_claims(key, scheme, header, payload, &sig_len);
	char *token = token_of(header, payload, sig, sig_len);
	free(sig);
	return token;
}

/* A token "signed" with HMAC-SHA256 under SECRET (RFC 7518 §3.2). */
static char *hs256_token(const void *secret, size_t secret_len, const char *header, const char *payload)
{
	char *input = signing_input_of(header, payload);
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, secret_len, (const unsigned char *)input,
				  strlen(input), mac, sizeof(mac), &mac_len));
	assert_int_equal(mac_len, 32);
	char *token = token_of(header, payload, mac, mac_len);
	free(input);
	return token;
}

/* {"alg":ALG,"kid":KID,"typ":"JWT"}, without kid when KID is NULL. */
static char *header_of(const char *alg, const char *kid)
{
	if (kid == NULL)
		return format_text("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
	return format_text("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid);
}

#define NOW 1700000000
#define ISSUER "https://idp.example.org"
#define AUDIENCE "pam-client"
#define PAYLOAD "{\"iss\":\"" ISSUER "\",\"sub\":\"alice\",\"aud\":\"" AUDIENCE "\",\"exp\":1700000300}"
/* PAYLOAD with one character changed. */
#define PAYLOAD_TAMPERED "{\"iss\":\"" ISSUER "\",\"sub\":\"alicf\",\"aud\":\"" AUDIENCE "\",\"exp\":1700000300}"

/* ---- helpers: verdicts ---- */

#define NOT_PARSED (-1)

/* jws_parse then jws_verify: NOT_PARSED or the verdict. A refusal must say why. */
static int verdict_of(const char *token, const struct jwk_set *set, const char *allowed)
{
	struct jws jws;
	const char *why = NULL;
	if (jws_parse(token, &jws, &why) != 0) {
		assert_non_null(why);
		assert_null(jws.header);
		assert_null(jws.payload);
		assert_null(jws.signature);
		assert_null(jws.signing_input);
		return NOT_PARSED;
	}
	why = NULL;
	enum jws_verdict verdict = jws_verify(&jws, set, allowed, &why);
	if (verdict != JWS_VALID)
		assert_non_null(why);
	jws_free(&jws);
	return (int)verdict;
}

/* Refused outright: not parsed, or JWS_INVALID (JWS_UNKNOWN_KID would make the caller fetch keys again). */
static void assert_refused(const char *token, const struct jwk_set *set, const char *allowed)
{
	int verdict = verdict_of(token, set, allowed);
	if (verdict != NOT_PARSED && verdict != JWS_INVALID)
		fail_msg("token accepted or sent to a key refresh (verdict %d)", verdict);
}

static void assert_not_parsed(const char *token)
{
	struct jws jws;
	const char *why = NULL;
	assert_int_equal(jws_parse(token, &jws, &why), -1);
	assert_non_null(why);
}

/* ---- fixture: the IdP's keys, generated once ---- */

struct test_keys {
	EVP_PKEY *rsa; /* 2048 bits */
	EVP_PKEY *rsa_1024;
	EVP_PKEY *p256, *p384, *p521, *ed25519, *ed448;
	EVP_PKEY *secp256k1;
	EVP_PKEY *attacker_p256; /* in no set */
	char *set_text;
	struct jwk_set set; /* kids "rsa", "p256", "p384", "p521", "ed25519", "ed448" */
};

static int setup_keys(void **state)
{
	struct test_keys *k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->rsa = generate_rsa(2048);
	k->rsa_1024 = generate_rsa(1024);
	k->p256 = generate_ec("P-256");
	k->p384 = generate_ec("P-384");
	k->p521 = generate_ec("P-521");
	k->ed25519 = generate_okp("ED25519");
	k->ed448 = generate_okp("ED448");
	k->secp256k1 = generate_ec("secp256k1");
	k->attacker_p256 = generate_ec("P-256");
	k->set_text = jwks_text(public_jwk(k->rsa, "rsa"), public_jwk(k->p256, "p256"), public_jwk(k->p384, "p384"),
				public_jwk(k->p521, "p521"), public_jwk(k->ed25519, "ed25519"),
				public_jwk(k->ed448, "ed448"), NULL);
	const char *why;
	assert_int_equal(parse_set(k->set_text, &k->set, &why), 0);
	assert_int_equal(k->set.count, 6);
	*state = k;
	return 0;
}

static int teardown_keys(void **state)
{
	struct test_keys *k = *state;
	jwk_set_free(&k->set);
	free(k->set_text);
	EVP_PKEY *keys[] = { k->rsa,     k->rsa_1024, k->p256,      k->p384,         k->p521,
			     k->ed25519, k->ed448,    k->secp256k1, k->attacker_p256 };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	free(k);
	return 0;
}

/* ---- base64url_decode ---- */

static void assert_decodes(const char *in, const void *expected, size_t expected_len)
{
	unsigned char *out = NULL;
	size_t out_len = 99;
	assert_int_equal(base64url_decode(in, strlen(in), &out, &out_len), 0);
	assert_non_null(out);
	assert_int_equal(out_len, expected_len);
	assert_memory_equal(out, expected, expected_len);
	assert_int_equal(out[out_len], '\0'); /* the NUL the contract promises after the bytes */
	free(out);
}

static void assert_not_decoded_len(const char *in, size_t len)
{
	unsigned char *out = (unsigned char *)"sentinel";
	size_t out_len = 99;
	assert_int_equal(base64url_decode(in, len, &out, &out_len), -1);
	assert_null(out);
	assert_int_equal(out_len, 0);
}

static void assert_not_decoded(const char *in)
{
	assert_not_decoded_len(in, strlen(in));
}

static void test_base64url_decodes_rfc4648_vectors(void **state)
{
	(void)state;
	/* RFC 4648 §10, without the padding JOSE leaves out. */
	assert_decodes("Zg", "f", 1);
	assert_decodes("Zm8", "fo", 2);
	assert_decodes("Zm9v", "foo", 3);
	assert_decodes("Zm9vYg", "foob", 4);
	assert_decodes("Zm9vYmE", "fooba", 5);
	assert_decodes("Zm9vYmFy", "foobar", 6);
}

static void test_base64url_empty_input_gives_zero_bytes(void **state)
{
	(void)state;
	unsigned char *out = NULL;
	size_t out_len = 99;
	assert_int_equal(base64url_decode("", 0, &out, &out_len), 0);
	assert_int_equal(out_len, 0);
	assert_non_null(out);
	assert_int_equal(out[0], '\0');
	free(out);
}

static void test_base64url_accepts_dash_and_underscore(void **state)
{
	(void)state;
	static const unsigned char all_ones[] = { 0xfb, 0xff, 0xbf };
	assert_decodes("-_-_", all_ones, 3);
	static const unsigned char two[] = { 0xfb, 0xff };
	assert_decodes("-_8", two, 2);
	static const unsigned char high[] = { 0xff, 0xff, 0xff };
	assert_decodes("____", high, 3);
}

static void test_base64url_decodes_only_len_characters(void **state)
{
	(void)state;
	unsigned char *out = NULL;
	size_t out_len = 0;
	assert_int_equal(base64url_decode("Zm9vYmFy", 4, &out, &out_len), 0);
	assert_int_equal(out_len, 3);
	assert_memory_equal(out, "foo", 3);
	free(out);
	/* What follows LEN, padding here, is not read. */
	assert_int_equal(base64url_decode("Zm9vYg==", 6, &out, &out_len), 0);
	assert_int_equal(out_len, 4);
	assert_memory_equal(out, "foob", 4);
	free(out);
}

static void test_base64url_refuses_the_standard_alphabet_and_padding(void **state)
{
	(void)state;
	assert_not_decoded("-+8"); /* '+' and '/' belong to base64, not base64url */
	assert_not_decoded("_/8");
	assert_not_decoded("Zm+v");
	assert_not_decoded("Zm/v");
	assert_not_decoded("Zg==");
	assert_not_decoded("Zm8=");
	assert_not_decoded("Zm9v====");
	assert_not_decoded("=");
}

static void test_base64url_refuses_white_space_and_other_bytes(void **state)
{
	(void)state;
	assert_not_decoded("Zm9v\n");
	assert_not_decoded(" Zm9v");
	assert_not_decoded("Zm 9v");
	assert_not_decoded("Zm9v\tYmFy");
	assert_not_decoded("Zm9v\r\nYmFy");
	assert_not_decoded("Zm.v");
	assert_not_decoded("Zm9\xc3\xa9");
	assert_not_decoded_len("Zm\0v", 4); /* a NUL within LEN is not the end */
}

static void test_base64url_refuses_length_one_mod_four(void **state)
{
	(void)state;
	assert_not_decoded("A");
	assert_not_decoded("Zm9vY");
	assert_not_decoded("Zm9vYmFyZ");
}

static void test_base64url_refuses_nonzero_leftover_bits(void **state)
{
	(void)state;
	/* One text per value: "Zg" is "f"; "Zh" to "Zv" would decode to "f" too if the low bits were ignored. */
	assert_not_decoded("Zh");
	assert_not_decoded("Zv");
	assert_not_decoded("Zm9"); /* "fo" is "Zm8" */
	assert_not_decoded("Zm9vYh");
	assert_not_decoded("Zm9vYmF");
	assert_not_decoded("__"); /* the leftover of a 2-character group is 4 bits */
	assert_not_decoded("___");
}

static void test_base64url_round_trips_the_test_encoder(void **state)
{
	(void)state;
	unsigned char bytes[70];
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(bytes); len++) {
		char *text = b64url(bytes, len);
		assert_int_not_equal(strlen(text) % 4, 1);
		assert_decodes(text, bytes, len);
		free(text);
	}
}

/* ---- jwk_set_parse ---- */

static void test_jwks_parses_one_key_of_each_type(void **state)
{
	const struct test_keys *k = *state;
	static const struct {
		const char *kid;
		enum jwk_type kty;
		const char *crv;
	} expected[] = {
		{ "rsa", JWK_RSA, NULL },    { "p256", JWK_EC, "P-256" },       { "p384", JWK_EC, "P-384" },
		{ "p521", JWK_EC, "P-521" }, { "ed25519", JWK_OKP, "Ed25519" }, { "ed448", JWK_OKP, "Ed448" },
	};
	const EVP_PKEY *originals[] = { k->rsa, k->p256, k->p384, k->p521, k->ed25519, k->ed448 };
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(k->set_text, &set, &why), 0);
	assert_int_equal(set.count, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(set.keys[i].kid, expected[i].kid);
		assert_int_equal(set.keys[i].kty, expected[i].kty);
		if (expected[i].crv == NULL)
			assert_null(set.keys[i].crv);
		else
			assert_string_equal(set.keys[i].crv, expected[i].crv);
		assert_null(set.keys[i].alg);
		assert_non_null(set.keys[i].key);
		/* The key is the one the test generated, not just any key of that type. */
		assert_int_equal(EVP_PKEY_eq(set.keys[i].key, originals[i]), 1);
	}
	jwk_set_free(&set);
	assert_int_equal(set.count, 0);
}

static void test_jwks_keeps_alg_use_sig_and_keys_without_kid(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *rsa = public_jwk(k->rsa, "rsa");
	add_string(rsa, "alg", "RS256");
	add_string(rsa, "use", "sig");
	char *text = jwks_text(rsa, public_jwk(k->p256, NULL), NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	assert_int_equal(set.count, 2);
	assert_string_equal(set.keys[0].alg, "RS256");
	assert_null(set.keys[1].kid);
	assert_int_equal(EVP_PKEY_eq(set.keys[1].key, k->p256), 1);
	jwk_set_free(&set);
	free(text);
}

static void test_jwks_skips_encryption_keys(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *enc = public_jwk(k->rsa, "enc");
	add_string(enc, "use", "enc");
	assert_jwk_is_skipped(enc, k->p256);
}

static void test_jwks_skips_symmetric_keys(void **state)
{
	const struct test_keys *k = *state;
	assert_jwk_is_skipped(json_tokener_parse("{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0LWtleQ\"}"),
			      k->ed25519);
}

static void test_jwks_skips_unknown_key_types(void **state)
{
	const struct test_keys *k = *state;
	assert_jwk_is_skipped(json_tokener_parse("{\"kty\":\"PQC\",\"kid\":\"future\",\"x\":\"AAAA\"}"), k->p256);
	/* kty names are case-sensitive (RFC 7517 §4.1). */
	struct json_object *lower = public_jwk(k->rsa, "lower");
	add_string(lower, "kty", "rsa");
	assert_jwk_is_skipped(lower, k->p256);
}

static void test_jwks_skips_rsa_under_2048_bits(void **state)
{
	const struct test_keys *k = *state;
	assert_jwk_is_skipped(public_jwk(k->rsa_1024, "weak"), k->p256);
}

static void test_jwks_skips_unknown_curves(void **state)
{
	const struct test_keys *k = *state;
	/* A real secp256k1 point (ES256K, RFC 8812): a curve we do not implement. */
	assert_jwk_is_skipped(public_jwk(k->secp256k1, "k1"), k->p256);
	/* An ECDH curve under OKP (RFC 8037 §2): never a signing key. */
	struct json_object *x25519 = public_jwk(k->ed25519, "x25519");
	add_string(x25519, "crv", "X25519");
	assert_jwk_is_skipped(x25519, k->p256);
}

static void test_jwks_fails_on_bad_base64url_in_n(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->rsa, "rsa");
	char *n = strdup(json_object_get_string(json_object_object_get(jwk, "n")));
	n[10] = '+';
	add_owned_string(jwk, "n", n);
	assert_jwk_fails_set(jwk);

	jwk = public_jwk(k->rsa, "rsa");
	add_string(jwk, "e", "AQAB=");
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_rsa_key_missing_a_member(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->rsa, "rsa");
	json_object_object_del(jwk, "e");
	assert_jwk_fails_set(jwk);
	jwk = public_jwk(k->rsa, "rsa");
	json_object_object_add(jwk, "n", json_object_new_int(65537));
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_ec_point_off_the_curve(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->p256, "p256");
	/* y + 1 (in its last byte): same size, but no longer a point of P-256. */
	BIGNUM *y = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(k->p256, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	assert_int_equal(BN_add_word(y, 1), 1);
	unsigned char bytes[32];
	assert_int_equal(BN_bn2binpad(y, bytes, 32), 32);
	add_owned_string(jwk, "y", b64url(bytes, 32));
	BN_free(y);
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_ec_coordinate_of_wrong_length(void **state)
{
	const struct test_keys *k = *state;
	unsigned char x[33];
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(k->p256, OSSL_PKEY_PARAM_EC_PUB_X, &bn), 1);
	/* The same x with one leading zero byte: the value is right, the length is not (RFC 7518 §6.2.1.2). */
	assert_int_equal(BN_bn2binpad(bn, x, 33), 33);
	BN_free(bn);
	struct json_object *jwk = public_jwk(k->p256, "p256");
	add_owned_string(jwk, "x", b64url(x, 33));
	assert_jwk_fails_set(jwk);
	/* The right x followed by one more byte: its first 32 bytes alone would make a valid key. */
	unsigned char x_and_more[33];
	memcpy(x_and_more, x + 1, 32);
	x_and_more[32] = 0x00;
	jwk = public_jwk(k->p256, "p256");
	add_owned_string(jwk, "x", b64url(x_and_more, 33));
	assert_jwk_fails_set(jwk);
	/* A P-256 point labelled P-384. */
	jwk = public_jwk(k->p256, "p256");
	add_string(jwk, "crv", "P-384");
	assert_jwk_fails_set(jwk);
	/* x and y of a P-384 key are too long for P-256. */
	jwk = public_jwk(k->p384, "p384");
	add_string(jwk, "crv", "P-256");
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_ec_or_okp_without_crv(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->p256, "p256");
	json_object_object_del(jwk, "crv");
	assert_jwk_fails_set(jwk);
	jwk = public_jwk(k->ed25519, "ed");
	json_object_object_del(jwk, "crv");
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_ed25519_key_of_31_bytes(void **state)
{
	const struct test_keys *k = *state;
	unsigned char raw[32];
	size_t raw_len = sizeof(raw);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k->ed25519, raw, &raw_len), 1);
	struct json_object *jwk = public_jwk(k->ed25519, "ed");
	add_owned_string(jwk, "x", b64url(raw, 31));
	assert_jwk_fails_set(jwk);
	/* An Ed25519 key labelled Ed448. */
	jwk = public_jwk(k->ed25519, "ed");
	add_string(jwk, "crv", "Ed448");
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_kid_or_alg_not_a_string(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->p256, NULL);
	json_object_object_add(jwk, "kid", json_object_new_int(1));
	assert_jwk_fails_set(jwk);
	jwk = public_jwk(k->p256, "p256");
	json_object_object_add(jwk, "alg", json_object_new_array());
	assert_jwk_fails_set(jwk);
}

static void test_jwks_fails_on_a_key_that_is_not_an_object(void **state)
{
	(void)state;
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set("{\"keys\":[\"RSA\"]}", &set, &why), -1);
	assert_int_equal(parse_set("{\"keys\":[{\"kid\":\"no-kty\"}]}", &set, &why), -1);
}

static void test_jwks_fails_when_not_a_keys_array(void **state)
{
	(void)state;
	static const char *const documents[] = {
		"",
		"[]",
		"\"keys\"",
		"{}",
		"{\"keys\":{}}",
		"{\"keys\":\"none\"}",
		"{\"keys\":null}",
		"{\"Keys\":[]}",
		"{\"keys\":[]} {\"keys\":[]}",
		"{\"keys\":[]",
	};
	for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++) {
		struct jwk_set set;
		const char *why;
		if (parse_set(documents[i], &set, &why) != -1)
			fail_msg("accepted %s", documents[i]);
	}
}

static void test_jwks_empty_keys_array_parses_to_no_keys(void **state)
{
	(void)state;
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set("{\"keys\":[]}", &set, &why), 0);
	assert_int_equal(set.count, 0);
	jwk_set_free(&set);
}

/* {"keys": [...]} with USABLE Ed25519 keys and then ENCRYPTION keys with use "enc". */
static char *many_keys_text(const EVP_PKEY *key, size_t usable, size_t encryption)
{
	struct json_object *keys = json_object_new_array();
	for (size_t i = 0; i < usable + encryption; i++) {
		char kid[32];
		snprintf(kid, sizeof(kid), "key-%zu", i);
		struct json_object *jwk = public_jwk(key, kid);
		if (i >= usable)
			add_string(jwk, "use", "enc");
		json_object_array_add(keys, jwk);
	}
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	char *text = json_text(doc);
	json_object_put(doc);
	return text;
}

static void test_jwks_takes_up_to_the_maximum_number_of_keys(void **state)
{
	const struct test_keys *k = *state;
	char *text = many_keys_text(k->ed25519, JWKS_MAX_KEYS, 0);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	assert_int_equal(set.count, JWKS_MAX_KEYS);
	assert_string_equal(set.keys[JWKS_MAX_KEYS - 1].kid, "key-31");
	jwk_set_free(&set);
	free(text);
}

static void test_jwks_fails_with_more_usable_keys_than_the_maximum(void **state)
{
	const struct test_keys *k = *state;
	char *text = many_keys_text(k->ed25519, JWKS_MAX_KEYS + 1, 0);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), -1);
	free(text);
}

static void test_jwks_skipped_keys_do_not_count_toward_the_maximum(void **state)
{
	const struct test_keys *k = *state;
	/* Only usable keys fill the set: a full set followed by an encryption key still parses. */
	char *text = many_keys_text(k->ed25519, JWKS_MAX_KEYS, 1);
	struct jwk_set set;
	const char *why;
	int rc = parse_set(text, &set, &why);
	free(text);
	assert_int_equal(rc, 0);
	assert_int_equal(set.count, JWKS_MAX_KEYS);
	jwk_set_free(&set);
}

/* ---- jws_parse and jws_verify: tokens that verify ---- */

/* Signs a token for ALG with KEY (kid KID or none), checks jws_parse exposes it and it
 * verifies; then checks the same signature over a payload one character off does not. */
static void assert_signs_and_verifies(const struct jwk_set *set, const EVP_PKEY *key, const char *alg, const char *kid)
{
	char *header = header_of(alg, kid);
	size_t sig_len;
	unsigned char *sig = sign_claims(key, alg, header, PAYLOAD, &sig_len);
	char *token = token_of(header, PAYLOAD, sig, sig_len);

	struct jws jws;
	const char *why = NULL;
	assert_int_equal(jws_parse(token, &jws, &why), 0);
	assert_string_equal(jws.alg, alg);
	if (kid != NULL)
		assert_string_equal(jws.kid, kid);
	else
		assert_null(jws.kid);
	assert_string_equal(jws.typ, "JWT");
	assert_int_equal(jws.signature_len, sig_len);
	assert_memory_equal(jws.signature, sig, sig_len);
	char *input = signing_input_of(header, PAYLOAD);
	assert_string_equal(jws.signing_input, input);
	free(input);
	assert_string_equal(jwt_string_claim(&jws, "sub"), "alice");
	assert_int_equal(jws_verify(&jws, set, JWS_SUPPORTED_ALGS, &why), JWS_VALID);
	assert_int_equal(jws_verify(&jws, set, alg, &why), JWS_VALID);
	jws_free(&jws);
	free(token);

	token = token_of(header, PAYLOAD_TAMPERED, sig, sig_len);
	assert_int_equal(verdict_of(token, set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
	free(header);
}

static void test_verify_rs256(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "RS256", "rsa");
}

static void test_verify_rs384(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "RS384", "rsa");
}

static void test_verify_rs512(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "RS512", "rsa");
}

static void test_verify_ps256(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "PS256", "rsa");
}

static void test_verify_ps384(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "PS384", "rsa");
}

static void test_verify_ps512(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->rsa, "PS512", "rsa");
}

static void test_verify_es256(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->p256, "ES256", "p256");
}

static void test_verify_es384(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->p384, "ES384", "p384");
}

static void test_verify_es512(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->p521, "ES512", "p521");
}

static void test_verify_eddsa_ed25519(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->ed25519, "EdDSA", "ed25519");
}

static void test_verify_eddsa_ed448(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->ed448, "EdDSA", "ed448");
}

static void test_verify_without_kid_tries_every_key(void **state)
{
	const struct test_keys *k = *state;
	assert_signs_and_verifies(&k->set, k->p384, "ES384", NULL);
	assert_signs_and_verifies(&k->set, k->rsa, "PS256", NULL);
	assert_signs_and_verifies(&k->set, k->ed448, "EdDSA", NULL);
}

static void test_verify_tries_every_key_sharing_the_kid(void **state)
{
	const struct test_keys *k = *state;
	/* Two keys under one kid: the one of the token's curve is used whatever the order. */
	char *text = jwks_text(public_jwk(k->p384, "ec"), public_jwk(k->p256, "ec"), NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	assert_signs_and_verifies(&set, k->p256, "ES256", "ec");
	assert_signs_and_verifies(&set, k->p384, "ES384", "ec");
	jwk_set_free(&set);
	free(text);
}

/* ---- jws_verify: refusals ---- */

static void test_alg_none_with_empty_signature_is_refused(void **state)
{
	const struct test_keys *k = *state;
	char *h = b64url_text("{\"alg\":\"none\",\"typ\":\"JWT\"}"), *p = b64url_text(PAYLOAD);
	char *token = format_text("%s.%s.", h, p);
	assert_refused(token, &k->set, "none " JWS_SUPPORTED_ALGS);
	free(token);
	free(h);
	free(p);
}

static void test_alg_none_with_fake_signature_is_refused(void **state)
{
	const struct test_keys *k = *state;
	static const char *const headers[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"none\",\"kid\":\"rsa\"}",
		"{\"alg\":\"None\",\"kid\":\"rsa\"}",
		"{\"alg\":\"NONE\"}",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *token = token_of(headers[i], PAYLOAD, (const unsigned char *)"\x01\x02\x03", 3);
		assert_refused(token, &k->set, "none None NONE " JWS_SUPPORTED_ALGS);
		free(token);
	}
}

/* HMAC keyed with SECRET, the public key in some encoding an attacker can get. */
static void assert_hmac_forgery_refused(const struct jwk_set *set, const void *secret, size_t secret_len)
{
	static const char *const headers[] = {
		"{\"alg\":\"HS256\",\"kid\":\"rsa\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *token = hs256_token(secret, secret_len, headers[i], PAYLOAD);
		assert_int_equal(verdict_of(token, set, "HS256 " JWS_SUPPORTED_ALGS), JWS_INVALID);
		assert_int_equal(verdict_of(token, set, "HS256"), JWS_INVALID);
		free(token);
	}
}

static void test_hs256_keyed_with_the_rsa_public_key_is_refused(void **state)
{
	const struct test_keys *k = *state;
	/* The classic key confusion: HMAC "signed" with the verifier's own public key. */
	BIO *bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k->rsa), 1);
	char *pem = NULL;
	long pem_len = BIO_get_mem_data(bio, &pem);
	assert_true(pem_len > 0);
	assert_hmac_forgery_refused(&k->set, pem, (size_t)pem_len);
	BIO_free(bio);

	unsigned char *der = NULL;
	int der_len = i2d_PUBKEY(k->rsa, &der);
	assert_true(der_len > 0);
	assert_hmac_forgery_refused(&k->set, der, (size_t)der_len);
	OPENSSL_free(der);

	struct json_object *jwk = public_jwk(k->rsa, "rsa");
	char *jwk_json = json_text(jwk);
	assert_hmac_forgery_refused(&k->set, jwk_json, strlen(jwk_json));
	free(jwk_json);
	json_object_put(jwk);
}

static void test_hs256_keyed_with_an_ec_public_key_is_refused(void **state)
{
	const struct test_keys *k = *state;
	unsigned char *der = NULL;
	int der_len = i2d_PUBKEY(k->p256, &der);
	assert_true(der_len > 0);
	assert_hmac_forgery_refused(&k->set, der, (size_t)der_len);
	OPENSSL_free(der);
}

static void test_alg_not_in_allowed_algs_is_refused(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("RS256", "rsa");
	char *token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, "RS256"), JWS_VALID); /* control */
	assert_int_equal(verdict_of(token, &k->set, "PS256 ES256 EdDSA"), JWS_INVALID);
	/* Whole names only: neither a longer name nor a prefix allows RS256. */
	assert_int_equal(verdict_of(token, &k->set, "RS2560 XRS256 RS25 RS"), JWS_INVALID);
	assert_int_equal(verdict_of(token, &k->set, ""), JWS_INVALID);
	free(token);
	free(header);
}

static void test_algs_we_do_not_implement_are_refused(void **state)
{
	const struct test_keys *k = *state;
	/* Each signature is valid for the named key under the nearest alg we do implement:
	 * only the alg check can refuse it. */
	static const struct {
		const char *alg, *scheme, *kid;
	} cases[] = {
		{ "RS1", "RS1", "rsa" },           /* RSA PKCS#1 with SHA-1 */
		{ "ES256K", "ES256", "p256" },     /* RFC 8812; signed here with P-256: only the name is wrong */
		{ "rs256", "RS256", "rsa" },       /* alg names are case-sensitive (RFC 7515 §4.1.1) */
		{ "RS256 ", "RS256", "rsa" },      /* not trimmed */
		{ "Ed25519", "EdDSA", "ed25519" }, /* a curve, not an alg (RFC 8037 §3.1) */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *header = header_of(cases[i].alg, cases[i].kid);
		const EVP_PKEY *key = strcmp(cases[i].kid, "rsa") == 0    ? k->rsa
				      : strcmp(cases[i].kid, "p256") == 0 ? k->p256
									  : k->ed25519;
		char *token = signed_token(key, cases[i].scheme, header, PAYLOAD);
		char *allowed = format_text("%s %s", cases[i].alg, JWS_SUPPORTED_ALGS);
		if (verdict_of(token, &k->set, allowed) != JWS_INVALID)
			fail_msg("alg \"%s\" was not refused", cases[i].alg);
		assert_false(jws_alg_supported(cases[i].alg, strlen(cases[i].alg)));
		free(allowed);
		free(token);
		free(header);
	}
}

static void test_alg_supported_names_exactly_the_implemented_algs(void **state)
{
	(void)state;
	static const char *const implemented[] = { "RS256", "RS384", "RS512", "PS256", "PS384",
						   "PS512", "ES256", "ES384", "ES512", "EdDSA" };
	for (size_t i = 0; i < sizeof(implemented) / sizeof(implemented[0]); i++) {
		assert_true(jws_alg_supported(implemented[i], strlen(implemented[i])));
		/* A prefix of the name is another name. */
		assert_false(jws_alg_supported(implemented[i], strlen(implemented[i]) - 1));
	}
	static const char *const refused[] = { "none", "HS256", "HS384", "HS512", "RS1", "ES256K", "EdDSA2", "" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_false(jws_alg_supported(refused[i], strlen(refused[i])));
}

static void test_unknown_kid_asks_for_a_key_refresh(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("ES256", "rotated");
	char *token = signed_token(k->p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_UNKNOWN_KID);
	free(token);
	free(header);

	/* An empty set knows no kid either. */
	struct jwk_set empty;
	const char *why;
	assert_int_equal(parse_set("{\"keys\":[]}", &empty, &why), 0);
	header = header_of("ES256", "p256");
	token = signed_token(k->p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &empty, JWS_SUPPORTED_ALGS), JWS_UNKNOWN_KID);
	free(token);
	free(header);
}

static void test_no_kid_and_no_fitting_key_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	/* Without a kid there is no kid to be unknown: a refresh would not help. */
	char *header = header_of("ES256", NULL);
	char *token = signed_token(k->attacker_p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
}

static void test_kid_of_a_key_of_another_type_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	/* ES256 by the P-256 key, but the kid names the RSA key. */
	char *header = header_of("ES256", "rsa");
	char *token = signed_token(k->p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
	/* "EdDSA" naming the P-256 key, carrying an ECDSA signature by it in the DER form OpenSSL
	 * would check: the type check, not OpenSSL, must refuse it. */
	header = header_of("EdDSA", "p256");
	token = signed_token(k->p256, "ES256-DER", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
	/* RS256 by the RSA key, kid naming the Ed25519 key. */
	header = header_of("RS256", "ed25519");
	token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
}

static void test_signature_by_another_key_under_a_known_kid_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("ES256", "p256");
	char *token = signed_token(k->attacker_p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
}

static void test_es256_against_a_p384_key_of_the_same_kid_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	char *text = jwks_text(public_jwk(k->p384, "ec"), NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	char *header = header_of("ES256", "ec");
	char *token = signed_token(k->p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	/* The P-384 key itself, signing with SHA-256 but labelled ES256: the curve does not fit the alg. */
	size_t sig_len;
	unsigned char *sig = sign_claims(k->p384, "ES384", header, PAYLOAD, &sig_len);
	token = token_of(header, PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, &set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
	free(header);
	jwk_set_free(&set);
	free(text);

	/* ES384 is SHA-384 on P-384 only: the P-256 key signing SHA-384, r and s padded to 48 bytes. */
	header = header_of("ES384", "p256");
	token = signed_token(k->p256, "ES384", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
}

static void test_key_restricted_to_rs256_refuses_ps256(void **state)
{
	const struct test_keys *k = *state;
	struct json_object *jwk = public_jwk(k->rsa, "rsa");
	add_string(jwk, "alg", "RS256");
	char *text = jwks_text(jwk, NULL);
	struct jwk_set set;
	const char *why;
	assert_int_equal(parse_set(text, &set, &why), 0);
	char *header = header_of("PS256", "rsa");
	char *token = signed_token(k->rsa, "PS256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_VALID); /* control: unrestricted key */
	free(token);
	free(header);
	header = header_of("RS256", "rsa");
	token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &set, JWS_SUPPORTED_ALGS), JWS_VALID);
	free(token);
	free(header);
	jwk_set_free(&set);
	free(text);
}

static void test_tampered_header_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	const char *header = "{\"alg\":\"RS256\",\"kid\":\"rsa\",\"typ\":\"JWT\"}";
	size_t sig_len;
	unsigned char *sig = sign_claims(k->rsa, "RS256", header, PAYLOAD, &sig_len);
	char *token = token_of(header, PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_VALID); /* control */
	free(token);
	token = token_of("{\"alg\":\"RS256\",\"kid\":\"rsa\",\"typ\":\"JWS\"}", PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	/* The same signature relabelled PS256: another alg, same key. */
	token = token_of("{\"alg\":\"PS256\",\"kid\":\"rsa\",\"typ\":\"JWT\"}", PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
}

static void test_tampered_payload_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("ES256", "p256");
	size_t sig_len;
	unsigned char *sig = sign_claims(k->p256, "ES256", header, PAYLOAD, &sig_len);
	char *token = token_of(header, PAYLOAD_TAMPERED, sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	/* Same claims, other white space: the signature covers the bytes, not the meaning. */
	token =
	    token_of(header, "{\"iss\": \"" ISSUER "\",\"sub\":\"alice\",\"aud\":\"" AUDIENCE "\",\"exp\":1700000300}",
		     sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
	free(header);
}

/* A signature of ALG by KEY with one bit flipped at each of a few places is refused. */
static void assert_flipped_bits_invalid(const struct jwk_set *set, const EVP_PKEY *key, const char *alg,
					const char *kid)
{
	char *header = header_of(alg, kid);
	size_t sig_len;
	unsigned char *sig = sign_claims(key, alg, header, PAYLOAD, &sig_len);
	const size_t places[] = { 0, sig_len / 2, sig_len - 1 };
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		sig[places[i]] ^= 0x01;
		char *token = token_of(header, PAYLOAD, sig, sig_len);
		if (verdict_of(token, set, JWS_SUPPORTED_ALGS) != JWS_INVALID)
			fail_msg("%s: flipping a bit of byte %zu was not noticed", alg, places[i]);
		free(token);
		sig[places[i]] ^= 0x01;
	}
	char *token = token_of(header, PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, set, JWS_SUPPORTED_ALGS), JWS_VALID); /* control */
	free(token);
	free(sig);
	free(header);
}

static void test_tampered_signature_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	assert_flipped_bits_invalid(&k->set, k->rsa, "RS256", "rsa");
	assert_flipped_bits_invalid(&k->set, k->rsa, "PS384", "rsa");
	assert_flipped_bits_invalid(&k->set, k->p256, "ES256", "p256");
	assert_flipped_bits_invalid(&k->set, k->p521, "ES512", "p521");
	assert_flipped_bits_invalid(&k->set, k->ed25519, "EdDSA", "ed25519");
	assert_flipped_bits_invalid(&k->set, k->ed448, "EdDSA", "ed448");
}

static void test_truncated_signature_is_refused(void **state)
{
	const struct test_keys *k = *state;
	static const struct {
		const char *alg, *kid;
	} cases[] = { { "RS256", "rsa" }, { "ES384", "p384" }, { "EdDSA", "ed25519" } };
	const EVP_PKEY *keys[] = { k->rsa, k->p384, k->ed25519 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *header = header_of(cases[i].alg, cases[i].kid);
		size_t sig_len;
		unsigned char *sig = sign_claims(keys[i], cases[i].alg, header, PAYLOAD, &sig_len);
		char *token = token_of(header, PAYLOAD, sig, sig_len - 1);
		assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
		free(token);
		token = token_of(header, PAYLOAD, sig, sig_len / 2);
		assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
		free(token);
		/* Cut inside the base64url text: the last character dropped. */
		token = token_of(header, PAYLOAD, sig, sig_len);
		token[strlen(token) - 1] = '\0';
		assert_refused(token, &k->set, JWS_SUPPORTED_ALGS);
		free(token);
		free(sig);
		free(header);
	}
}

static void test_ecdsa_signature_of_wrong_length_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("ES256", "p256");
	size_t sig_len;
	unsigned char *sig = sign_claims(k->p256, "ES256", header, PAYLOAD, &sig_len);
	assert_int_equal(sig_len, 64);
	unsigned char longer[65] = { 0 };
	/* r with a leading zero byte: the same numbers, 65 bytes. */
	memcpy(longer + 1, sig, 64);
	char *token = token_of(header, PAYLOAD, longer, 65);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	/* 64 bytes and a trailing zero. */
	memcpy(longer, sig, 64);
	longer[64] = 0;
	token = token_of(header, PAYLOAD, longer, 65);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	token = token_of(header, PAYLOAD, sig, 63);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
	/* The DER form OpenSSL produces is not JOSE's r||s (RFC 7518 §3.4). */
	sig = sign_claims(k->p256, "ES256-DER", header, PAYLOAD, &sig_len);
	token = token_of(header, PAYLOAD, sig, sig_len);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(sig);
	free(header);
}

static void test_pss_salt_other_than_digest_length_is_invalid(void **state)
{
	const struct test_keys *k = *state;
	/* RFC 7518 §3.5: the salt is as long as the hash output. */
	char *header = header_of("PS256", "rsa");
	char *token = signed_token(k->rsa, "PS256-salt0", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_INVALID);
	free(token);
	free(header);
}

static void test_token_of_two_or_four_segments_is_refused(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("RS256", "rsa");
	char *token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_VALID); /* control */

	char *four = format_text("%s.%s", token, "AAAA");
	assert_not_parsed(four);
	free(four);
	four = format_text("%s.", token);
	assert_not_parsed(four);
	free(four);
	char *two = strdup(token);
	*strrchr(two, '.') = '\0';
	assert_not_parsed(two);
	free(two);
	/* Five segments: the JWE compact form (RFC 7516 §7.1). */
	char *five = format_text("%s.AAAA.AAAA", token);
	assert_not_parsed(five);
	free(five);
	assert_not_parsed("");
	assert_not_parsed("..");
	assert_not_parsed("...");
	free(token);
	free(header);
}

static void test_header_with_crit_is_refused(void **state)
{
	const struct test_keys *k = *state;
	const char *header = "{\"alg\":\"RS256\",\"kid\":\"rsa\",\"crit\":[\"exp\"],\"exp\":1700000300}";
	char *token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	assert_not_parsed(token);
	free(token);
	token = signed_token(k->rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa\",\"crit\":[]}", PAYLOAD);
	assert_not_parsed(token);
	free(token);
}

static void test_header_not_json_or_without_alg_is_refused(void **state)
{
	const struct test_keys *k = *state;
	static const char *const headers[] = {
		"not json",
		"{\"alg\":\"RS256\",\"kid\":\"rsa\"",
		"[\"RS256\"]",
		"\"RS256\"",
		"{\"kid\":\"rsa\"}",
		"{\"alg\":256,\"kid\":\"rsa\"}",
		"{\"alg\":null,\"kid\":\"rsa\"}",
		"{\"alg\":\"RS256\",\"kid\":7}",
		"{\"alg\":\"RS256\",\"kid\":\"rsa\",\"typ\":[\"JWT\"]}",
		"{\"alg\":\"RS256\",\"kid\":\"rsa\"} x",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *token = signed_token(k->rsa, "RS256", headers[i], PAYLOAD);
		struct jws jws;
		const char *why = NULL;
		if (jws_parse(token, &jws, &why) == 0)
			fail_msg("parsed header %s", headers[i]);
		assert_non_null(why);
		free(token);
	}
}

static void test_header_alg_or_kid_with_nul_is_refused(void **state)
{
	const struct test_keys *k = *state;
	char *token = signed_token(k->rsa, "RS256", "{\"alg\":\"RS256\\u0000x\",\"kid\":\"rsa\"}", PAYLOAD);
	assert_not_parsed(token);
	free(token);
	token = signed_token(k->rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa\\u0000other\"}", PAYLOAD);
	assert_not_parsed(token);
	free(token);
}

static void test_payload_not_an_object_is_refused(void **state)
{
	const struct test_keys *k = *state;
	static const char *const payloads[] = {
		"[1,2]", "\"claims\"", "1700000300", "null", "not json", "{\"a\":1", ""
	};
	char *header = header_of("RS256", "rsa");
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token = signed_token(k->rsa, "RS256", header, payloads[i]);
		struct jws jws;
		const char *why = NULL;
		if (jws_parse(token, &jws, &why) == 0)
			fail_msg("parsed payload %s", payloads[i]);
		free(token);
	}
	free(header);
}

static void test_segment_not_base64url_is_refused(void **state)
{
	const struct test_keys *k = *state;
	char *header = header_of("RS256", "rsa");
	char *token = signed_token(k->rsa, "RS256", header, PAYLOAD);
	char *padded = format_text("%s=", token);
	assert_not_parsed(padded);
	free(padded);
	char *spaced = format_text(" %s", token);
	assert_not_parsed(spaced);
	free(spaced);
	char *plus = strdup(token);
	plus[strlen(plus) - 2] = '+';
	assert_not_parsed(plus);
	free(plus);
	free(token);
	free(header);
}

static void test_token_longer_than_jws_max_is_refused(void **state)
{
	const struct test_keys *k = *state;
	/* A well-formed token whose payload carries padding claims past JWS_MAX. */
	size_t filler_len = JWS_MAX;
	char *filler = malloc(filler_len + 1);
	assert_non_null(filler);
	memset(filler, 'a', filler_len);
	filler[filler_len] = '\0';
	char *payload = format_text("{\"iss\":\"" ISSUER "\",\"exp\":1700000300,\"pad\":\"%s\"}", filler);
	char *header = header_of("ES256", "p256");
	char *token = signed_token(k->p256, "ES256", header, payload);
	assert_true(strlen(token) > JWS_MAX);
	assert_not_parsed(token);
	free(token);
	free(header);
	free(payload);
	free(filler);
}

static void test_embedded_jwk_in_header_is_ignored(void **state)
{
	const struct test_keys *k = *state;
	/* The attacker signs with their own key and ships its public part in the header (CVE-2018-0114). */
	struct json_object *attacker = public_jwk(k->attacker_p256, NULL);
	char *jwk_json = json_text(attacker);
	json_object_put(attacker);
	char *headers[] = {
		format_text("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"jwk\":%s}", jwk_json),
		format_text("{\"alg\":\"ES256\",\"kid\":\"p256\",\"jwk\":%s}", jwk_json),
		format_text("{\"alg\":\"ES256\",\"jku\":\"https://attacker.example/jwks.json\"}"),
		format_text("{\"alg\":\"ES256\",\"kid\":\"p256\",\"x5u\":\"https://attacker.example/cert.pem\"}"),
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *token = signed_token(k->attacker_p256, "ES256", headers[i], PAYLOAD);
		if (verdict_of(token, &k->set, JWS_SUPPORTED_ALGS) != JWS_INVALID)
			fail_msg("header %s was trusted", headers[i]);
		free(token);
		free(headers[i]);
	}
	/* The same header signed by the real key still verifies: the header members are just ignored. */
	char *header = format_text("{\"alg\":\"ES256\",\"kid\":\"p256\",\"jwk\":%s}", jwk_json);
	char *token = signed_token(k->p256, "ES256", header, PAYLOAD);
	assert_int_equal(verdict_of(token, &k->set, JWS_SUPPORTED_ALGS), JWS_VALID);
	free(token);
	free(header);
	free(jwk_json);
}

/* ---- jwt_check_claims ---- */

static struct jwt_rules default_rules(void)
{
	struct jwt_rules rules = {
		.issuer = ISSUER,
		.audience = AUDIENCE,
		.authorized_party = AUDIENCE,
		.typ = NULL,
		.now = NOW,
		.leeway = 60,
	};
	return rules;
}

/* Parses an unsigned token of HEADER and PAYLOAD (claims checks come after the signature,
 * so the signature does not matter here) and returns jwt_check_claims. */
static int check_claims_with(const char *header, const char *payload, const struct jwt_rules *rules)
{
	char *token = token_of(header, payload, (const unsigned char *)"sig", 3);
	struct jws jws;
	const char *why = NULL;
	assert_int_equal(jws_parse(token, &jws, &why), 0);
	why = NULL;
	int rc = jwt_check_claims(&jws, rules, &why);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(why);
	}
	jws_free(&jws);
	free(token);
	return rc;
}

static int check_claims(const char *payload)
{
	struct jwt_rules rules = default_rules();
	return check_claims_with("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, &rules);
}

/* {"iss":ISSUER,"aud":AUDIENCE,<MIDDLE>} with exp NOW + 300 unless MIDDLE has exp. */
#define CLAIMS(middle) "{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\"," middle "}"
#define EXP_OK "\"exp\":1700000300"

static void test_claims_valid(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS(EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"sub\":\"alice\",\"iat\":1699999990,\"nbf\":1699999990,"
					     "\"azp\":\"" AUDIENCE "\"," EXP_OK)),
			 0);
}

static void test_claims_without_issuer_or_audience_rules_are_refused(void **state)
{
	(void)state;
	/* A configuration without an issuer must never make the check pass (nor crash). */
	struct jwt_rules rules = default_rules();
	rules.issuer = NULL;
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS(EXP_OK), &rules), -1);
	rules = default_rules();
	rules.audience = NULL;
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS(EXP_OK), &rules), -1);
}

static void test_claims_iss_must_match_exactly(void **state)
{
	(void)state;
	static const char *const payloads[] = {
		"{\"iss\":\"https://idp.example.org/\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"https://idp.example.org/realms/x\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"https://idp.example.co\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"https://IDP.example.org\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"http://idp.example.org\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"https://idp.example.org\\u0000.evil\",\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":[\"https://idp.example.org\"],\"aud\":\"pam-client\"," EXP_OK "}",
		"{\"aud\":\"pam-client\"," EXP_OK "}",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		if (check_claims(payloads[i]) != -1)
			fail_msg("accepted %s", payloads[i]);
	}
	/* And the other way round: a configured issuer with a trailing slash. */
	struct jwt_rules rules = default_rules();
	rules.issuer = ISSUER "/";
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS(EXP_OK), &rules), -1);
}

static void test_claims_aud_string_or_array(void **state)
{
	(void)state;
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":\"pam-client\"," EXP_OK "}"), 0);
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"pam-client\"]," EXP_OK "}"), 0);
	/* Several audiences (azp present as OIDC Core §3.1.3.7 requires). */
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"api\",7,\"pam-client\"],"
				      "\"azp\":\"pam-client\"," EXP_OK "}"),
			 0);
}

static void test_claims_aud_must_name_us(void **state)
{
	(void)state;
	static const char *const payloads[] = {
		"{\"iss\":\"" ISSUER "\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":\"other-client\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":\"pam-client2\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":\"pam\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":\"PAM-CLIENT\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":[]," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":[\"api\",\"other\"],\"azp\":\"pam-client\"," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":[[\"pam-client\"]]," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":{\"pam-client\":true}," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":null," EXP_OK "}",
		"{\"iss\":\"" ISSUER "\",\"aud\":\"pam-client pam-client\"," EXP_OK "}",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		if (check_claims(payloads[i]) != -1)
			fail_msg("accepted %s", payloads[i]);
	}
}

static void test_claims_aud_with_embedded_nul_is_refused(void **state)
{
	(void)state;
	/* Like iss and the string claims: "pam-client\0.evil" is not "pam-client". */
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":\"pam-client\\u0000.evil\"," EXP_OK "}"), -1);
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"pam-client\\u0000.evil\"]," EXP_OK "}"), -1);
}

static void test_claims_azp_present_must_be_us(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS("\"azp\":\"other-client\"," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"azp\":\"pam-client/\"," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"azp\":[\"pam-client\"]," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"azp\":\"pam-client\\u0000x\"," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"azp\":null," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"azp\":\"pam-client\"," EXP_OK)), 0);
}

static void test_claims_azp_missing_with_several_audiences_is_refused(void **state)
{
	(void)state;
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"pam-client\",\"api\"]," EXP_OK "}"), -1);
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"api\",\"pam-client\"]," EXP_OK "}"), -1);
}

static void test_claims_azp_missing_with_one_audience_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":\"pam-client\"," EXP_OK "}"), 0);
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":[\"pam-client\"]," EXP_OK "}"), 0);
}

static void test_claims_azp_not_checked_without_authorized_party(void **state)
{
	(void)state;
	struct jwt_rules rules = default_rules();
	rules.authorized_party = NULL;
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS("\"azp\":\"other\"," EXP_OK), &rules), 0);
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}",
					   "{\"iss\":\"" ISSUER "\",\"aud\":[\"pam-client\",\"api\"]," EXP_OK "}",
					   &rules),
			 0);
}

static void test_claims_exp_is_required(void **state)
{
	(void)state;
	assert_int_equal(check_claims("{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\"}"), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":null")), -1);
	assert_int_equal(check_claims(CLAIMS("\"EXP\":1700000300")), -1);
}

static void test_claims_exp_in_the_past_beyond_leeway_is_refused(void **state)
{
	(void)state;
	/* leeway 60: expired when exp + 60 <= now (RFC 7519 §4.1.4: now must be before exp). */
	assert_int_equal(check_claims(CLAIMS("\"exp\":1699999900")), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":1699999940")), -1); /* exp + leeway == now */
	assert_int_equal(check_claims(CLAIMS("\"exp\":0")), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":-1")), -1);
}

static void test_claims_exp_in_the_past_within_leeway_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS("\"exp\":1699999941")), 0); /* one second of leeway left */
	assert_int_equal(check_claims(CLAIMS("\"exp\":1699999990")), 0);
	assert_int_equal(check_claims(CLAIMS("\"exp\":1700000000")), 0);
	/* Without leeway the same tokens are expired. */
	struct jwt_rules rules = default_rules();
	rules.leeway = 0;
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS("\"exp\":1699999990"), &rules), -1);
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS("\"exp\":1700000000"), &rules), -1);
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS("\"exp\":1700000001"), &rules), 0);
}

static void test_claims_nbf_in_the_future(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700000061," EXP_OK)), -1); /* beyond leeway */
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700003600," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700000060," EXP_OK)), 0); /* at the edge of leeway */
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700000030," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700000000," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":\"1700000000\"," EXP_OK)), -1);
}

static void test_claims_iat_in_the_future(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS("\"iat\":1700000061," EXP_OK)), -1); /* beyond leeway */
	assert_int_equal(check_claims(CLAIMS("\"iat\":1700086400," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"iat\":1700000060," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"iat\":1699990000," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"iat\":true," EXP_OK)), -1);
}

static void test_claims_exp_as_a_fraction_is_accepted(void **state)
{
	(void)state;
	/* RFC 7519 §2: a NumericDate may have a fraction. */
	assert_int_equal(check_claims(CLAIMS("\"exp\":1700000300.5")), 0);
	assert_int_equal(check_claims(CLAIMS("\"exp\":1.7000003e9")), 0);
	assert_int_equal(check_claims(CLAIMS("\"exp\":1699999900.5")), -1);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":1700003600.25," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":1e300")), -1); /* not a date we can hold */
}

static void test_claims_exp_as_a_string_is_refused(void **state)
{
	(void)state;
	assert_int_equal(check_claims(CLAIMS("\"exp\":\"1700000300\"")), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":[1700000300]")), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":true")), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":{}")), -1);
}

static void test_claims_extreme_dates_do_not_wrap(void **state)
{
	(void)state;
	/* exp and nbf at the ends of int64: "exp + leeway" and "nbf - leeway" must not overflow. A far
	 * future exp has not passed; a far past nbf has. */
	assert_int_equal(check_claims(CLAIMS("\"exp\":9223372036854775807")), 0);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":-9223372036854775808," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"iat\":-9223372036854775808," EXP_OK)), 0);
	assert_int_equal(check_claims(CLAIMS("\"nbf\":9223372036854775807," EXP_OK)), -1);
	assert_int_equal(check_claims(CLAIMS("\"exp\":-9223372036854775808")), -1);
}

static int check_typ(const char *typ_member)
{
	struct jwt_rules rules = default_rules();
	rules.typ = "at+jwt";
	char *header = format_text("{\"alg\":\"RS256\"%s}", typ_member);
	int rc = check_claims_with(header, CLAIMS(EXP_OK), &rules);
	free(header);
	return rc;
}

static void test_claims_typ_at_jwt_is_accepted(void **state)
{
	(void)state;
	/* RFC 9068 §2.1 and §4; media type names ignore case (RFC 2045 §5.1). */
	assert_int_equal(check_typ(",\"typ\":\"at+jwt\""), 0);
	assert_int_equal(check_typ(",\"typ\":\"AT+JWT\""), 0);
	assert_int_equal(check_typ(",\"typ\":\"application/at+jwt\""), 0);
	assert_int_equal(check_typ(",\"typ\":\"Application/At+Jwt\""), 0);
}

static void test_claims_typ_other_or_missing_is_refused(void **state)
{
	(void)state;
	assert_int_equal(check_typ(",\"typ\":\"JWT\""), -1);
	assert_int_equal(check_typ(",\"typ\":\"application/jwt\""), -1);
	assert_int_equal(check_typ(",\"typ\":\"at+jwt+x\""), -1);
	assert_int_equal(check_typ(",\"typ\":\"text/at+jwt\""), -1);
	assert_int_equal(check_typ(",\"typ\":\"application/application/at+jwt\""), -1);
	assert_int_equal(check_typ(",\"typ\":\"at+jwt \""), -1);
	assert_int_equal(check_typ(""), -1);
	/* The typ of the payload is not the header's. */
	struct jwt_rules rules = default_rules();
	rules.typ = "at+jwt";
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS("\"typ\":\"at+jwt\"," EXP_OK), &rules), -1);
}

static void test_claims_typ_not_checked_without_a_rule(void **state)
{
	(void)state;
	struct jwt_rules rules = default_rules();
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\"}", CLAIMS(EXP_OK), &rules), 0);
	assert_int_equal(check_claims_with("{\"alg\":\"RS256\",\"typ\":\"anything\"}", CLAIMS(EXP_OK), &rules), 0);
}

static void test_string_claim(void **state)
{
	(void)state;
	char *token = token_of("{\"alg\":\"RS256\"}",
			       "{\"sub\":\"alice\",\"evil\":\"al\\u0000ice\",\"n\":7,\"o\":{},\"empty\":\"\","
			       "\"utf8\":\"J\\u00fcrgen\"}",
			       (const unsigned char *)"sig", 3);
	struct jws jws;
	const char *why;
	assert_int_equal(jws_parse(token, &jws, &why), 0);
	assert_string_equal(jwt_string_claim(&jws, "sub"), "alice");
	assert_null(jwt_string_claim(&jws, "evil")); /* "al\0ice" must not pass as "al" */
	assert_null(jwt_string_claim(&jws, "n"));
	assert_null(jwt_string_claim(&jws, "o"));
	assert_null(jwt_string_claim(&jws, "missing"));
	assert_string_equal(jwt_string_claim(&jws, "empty"), "");
	assert_string_equal(jwt_string_claim(&jws, "utf8"), "J\xc3\xbcrgen");
	jws_free(&jws);
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* base64url_decode */
		cmocka_unit_test(test_base64url_decodes_rfc4648_vectors),
		cmocka_unit_test(test_base64url_empty_input_gives_zero_bytes),
		cmocka_unit_test(test_base64url_accepts_dash_and_underscore),
		cmocka_unit_test(test_base64url_decodes_only_len_characters),
		cmocka_unit_test(test_base64url_refuses_the_standard_alphabet_and_padding),
		cmocka_unit_test(test_base64url_refuses_white_space_and_other_bytes),
		cmocka_unit_test(test_base64url_refuses_length_one_mod_four),
		cmocka_unit_test(test_base64url_refuses_nonzero_leftover_bits),
		cmocka_unit_test(test_base64url_round_trips_the_test_encoder),
		/* jwk_set_parse */
		cmocka_unit_test(test_jwks_parses_one_key_of_each_type),
		cmocka_unit_test(test_jwks_keeps_alg_use_sig_and_keys_without_kid),
		cmocka_unit_test(test_jwks_skips_encryption_keys),
		cmocka_unit_test(test_jwks_skips_symmetric_keys),
		cmocka_unit_test(test_jwks_skips_unknown_key_types),
		cmocka_unit_test(test_jwks_skips_rsa_under_2048_bits),
		cmocka_unit_test(test_jwks_skips_unknown_curves),
		cmocka_unit_test(test_jwks_fails_on_bad_base64url_in_n),
		cmocka_unit_test(test_jwks_fails_on_rsa_key_missing_a_member),
		cmocka_unit_test(test_jwks_fails_on_ec_point_off_the_curve),
		cmocka_unit_test(test_jwks_fails_on_ec_coordinate_of_wrong_length),
		cmocka_unit_test(test_jwks_fails_on_ec_or_okp_without_crv),
		cmocka_unit_test(test_jwks_fails_on_ed25519_key_of_31_bytes),
		cmocka_unit_test(test_jwks_fails_on_kid_or_alg_not_a_string),
		cmocka_unit_test(test_jwks_fails_on_a_key_that_is_not_an_object),
		cmocka_unit_test(test_jwks_fails_when_not_a_keys_array),
		cmocka_unit_test(test_jwks_empty_keys_array_parses_to_no_keys),
		cmocka_unit_test(test_jwks_takes_up_to_the_maximum_number_of_keys),
		cmocka_unit_test(test_jwks_fails_with_more_usable_keys_than_the_maximum),
		cmocka_unit_test(test_jwks_skipped_keys_do_not_count_toward_the_maximum),
		/* jws_parse and jws_verify: valid tokens */
		cmocka_unit_test(test_verify_rs256),
		cmocka_unit_test(test_verify_rs384),
		cmocka_unit_test(test_verify_rs512),
		cmocka_unit_test(test_verify_ps256),
		cmocka_unit_test(test_verify_ps384),
		cmocka_unit_test(test_verify_ps512),
		cmocka_unit_test(test_verify_es256),
		cmocka_unit_test(test_verify_es384),
		cmocka_unit_test(test_verify_es512),
		cmocka_unit_test(test_verify_eddsa_ed25519),
		cmocka_unit_test(test_verify_eddsa_ed448),
		cmocka_unit_test(test_verify_without_kid_tries_every_key),
		cmocka_unit_test(test_verify_tries_every_key_sharing_the_kid),
		/* jws_parse and jws_verify: refusals */
		cmocka_unit_test(test_alg_none_with_empty_signature_is_refused),
		cmocka_unit_test(test_alg_none_with_fake_signature_is_refused),
		cmocka_unit_test(test_hs256_keyed_with_the_rsa_public_key_is_refused),
		cmocka_unit_test(test_hs256_keyed_with_an_ec_public_key_is_refused),
		cmocka_unit_test(test_alg_not_in_allowed_algs_is_refused),
		cmocka_unit_test(test_algs_we_do_not_implement_are_refused),
		cmocka_unit_test(test_alg_supported_names_exactly_the_implemented_algs),
		cmocka_unit_test(test_unknown_kid_asks_for_a_key_refresh),
		cmocka_unit_test(test_no_kid_and_no_fitting_key_is_invalid),
		cmocka_unit_test(test_kid_of_a_key_of_another_type_is_invalid),
		cmocka_unit_test(test_signature_by_another_key_under_a_known_kid_is_invalid),
		cmocka_unit_test(test_es256_against_a_p384_key_of_the_same_kid_is_invalid),
		cmocka_unit_test(test_key_restricted_to_rs256_refuses_ps256),
		cmocka_unit_test(test_tampered_header_is_invalid),
		cmocka_unit_test(test_tampered_payload_is_invalid),
		cmocka_unit_test(test_tampered_signature_is_invalid),
		cmocka_unit_test(test_truncated_signature_is_refused),
		cmocka_unit_test(test_ecdsa_signature_of_wrong_length_is_invalid),
		cmocka_unit_test(test_pss_salt_other_than_digest_length_is_invalid),
		cmocka_unit_test(test_token_of_two_or_four_segments_is_refused),
		cmocka_unit_test(test_header_with_crit_is_refused),
		cmocka_unit_test(test_header_not_json_or_without_alg_is_refused),
		cmocka_unit_test(test_header_alg_or_kid_with_nul_is_refused),
		cmocka_unit_test(test_payload_not_an_object_is_refused),
		cmocka_unit_test(test_segment_not_base64url_is_refused),
		cmocka_unit_test(test_token_longer_than_jws_max_is_refused),
		cmocka_unit_test(test_embedded_jwk_in_header_is_ignored),
		/* jwt_check_claims and jwt_string_claim */
		cmocka_unit_test(test_claims_valid),
		cmocka_unit_test(test_claims_without_issuer_or_audience_rules_are_refused),
		cmocka_unit_test(test_claims_iss_must_match_exactly),
		cmocka_unit_test(test_claims_aud_string_or_array),
		cmocka_unit_test(test_claims_aud_must_name_us),
		cmocka_unit_test(test_claims_aud_with_embedded_nul_is_refused),
		cmocka_unit_test(test_claims_azp_present_must_be_us),
		cmocka_unit_test(test_claims_azp_missing_with_several_audiences_is_refused),
		cmocka_unit_test(test_claims_azp_missing_with_one_audience_is_accepted),
		cmocka_unit_test(test_claims_azp_not_checked_without_authorized_party),
		cmocka_unit_test(test_claims_exp_is_required),
		cmocka_unit_test(test_claims_exp_in_the_past_beyond_leeway_is_refused),
		cmocka_unit_test(test_claims_exp_in_the_past_within_leeway_is_accepted),
		cmocka_unit_test(test_claims_nbf_in_the_future),
		cmocka_unit_test(test_claims_iat_in_the_future),
		cmocka_unit_test(test_claims_exp_as_a_fraction_is_accepted),
		cmocka_unit_test(test_claims_exp_as_a_string_is_refused),
		cmocka_unit_test(test_claims_extreme_dates_do_not_wrap),
		cmocka_unit_test(test_claims_typ_at_jwt_is_accepted),
		cmocka_unit_test(test_claims_typ_other_or_missing_is_refused),
		cmocka_unit_test(test_claims_typ_not_checked_without_a_rule),
		cmocka_unit_test(test_string_claim),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
