/* What one login holds while it runs, shared by the steps in login_flow.c and
 * login_trust.c. Internal to the flow; all of it lives on login_flow_run's stack. */
#ifndef PAM_OAUTH2_LOGIN_STATE_H
#define PAM_OAUTH2_LOGIN_STATE_H

#include "http_client.h"
#include "jwk.h"
#include "login_flow.h"
#include "provider_metadata.h"
#include "strbuf.h"
#include "token_response.h"

#include <stdbool.h>
#include <stdint.h>

struct login {
	pam_handle_t *pamh;
	const struct oauth2_config *config;
	const struct login_context *context;
	struct http_client *http;
	char *client_authorization; /* "Basic ..." for client_auth=basic; secret */
	int64_t deadline_ms;        /* the whole login ends by then (timeout) */
	char *reason;
	size_t reason_size;
	struct login_identity *identity; /* filled on success */

	/* The endpoints in use: the configuration's, else the discovered ones. */
	struct provider_metadata discovered;
	const char *device_authorization_endpoint;
	const char *token_endpoint;
	const char *userinfo_endpoint;
	const char *introspection_endpoint;
	const char *jwks_uri;

	struct jwk_set keys; /* fetched when a signature is first checked */
	bool keys_loaded;
	bool keys_refetched; /* the one refetch an unknown kid allows */
};

/* Helpers of the steps (login_flow.c). */
int64_t login_now_ms(void);
enum login_result login_fail(struct login *login, enum login_result result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void login_debug(struct login *login, const char *format, ...) __attribute__((format(printf, 2, 3)));
long login_request_timeout_ms(const struct login *login);
int login_append_client_fields(const struct login *login, struct strbuf *body);
enum login_result login_transport_failure(struct login *login, const char *what, enum http_status status,
					  const char *error);

/* login_trust.c: GETs URL without credentials; LOGIN_APPROVED with RESPONSE filled (any status). */
enum login_result login_fetch(struct login *login, const char *what, const char *url, struct http_response *response);

/* login_trust.c: (re)loads the IdP's signing keys from jwks_uri: from the disk cache
 * when allowed and valid, else (always, when FRESH) from the network. */
enum login_result login_load_keys(struct login *login, bool fresh);

/* login_trust.c: the endpoints to use, discovered from the issuer when one is set. */
enum login_result login_resolve_endpoints(struct login *login);

/* login_trust.c: the granted scopes from the configured source must include every
 * required scope, and the approver's identity, from the configured source, must be
 * allowed to become the PAM user. */
enum login_result login_evaluate_grant(struct login *login, const struct token_grant *grant);

void login_trust_clear(struct login *login);

#endif
