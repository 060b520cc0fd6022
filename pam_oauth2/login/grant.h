/* The judgement of a grant, once someone approved: the granted scopes from the configured
 * source must include every required scope, and the approver's identity, from the
 * configured source, must be allowed to become the PAM user. */
#ifndef PAM_OAUTH2_LOGIN_GRANT_H
#define PAM_OAUTH2_LOGIN_GRANT_H

#include "idp/token.h"
#include "login/result.h"

struct login;

/* Whose approval a grant is: the requester's own (who must be allowed to become the PAM
 * user), or the four-eyes approver's (in approver_group, and not the requester). */
enum grant_role { GRANT_REQUESTER, GRANT_APPROVER };

/* LOGIN_APPROVED, or the refusal. Both roles pass the same trust checks (scopes,
 * signatures, sources agreeing on sub, require_amr, require_acr, max_auth_age,
 * require_claim). For the requester LOGIN->identity and LOGIN->requester_sub are filled
 * and the reason names the rule that matched; for the approver the reason reads
 * "approved_by=APPROVER for=REQUESTER (...)". Every failure here comes after an
 * approval: never an outage. */
enum login_result login_judge_grant(struct login *login, const struct token_grant *grant, enum grant_role role);

#endif
