/* The judgement of a grant, once someone approved: the granted scopes from the configured
 * source must include every required scope, and the approver's identity, from the
 * configured source, must be allowed to become the PAM user. */
#ifndef PAM_OAUTH2_LOGIN_GRANT_H
#define PAM_OAUTH2_LOGIN_GRANT_H

#include "idp/token.h"
#include "login/result.h"

struct login;

/* LOGIN_APPROVED (LOGIN->identity filled, the reason names the rule that matched), or the
 * refusal. Every failure here comes after an approval: never an outage. */
enum login_result login_judge_grant(struct login *login, const struct token_grant *grant);

#endif
