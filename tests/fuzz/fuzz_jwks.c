/* libFuzzer target: JSON Web Key sets (RFC 7517). */
#include "fuzz_common.h"

#include "jose/jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwk_set set;
	const char *why = NULL;
	memset(&set, 0, sizeof(set));
	if (jwk_set_parse((const char *)data, size, &set, &why) == 0) {
		FUZZ_ASSERT(set.count <= JWKS_MAX_KEYS);
		for (size_t i = 0; i < set.count; i++) {
			FUZZ_ASSERT(set.keys[i].key != NULL);
			if (set.keys[i].kty == JWK_RSA)
				FUZZ_ASSERT(EVP_PKEY_get_bits(set.keys[i].key) >= RSA_MIN_BITS);
			else
				FUZZ_ASSERT(set.keys[i].crv != NULL);
		}
	} else {
		FUZZ_ASSERT(why != NULL);
	}
	jwk_set_free(&set);
	return 0;
}
