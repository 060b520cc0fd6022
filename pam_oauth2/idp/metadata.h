/* The discovery document: authorization server metadata (OpenID Connect Discovery 1.0 §3,
 * RFC 8414 §2) and its parser. Pure. */
#ifndef PAM_OAUTH2_IDP_METADATA_H
#define PAM_OAUTH2_IDP_METADATA_H

#include <stddef.h>

#define METADATA_URL_MAX 1024

struct provider_metadata {
	char *issuer;
	char *device_authorization_endpoint;
	char *token_endpoint;
	char *userinfo_endpoint;
	char *introspection_endpoint;
	char *jwks_uri;
};

/* Parses a discovery document fetched for EXPECTED_ISSUER. Its "issuer" must equal
 * EXPECTED_ISSUER exactly (OIDC Discovery §4.3, RFC 8414 §3.3: else an attacker's
 * document could name its own endpoints); each endpoint present must be an https URL.
 * Returns 0, or -1 with *WHY. */
int provider_metadata_parse(const char *body, size_t len, const char *expected_issuer,
			    struct provider_metadata *metadata, const char **why);

/* The two well-known URLs to try for ISSUER, in order: OpenID Connect's
 * (ISSUER + "/.well-known/openid-configuration") and RFC 8414's (the well-known part
 * inserted between host and path). NULL when memory runs out; free() each. */
char *provider_metadata_openid_url(const char *issuer);
char *provider_metadata_rfc8414_url(const char *issuer);

void provider_metadata_clear(struct provider_metadata *metadata);

#endif
