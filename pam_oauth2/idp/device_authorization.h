/* The device authorization response (RFC 8628 §3.2). */
#ifndef PAM_OAUTH2_DEVICE_AUTHORIZATION_H
#define PAM_OAUTH2_DEVICE_AUTHORIZATION_H

#include "idp/status.h"

#include <stddef.h>

/* Bounds on what we accept from the server. */
#define DEVICE_CODE_MAX 4096
#define USER_CODE_MAX 64
/* "Open URI and enter the code: CODE" must fit one PAM message (511 bytes) whole, or the
 * code, which RFC 8628 §3.3.1 says MUST be shown, could be cut off. */
#define VERIFICATION_URI_MAX 400
#define EXPIRES_IN_MAX 86400
#define INTERVAL_MAX 3600
#define INTERVAL_DEFAULT 5 /* RFC 8628 §3.2 */

struct device_authorization {
	char *device_code; /* secret: wiped on clear */
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete; /* NULL when the server sent none */
	long expires_in;
	long interval;
};

/* Fills AUTH from a 200 response body. Returns 0, or -1 with a fixed reason in *WHY
 * (safe to log) when a field is missing, of the wrong type, out of bounds, or when
 * a user code or URI holds anything but visible ASCII or a URI is not https. */
int device_authorization_parse(const char *body, size_t len, struct device_authorization *auth, const char **why);

void device_authorization_clear(struct device_authorization *auth);

struct idp;

/* RFC 8628 §3.1-3.2: asks for a device code for the configured client and scopes (and
 * the resource, RFC 8707, when audience is set). IDP_MISCONFIGURED when the IdP refuses
 * our client with an OAuth error; IDP_UNAVAILABLE for a malformed answer. */
enum idp_status idp_request_device_code(struct idp *idp, struct device_authorization *auth);

#endif
