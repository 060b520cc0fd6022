/* The IdP layer's session with one identity provider for one login: the HTTP client (one
 * connection for the whole login), the endpoints in use, the client's authentication and
 * the login's deadline. Every request goes through idp_exchange, which maps transport
 * results to an idp_status once. Each endpoint has a file of its own beside this one
 * (a request and its parser); none of them knows the login layer above. This is where an
 * IdP's dialect is absorbed (ARCHITECTURE.md). */
#ifndef PAM_OAUTH2_IDP_H
#define PAM_OAUTH2_IDP_H

#include "config/oauth2_config.h"
#include "idp/metadata.h"
#include "idp/status.h"
#include "io/http_client.h"
#include "jose/jwk.h"
#include "util/strbuf.h"

#include <security/_pam_types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idp_endpoints {
	const char *device_authorization;
	const char *token;
	const char *userinfo;
	const char *introspection;
	const char *jwks_uri;
};

struct idp {
	pam_handle_t *pamh; /* for debug lines only */
	const struct oauth2_config *config;
	struct http_client *http;
	char *client_authorization; /* "Basic ..." for client_auth=basic; secret */
	int64_t deadline_ms;        /* monotonic: no request runs past it */
	char *reason;               /* the one line for the log, shared with the caller */
	size_t reason_size;

	struct provider_metadata discovered;
	struct idp_endpoints endpoints; /* the configuration's, else the discovered ones */
	bool endpoints_resolved;        /* once per login, whoever asks first */

	struct jwk_set keys; /* fetched when a signature is first checked */
	bool keys_loaded;
	bool keys_refetched; /* the one refetch an unknown kid allows */
};

/* Sets up the client for a login ending at DEADLINE_MS; REASON (REASON_SIZE bytes) gets
 * the reason of any failure. Always call idp_close, also after a failure. */
enum idp_status idp_open(struct idp *idp, pam_handle_t *pamh, const struct oauth2_config *config, int64_t deadline_ms,
			 char *reason, size_t reason_size);
void idp_close(struct idp *idp);

/* Writes the reason and returns STATUS. */
enum idp_status idp_fail(struct idp *idp, enum idp_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* A LOG_DEBUG line when debug is on. Never pass a secret. */
void idp_debug(struct idp *idp, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Client authentication fields for a form body (RFC 6749 §2.3): a public client names
 * itself, a "post" client adds its secret; a "basic" client uses the header instead. */
int idp_append_client_fields(const struct idp *idp, struct strbuf *body);

/* One request to the IdP, labelled WHAT in reasons: a form POST of FORM with the client's
 * Basic credentials when FORM is set, else a GET with BEARER as the access token (or no
 * credentials when NULL). IDP_OK when an answer arrived (RESPONSE holds it, any status);
 * else IDP_UNAVAILABLE, or IDP_DEADLINE when the login's timeout cut it short.
 * *TRANSPORT, when not NULL, gets the transport result; RESPONSE->status_code is also set
 * when a status line came before a failure. Clear RESPONSE in every case. */
enum idp_status idp_exchange(struct idp *idp, const char *what, const char *url, const char *form, const char *bearer,
			     struct http_response *response, enum http_status *transport);

#endif
