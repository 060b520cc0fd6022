#include "config.h"

#include "config/pitfalls.h"

#include "rules/identity_rules.h"
#include "rules/scope_set.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* True when URL is https://HOST/... for HOST, or a subdomain of it when SUBDOMAINS. */
static bool url_host_is(const char *url, const char *host, bool subdomains)
{
	static const char scheme[] = "https://";
	if (url == NULL || strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return false;
	const char *start = url + sizeof(scheme) - 1;
	size_t len = strcspn(start, "/:?#");
	size_t host_len = strlen(host);
	if (len == host_len && strncmp(start, host, len) == 0)
		return true;
	return subdomains && len > host_len + 1 && start[len - host_len - 1] == '.' &&
	       strncmp(start + len - host_len, host, host_len) == 0;
}

/* The configuration names this IdP in its issuer or any endpoint. */
static bool names_host(const struct oauth2_config *config, const char *host, bool subdomains)
{
	const char *urls[] = { config->issuer, config->device_authorization_endpoint, config->token_endpoint,
			       config->userinfo_endpoint };
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		if (url_host_is(urls[i], host, subdomains))
			return true;
	}
	return false;
}

unsigned config_pitfalls(const struct oauth2_config *config, config_pitfall_report report, void *data)
{
	unsigned count = 0;
	char line[512];
	/* OIDC Core §5.7: only sub (within one issuer) is stable and never reassigned. */
	if (identity_claim_is_mutable(config->username_claim) && config->username_map == NULL) {
		snprintf(line, sizeof(line),
			 "username_claim = %s is a name that can be changed or reassigned (OIDC Core 5.7): prefer a "
			 "stable claim (sub, or the IdP's immutable id) with a username_map (README, \"Choosing the "
			 "identity claim\")",
			 config->username_claim);
		report(data, "identity claim", line);
		count++;
	}
	/* Entra: the multi-tenant issuers are templates ({tenantid}) that match no token, and
	 * would admit any tenant if they did. */
	if (url_host_is(config->issuer, "login.microsoftonline.com", false)) {
		static const char *const shared[] = { "/common/", "/organizations/", "/consumers/" };
		for (size_t i = 0; i < 3; i++) {
			if (strstr(config->issuer, shared[i]) != NULL) {
				report(data, "Entra ID issuer",
				       "the issuer must name your tenant "
				       "(https://login.microsoftonline.com/TENANT-ID/v2.0): "
				       "common, organizations and consumers stand for any tenant and their discovery "
				       "issuer never matches (conf/idp/entra.conf)");
				count++;
			}
		}
	}
	/* Google: a "TVs and Limited Input devices" client must send its secret in the body. */
	if ((names_host(config, "accounts.google.com", false) || names_host(config, "oauth2.googleapis.com", false)) &&
	    config->client_auth != CLIENT_AUTH_POST) {
		report(data, "Google client",
		       "Google's device flow needs the client secret in the form body: client_secret_file and "
		       "client_auth = post (conf/idp/google.conf)");
		count++;
	}
	/* GitHub: login is renameable (and a freed login is reused); the numeric id is not. */
	if ((names_host(config, "github.com", false) || names_host(config, "api.github.com", false)) &&
	    strcmp(config->username_claim, "login") == 0) {
		report(data, "GitHub identity",
		       "GitHub logins can be renamed and then claimed by someone else: use username_claim = id with "
		       "a username_map of numeric ids (conf/idp/github.conf)");
		count++;
	}
	/* Auth0 names the API with audience; a resource field is ignored and the scopes of the
	 * API are then never granted. */
	if (names_host(config, "auth0.com", true) && config->audience != NULL &&
	    config->audience_param != AUDIENCE_PARAM_AUDIENCE) {
		report(data, "Auth0 audience",
		       "Auth0 reads the API from the audience field: set audience_param = audience "
		       "(conf/idp/auth0.conf)");
		count++;
	}
	/* remember: without a refresh token a reuse trusts the approval's age alone. Most IdPs
	 * issue one only for offline_access (OIDC Core §11; Entra, Okta, Auth0, Keycloak);
	 * Google's device flow gives one without it. */
	if (config->remember > 0 && !scope_set_contains(config->scope, "offline_access", 14) &&
	    !names_host(config, "accounts.google.com", false) && !names_host(config, "oauth2.googleapis.com", false)) {
		report(
		    data, "remember",
		    "scope lacks offline_access: most IdPs then issue no refresh token, and a remembered approval is "
		    "reused on its age alone, without asking the IdP whether the grant still stands (README, "
		    "\"Remembered approvals\")");
		count++;
	}
	return count;
}
