#include "config.h"

#include "idp/metadata.h"

#include "util/json_fields.h"
#include "util/sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int provider_metadata_parse(const char *body, size_t len, const char *expected_issuer,
			    struct provider_metadata *metadata, const char **why)
{
	memset(metadata, 0, sizeof(*metadata));
	struct json_object *obj = json_parse_object(body, len, why);
	if (obj == NULL)
		return -1;
	int rc = -1;
	if (json_get_string(obj, "issuer", METADATA_URL_MAX, &metadata->issuer) != JSON_FIELD_OK ||
	    strcmp(metadata->issuer, expected_issuer) != 0) {
		*why = "issuer in the document differs from the configured issuer";
		goto done;
	}
	struct {
		const char *name;
		char **field;
	} endpoints[] = {
		{ "device_authorization_endpoint", &metadata->device_authorization_endpoint },
		{ "token_endpoint", &metadata->token_endpoint },
		{ "userinfo_endpoint", &metadata->userinfo_endpoint },
		{ "introspection_endpoint", &metadata->introspection_endpoint },
		{ "jwks_uri", &metadata->jwks_uri },
	};
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		enum json_field_status status =
		    json_get_string(obj, endpoints[i].name, METADATA_URL_MAX, endpoints[i].field);
		if (status == JSON_FIELD_ABSENT)
			continue;
		if (status != JSON_FIELD_OK || !is_https_url(*endpoints[i].field)) {
			*why = "an endpoint in the document is not an https URL";
			goto done;
		}
	}
	rc = 0;
done:
	json_object_put(obj);
	if (rc != 0)
		provider_metadata_clear(metadata);
	return rc;
}

char *provider_metadata_openid_url(const char *issuer)
{
	size_t len = strlen(issuer);
	/* OIDC Discovery §4: remove a terminating "/" before appending. */
	if (len > 0 && issuer[len - 1] == '/')
		len--;
	char *url = NULL;
	return asprintf(&url, "%.*s/.well-known/openid-configuration", (int)len, issuer) < 0 ? NULL : url;
}

char *provider_metadata_rfc8414_url(const char *issuer)
{
	/* RFC 8414 §3.1: https://host/path -> https://host/.well-known/oauth-authorization-server/path,
	 * any terminating "/" removed. */
	const char *host = strstr(issuer, "://");
	host = host != NULL ? host + 3 : issuer;
	const char *path = strchr(host, '/');
	size_t origin_len = path != NULL ? (size_t)(path - issuer) : strlen(issuer);
	size_t path_len = path != NULL ? strlen(path) : 0;
	while (path_len > 0 && path[path_len - 1] == '/')
		path_len--;
	char *url = NULL;
	if (asprintf(&url, "%.*s/.well-known/oauth-authorization-server%.*s", (int)origin_len, issuer, (int)path_len,
		     path != NULL ? path : "") < 0)
		return NULL;
	return url;
}

void provider_metadata_clear(struct provider_metadata *metadata)
{
	free(metadata->issuer);
	free(metadata->device_authorization_endpoint);
	free(metadata->token_endpoint);
	free(metadata->userinfo_endpoint);
	free(metadata->introspection_endpoint);
	free(metadata->jwks_uri);
	memset(metadata, 0, sizeof(*metadata));
}
