#include "config.h"

#include "util/sha256_hex.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int sha256_hex(const char *const *parts, size_t count, char out[SHA256_HEX_LEN + 1])
{
	unsigned char digest[32];
	unsigned int digest_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < count; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, digest, &digest_len) == 1 && digest_len == sizeof(digest);
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; ok && i < sizeof(digest); i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return ok ? 0 : -1;
}
