/* libFuzzer target: compact JWS / JWT (RFC 7515, RFC 7519): jws_parse, jws_verify against
 * a fixed set of three public keys made for these tests (EC P-256, Ed25519, RSA 2048;
 * their private halves are not kept), then jwt_check_claims. The seeds are tokens
 * those keys signed, so the fuzzer starts on the paths past the signature check. */
#include "fuzz_common.h"

#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt_claims.h"

#define NOW 1700000000

static const char jwks[] =
    "{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"fz-ec\", \"use\": \"sig\", \"alg\": \"ES256\", "
    "\"x\": \"JxYxGG7O3v_hLDWfLHb4vzweZqMui6UseapnAuT56uM\", \"y\": \"6YCOASJk60KUzzrXP5garit1tMrZkvSTOmKqqi5L_Rs\"}, "
    "{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"fz-ed\", \"use\": \"sig\", \"x\": "
    "\"7shpSRXBXiPIU80okiHGeLRPxWhn_8jCVQd0kieIYe0\"}, {\"kty\": \"RSA\", \"kid\": \"fz-rsa\", \"use\": \"sig\", "
    "\"n\": "
    "\"qy-Faczt9e7SzWG43cC0oLkqZenomw75oF41k0UAp3mgorR-JXiCGdIuutUX_AiXmgqIolMJ0MhegZbXQRb9OkMvNwp-"
    "3LEAS5Kk9q6uA3JrbI1RK-ujEaASimxBXYXHby0hE-N0ss25kJETkLRnwGpn94BXT16VgqPoLkamnr-CHNxTH6C6sPUsNOayiDbWrz_KNFBGh-"
    "i8toQ5ZlRBAeIs_"
    "cERtG7Lp1A1iytPgSf4g2JgXtFymLg5HfssXAZbg7ToBVqbDIRPvp9jnmsjyFH62HsMJKfWdDG0FXPJlB8pF0Kh5aLrIzHfYsuHakZS9Ctq8PhYYrd"
    "I-CCETMZoGQ\", \"e\": \"AQAB\"}]}";

static struct jwk_set keys;

static const struct jwt_rules id_token_rules = {
	.issuer = "https://idp.example.com",
	.audience = "ssh-login",
	.authorized_party = "ssh-login",
	.typ = NULL,
	.now = NOW,
	.leeway = 60,
};

static const struct jwt_rules access_token_rules = {
	.issuer = "https://idp.example.com",
	.audience = "ssh-login",
	.authorized_party = NULL,
	.typ = "at+jwt",
	.now = NOW,
	.leeway = 0,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why = NULL;
	(void)argc;
	(void)argv;
	if (jwk_set_parse(jwks, strlen(jwks), &keys, &why) != 0 || keys.count != 3) {
		fprintf(stderr, "fuzz_jws: the fixed JWKS does not load: %s\n", why != NULL ? why : "3 keys expected");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = fuzz_strndup(data, size);
	struct jws jws;
	const char *why = NULL;
	memset(&jws, 0, sizeof(jws));
	if (jws_parse(token, &jws, &why) == 0) {
		FUZZ_ASSERT(jws.header != NULL && jws.payload != NULL && jws.alg != NULL);
		FUZZ_ASSERT(jws.signing_input != NULL);
		enum jws_verdict verdict = jws_verify(&jws, &keys, JWS_SUPPORTED_ALGS, &why);
		FUZZ_ASSERT(verdict == JWS_VALID || verdict == JWS_UNKNOWN_KID || verdict == JWS_INVALID);
		/* "none" and HMAC are refused whatever the configuration. */
		if (verdict == JWS_VALID) {
			FUZZ_ASSERT(strcmp(jws.alg, "none") != 0 && strncmp(jws.alg, "HS", 2) != 0);
			FUZZ_ASSERT(jws_alg_supported(jws.alg, strlen(jws.alg)));
		}
		/* Only ES256 allowed: an RSA or EdDSA token must not pass. */
		enum jws_verdict narrow = jws_verify(&jws, &keys, "ES256", &why);
		if (narrow == JWS_VALID)
			FUZZ_ASSERT(strcmp(jws.alg, "ES256") == 0);
		/* The claims checks run on any parsed token: they must not depend on the signature for safety. */
		(void)jwt_check_claims(&jws, &id_token_rules, &why);
		(void)jwt_check_claims(&jws, &access_token_rules, &why);
		(void)jwt_string_claim(&jws, "sub");
		(void)jwt_string_claim(&jws, "scope");
	} else {
		FUZZ_ASSERT(why != NULL);
	}
	jws_free(&jws);
	free(token);
	return 0;
}
