#include "config.h"

#include "login/check.h"

#include "idp/device_authorization.h"
#include "idp/discovery.h"
#include "idp/keys.h"
#include "login/session.h"

#include <stdio.h>

enum login_result login_flow_check(pam_handle_t *pamh, const struct oauth2_config *config, login_check_report report,
				   void *data)
{
	struct login login;
	struct login_identity identity;
	struct login_context context = { 0 };
	char reason[512], detail[600];
	struct device_authorization auth = { 0 };
	enum login_result result = login_begin(&login, pamh, config, &context, &identity, reason, sizeof(reason));
	if (result == LOGIN_CONTINUE)
		result = login_step(&login, idp_resolve_endpoints(&login.idp));
	report(data, result == LOGIN_CONTINUE, config->issuer != NULL ? "discovery" : "endpoints",
	       result == LOGIN_CONTINUE ? (config->issuer != NULL ? config->issuer : "from the configuration")
					: reason);
	if (result != LOGIN_CONTINUE)
		goto done;
	const struct idp_endpoints *use = &login.idp.endpoints;
	const struct {
		const char *name;
		const char *url;
	} endpoints[] = {
		{ "device_authorization_endpoint", use->device_authorization },
		{ "token_endpoint", use->token },
		{ "userinfo_endpoint", use->userinfo },
		{ "introspection_endpoint", use->introspection },
		{ "jwks_uri", use->jwks_uri },
	};
	/* A TLS handshake with each endpoint: any HTTP answer proves name, certificate and route. */
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		if (endpoints[i].url == NULL)
			continue;
		struct http_response response;
		enum login_result reached = login_step(
		    &login, idp_exchange(&login.idp, endpoints[i].name, endpoints[i].url, NULL, NULL, &response, NULL));
		if (reached == LOGIN_CONTINUE)
			snprintf(detail, sizeof(detail), "%s: TLS ok, HTTP %ld", endpoints[i].url,
				 response.status_code);
		else
			snprintf(detail, sizeof(detail), "%s", reason);
		http_response_clear(&response);
		report(data, reached == LOGIN_CONTINUE, endpoints[i].name, detail);
		if (reached != LOGIN_CONTINUE)
			result = reached;
	}
	if (use->jwks_uri != NULL) {
		enum login_result keys = login_step(&login, idp_load_keys(&login.idp, true));
		if (keys == LOGIN_CONTINUE)
			snprintf(detail, sizeof(detail), "%zu signing keys usable", login.idp.keys.count);
		else
			snprintf(detail, sizeof(detail), "%s", reason);
		report(data, keys == LOGIN_CONTINUE && login.idp.keys.count > 0, "jwks", detail);
		if (keys != LOGIN_CONTINUE)
			result = keys;
	}
	/* A real device authorization request proves the client id, its authentication and
	 * the scopes; the code it returns is simply left to expire. */
	enum login_result device = login_step(&login, idp_request_device_code(&login.idp, &auth));
	if (device == LOGIN_CONTINUE)
		snprintf(detail, sizeof(detail),
			 "client %s accepted with scope '%s' (code expires in %ld s, interval %ld s)",
			 config->client_id, config->scope, auth.expires_in, auth.interval);
	report(data, device == LOGIN_CONTINUE, "device authorization", device == LOGIN_CONTINUE ? detail : reason);
	if (device != LOGIN_CONTINUE)
		result = device;
done:
	device_authorization_clear(&auth);
	login_end(&login);
	return result == LOGIN_CONTINUE ? LOGIN_APPROVED : result;
}
