/* GitHub's organisation and team memberships (REST API: GET /user/orgs and /user/teams,
 * scope read:org), as groups: "ORG" and "ORG/TEAM-SLUG". GitHub has no groups claim and
 * no OpenID Connect; these requests sit next to its user endpoint, with the same token. */
#ifndef PAM_OAUTH2_IDP_GITHUB_H
#define PAM_OAUTH2_IDP_GITHUB_H

#include "idp/status.h"

#include <json-c/json.h>

struct idp;

/* Reads the memberships of ACCESS_TOKEN's user and sets them as CLAIMS[GROUPS_CLAIM], an
 * array of strings (replacing any such member). IDP_REFUSED when GitHub refuses the token
 * (401/403: read:org not granted, or the organisation restricts the app). */
enum idp_status idp_github_groups(struct idp *idp, const char *access_token, struct json_object *claims,
				  const char *groups_claim);

#endif
