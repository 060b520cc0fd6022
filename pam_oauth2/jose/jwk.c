#include "config.h"

#include "jose/jwk.h"

#include "jose/base64url.h"
#include "util/json_fields.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Members that hold base64url key material are at most this long (an 8192-bit modulus). */
#define KEY_MEMBER_MAX 2048

static int decode_member(struct json_object *obj, const char *name, unsigned char **bytes, size_t *len)
{
	char *text = NULL;
	if (json_get_string(obj, name, KEY_MEMBER_MAX, &text) != JSON_FIELD_OK)
		return -1;
	int rc = base64url_decode(text, strlen(text), bytes, len);
	free(text);
	return rc == 0 && *len > 0 ? 0 : -1;
}

static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM_BLD *builder)
{
	EVP_PKEY *key = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(builder);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *rsa_key(struct json_object *obj)
{
	unsigned char *n = NULL, *e = NULL;
	size_t n_len, e_len;
	EVP_PKEY *key = NULL;
	BIGNUM *modulus = NULL, *exponent = NULL;
	OSSL_PARAM_BLD *builder = NULL;
	if (decode_member(obj, "n", &n, &n_len) != 0 || decode_member(obj, "e", &e, &e_len) != 0)
		goto done;
	modulus = BN_bin2bn(n, (int)n_len, NULL);
	exponent = BN_bin2bn(e, (int)e_len, NULL);
	builder = OSSL_PARAM_BLD_new();
	if (modulus == NULL || exponent == NULL || builder == NULL ||
	    OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, modulus) != 1 ||
	    OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, exponent) != 1)
		goto done;
	key = key_from_params("RSA", builder);
done:
	OSSL_PARAM_BLD_free(builder);
	BN_free(modulus);
	BN_free(exponent);
	free(n);
	free(e);
	return key;
}

static const struct {
	const char *crv;
	const char *group;
	size_t coordinate_len;
} ec_curves[] = {
	{ "P-256", "prime256v1", 32 },
	{ "P-384", "secp384r1", 48 },
	{ "P-521", "secp521r1", 66 },
};

static EVP_PKEY *ec_key(struct json_object *obj, const char *crv)
{
	const char *group = NULL;
	size_t coordinate_len = 0;
	for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
		if (strcmp(crv, ec_curves[i].crv) == 0) {
			group = ec_curves[i].group;
			coordinate_len = ec_curves[i].coordinate_len;
		}
	}
	if (group == NULL)
		return NULL;
	unsigned char *x = NULL, *y = NULL, *point = NULL;
	size_t x_len, y_len;
	EVP_PKEY *key = NULL;
	OSSL_PARAM_BLD *builder = NULL;
	/* RFC 7518 §6.2.1.2: coordinates are exactly the curve's size; the point is 04||x||y. */
	if (decode_member(obj, "x", &x, &x_len) != 0 || decode_member(obj, "y", &y, &y_len) != 0 ||
	    x_len != coordinate_len || y_len != coordinate_len)
		goto done;
	point = malloc(1 + 2 * coordinate_len);
	builder = OSSL_PARAM_BLD_new();
	if (point == NULL || builder == NULL)
		goto done;
	point[0] = 0x04;
	memcpy(point + 1, x, coordinate_len);
	memcpy(point + 1 + coordinate_len, y, coordinate_len);
	if (OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * coordinate_len) != 1)
		goto done;
	/* fromdata checks that the point is on the curve. */
	key = key_from_params("EC", builder);
done:
	OSSL_PARAM_BLD_free(builder);
	free(point);
	free(x);
	free(y);
	return key;
}

static EVP_PKEY *okp_key(struct json_object *obj, const char *crv)
{
	int type;
	size_t expected_len;
	if (strcmp(crv, "Ed25519") == 0) {
		type = EVP_PKEY_ED25519, expected_len = 32;
	} else if (strcmp(crv, "Ed448") == 0) {
		type = EVP_PKEY_ED448, expected_len = 57;
	} else {
		return NULL;
	}
	unsigned char *x = NULL;
	size_t x_len;
	EVP_PKEY *key = NULL;
	if (decode_member(obj, "x", &x, &x_len) == 0 && x_len == expected_len)
		key = EVP_PKEY_new_raw_public_key(type, NULL, x, x_len);
	free(x);
	return key;
}

static bool curve_supported(enum jwk_type kty, const char *crv)
{
	if (kty == JWK_OKP)
		return strcmp(crv, "Ed25519") == 0 || strcmp(crv, "Ed448") == 0;
	for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
		if (strcmp(crv, ec_curves[i].crv) == 0)
			return true;
	}
	return false;
}

static void jwk_clear(struct jwk *jwk)
{
	free(jwk->kid);
	free(jwk->alg);
	free(jwk->crv);
	EVP_PKEY_free(jwk->key);
	memset(jwk, 0, sizeof(*jwk));
}

/* Reads one key into JWK. Returns 1 when usable, 0 when skipped, -1 when malformed. */
static int parse_key(struct json_object *obj, struct jwk *jwk, const char **why)
{
	memset(jwk, 0, sizeof(*jwk));
	char *kty = NULL, *use = NULL;
	int rc = -1;
	if (!json_object_is_type(obj, json_type_object)) {
		*why = "a key is not an object";
		goto done;
	}
	enum json_field_status kty_status = json_get_string(obj, "kty", 16, &kty);
	if (kty_status == JSON_FIELD_BAD_VALUE) {
		rc = 0; /* a long kty is no type we know */
		goto done;
	}
	if (kty_status != JSON_FIELD_OK) {
		*why = "a key has no kty";
		goto done;
	}
	/* A member that is present must be well-formed: dropping a malformed kid, alg or use
	 * would quietly widen what the key may verify. */
	enum json_field_status use_status = json_get_string(obj, "use", 16, &use);
	enum json_field_status kid_status = json_get_string(obj, "kid", 256, &jwk->kid);
	enum json_field_status alg_status = json_get_string(obj, "alg", 32, &jwk->alg);
	if ((use_status != JSON_FIELD_OK && use_status != JSON_FIELD_ABSENT) ||
	    (kid_status != JSON_FIELD_OK && kid_status != JSON_FIELD_ABSENT) ||
	    (alg_status != JSON_FIELD_OK && alg_status != JSON_FIELD_ABSENT)) {
		*why = "a key's use, kid or alg is malformed";
		goto done;
	}
	if (use != NULL && strcmp(use, "sig") != 0) {
		rc = 0; /* an encryption key */
		goto done;
	}
	if (strcmp(kty, "RSA") == 0) {
		jwk->kty = JWK_RSA;
		jwk->key = rsa_key(obj);
		if (jwk->key != NULL && EVP_PKEY_get_bits(jwk->key) < RSA_MIN_BITS) {
			rc = 0; /* too weak to trust */
			goto done;
		}
	} else if (strcmp(kty, "EC") == 0 || strcmp(kty, "OKP") == 0) {
		jwk->kty = kty[0] == 'E' ? JWK_EC : JWK_OKP;
		if (json_get_string(obj, "crv", 16, &jwk->crv) != JSON_FIELD_OK) {
			*why = "an EC or OKP key has no crv";
			goto done;
		}
		if (!curve_supported(jwk->kty, jwk->crv)) {
			rc = 0;
			goto done;
		}
		jwk->key = jwk->kty == JWK_EC ? ec_key(obj, jwk->crv) : okp_key(obj, jwk->crv);
	} else {
		rc = 0; /* "oct" (symmetric) or unknown: never used to verify */
		goto done;
	}
	if (jwk->key == NULL) {
		*why = "a key's material is malformed";
		goto done;
	}
	rc = 1;
done:
	free(kty);
	free(use);
	if (rc != 1)
		jwk_clear(jwk);
	return rc;
}

int jwk_set_parse(const char *body, size_t len, struct jwk_set *set, const char **why)
{
	memset(set, 0, sizeof(*set));
	struct json_object *obj = json_parse_object(body, len, why);
	if (obj == NULL)
		return -1;
	struct json_object *keys = NULL;
	int rc = -1;
	if (!json_object_object_get_ex(obj, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
		*why = "no \"keys\" array";
		goto done;
	}
	size_t count = json_object_array_length(keys);
	if (count > 4 * JWKS_MAX_KEYS) {
		*why = "too many keys";
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		struct jwk jwk;
		int parsed = parse_key(json_object_array_get_idx(keys, i), &jwk, why);
		if (parsed < 0)
			goto done;
		if (parsed == 0)
			continue; /* skipped keys do not count toward the limit */
		if (set->count == JWKS_MAX_KEYS) {
			jwk_clear(&jwk);
			*why = "too many keys";
			goto done;
		}
		set->keys[set->count++] = jwk;
	}
	rc = 0;
done:
	json_object_put(obj);
	if (rc != 0)
		jwk_set_free(set);
	return rc;
}

void jwk_set_free(struct jwk_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		jwk_clear(&set->keys[i]);
	set->count = 0;
}
