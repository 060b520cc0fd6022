/* libFuzzer target: the discovery document (OIDC Discovery §3, RFC 8414 §2), and the
 * well-known URL builders fed the input as an issuer. */
#include "fuzz_common.h"

#include "idp/metadata.h"
#include "util/sanitize.h"

#define EXPECTED_ISSUER "https://idp.example.com"

static void check_endpoint(const char *url)
{
	if (url != NULL)
		FUZZ_ASSERT(is_https_url(url) && strlen(url) <= METADATA_URL_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct provider_metadata metadata;
	const char *why = NULL;
	memset(&metadata, 0, sizeof(metadata));
	if (provider_metadata_parse((const char *)data, size, EXPECTED_ISSUER, &metadata, &why) == 0) {
		/* OIDC Discovery §4.3: never accept a document naming another issuer. */
		FUZZ_ASSERT(metadata.issuer != NULL && strcmp(metadata.issuer, EXPECTED_ISSUER) == 0);
		check_endpoint(metadata.device_authorization_endpoint);
		check_endpoint(metadata.token_endpoint);
		check_endpoint(metadata.userinfo_endpoint);
		check_endpoint(metadata.introspection_endpoint);
		check_endpoint(metadata.jwks_uri);
	} else {
		FUZZ_ASSERT(why != NULL);
	}
	provider_metadata_clear(&metadata);

	char *issuer = fuzz_strndup(data, size);
	free(provider_metadata_openid_url(issuer));
	free(provider_metadata_rfc8414_url(issuer));
	free(issuer);
	return 0;
}
