#include "config.h"

#include "idp/discovery.h"

#include "idp/cache.h"
#include "idp/idp.h"
#include "idp/metadata.h"

#include <stdlib.h>

static enum idp_status discover(struct idp *idp)
{
	const char *issuer = idp->config->issuer;
	const char *why = NULL;
	size_t cached_len = 0;
	/* A cached document is checked exactly like a fresh one; a bad one is simply refetched. */
	char *cached = idp_cache_lookup(idp, "discovery", issuer, &cached_len);
	if (cached != NULL) {
		int parsed = provider_metadata_parse(cached, cached_len, issuer, &idp->discovered, &why);
		free(cached);
		if (parsed == 0)
			return IDP_OK;
		idp_debug(idp, "cached discovery document refused (%s): fetching it", why);
	}
	char *urls[2] = { provider_metadata_openid_url(issuer), provider_metadata_rfc8414_url(issuer) };
	enum idp_status status = IDP_NO_MEMORY;
	if (urls[0] == NULL || urls[1] == NULL) {
		status = idp_fail(idp, IDP_NO_MEMORY, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < 2; i++) {
		struct http_response response;
		idp_debug(idp, "discovery: %s", urls[i]);
		status = idp_exchange(idp, "discovery", urls[i], NULL, NULL, &response, NULL);
		if (status != IDP_OK) {
			http_response_clear(&response);
			goto done;
		}
		/* Only a missing document sends us to RFC 8414's location. */
		if (response.status_code == 404 && i == 0) {
			http_response_clear(&response);
			continue;
		}
		if (response.status_code != 200) {
			status = idp_fail(idp, IDP_UNAVAILABLE, "discovery: HTTP %ld", response.status_code);
		} else if (provider_metadata_parse(response.body.data, response.body.len, issuer, &idp->discovered,
						   &why) != 0) {
			/* A document for another issuer is a configuration (or an attack) to look at. */
			status = idp_fail(idp, IDP_MISCONFIGURED, "discovery document refused: %s", why);
		} else {
			idp_cache_keep(idp, "discovery", issuer, &response);
		}
		http_response_clear(&response);
		break;
	}
done:
	free(urls[0]);
	free(urls[1]);
	return status;
}

enum idp_status idp_resolve_endpoints(struct idp *idp)
{
	const struct oauth2_config *config = idp->config;
	if (idp->endpoints_resolved)
		return IDP_OK;
	if (config->issuer != NULL) {
		enum idp_status status = discover(idp);
		if (status != IDP_OK)
			return status;
	}
	/* Endpoints set in the configuration win over discovered ones. */
	const struct provider_metadata *found = &idp->discovered;
	struct idp_endpoints *use = &idp->endpoints;
	use->device_authorization = config->device_authorization_endpoint ? config->device_authorization_endpoint
									  : found->device_authorization_endpoint;
	use->token = config->token_endpoint ? config->token_endpoint : found->token_endpoint;
	use->userinfo = config->userinfo_endpoint ? config->userinfo_endpoint : found->userinfo_endpoint;
	use->introspection =
	    config->introspection_endpoint ? config->introspection_endpoint : found->introspection_endpoint;
	use->jwks_uri = config->jwks_uri ? config->jwks_uri : found->jwks_uri;
	if (use->device_authorization == NULL || use->token == NULL)
		return idp_fail(
		    idp, IDP_MISCONFIGURED,
		    "no device_authorization_endpoint or token_endpoint (set them, or an issuer that has them)");
	idp->endpoints_resolved = true;
	return IDP_OK;
}
