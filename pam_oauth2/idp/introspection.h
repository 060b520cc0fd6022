/* Token introspection (RFC 7662): the request (§2.1) and the checks on its answer (§2.2). */
#ifndef PAM_OAUTH2_INTROSPECTION_H
#define PAM_OAUTH2_INTROSPECTION_H

#include "idp/status.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* Parses BODY and checks it describes a token we may rely on: "active" is true,
 * "client_id" (when present) is CLIENT_ID, "exp" (when present) is after NOW less
 * LEEWAY. On success *CLAIMS holds the whole object (json_object_put it) and *SCOPE
 * points into it: the granted scopes, "" when the member is absent (fail closed).
 * Returns 0, or -1 with *WHY. */
int introspection_check(const char *body, size_t len, const char *client_id, int64_t now, long leeway,
			struct json_object **claims, const char **scope, const char **why);

struct idp;

/* Introspects ACCESS_TOKEN with the client's credentials. On IDP_OK *CLAIMS and *SCOPE are
 * as for introspection_check; IDP_INVALID when the token is not one we may rely on,
 * IDP_MISCONFIGURED when the IdP refuses our client, IDP_UNAVAILABLE otherwise. */
enum idp_status idp_introspect(struct idp *idp, const char *access_token, struct json_object **claims,
			       const char **scope);

#endif
