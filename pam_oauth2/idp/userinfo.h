/* The OpenID Connect userinfo endpoint (OIDC Core §5.3): the claims about the person the
 * access token was issued for, over verified TLS. */
#ifndef PAM_OAUTH2_IDP_USERINFO_H
#define PAM_OAUTH2_IDP_USERINFO_H

#include "idp/status.h"

#include <json-c/json.h>

struct idp;

/* GETs the userinfo with ACCESS_TOKEN. On IDP_OK *CLAIMS holds the JSON object
 * (json_object_wipe_put it); IDP_REFUSED when the IdP refuses the token (401/403),
 * IDP_MISCONFIGURED when no endpoint is known, IDP_UNAVAILABLE otherwise. */
enum idp_status idp_fetch_userinfo(struct idp *idp, const char *access_token, struct json_object **claims);

#endif
