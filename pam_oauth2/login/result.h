/* How a login ended, and the one place that turns that into a PAM code and the
 * line the user reads; and the one rule that turns an IdP status into a login result,
 * before and after someone approved. */
#ifndef PAM_OAUTH2_LOGIN_RESULT_H
#define PAM_OAUTH2_LOGIN_RESULT_H

#include "idp/status.h"

#include <stdbool.h>
#include <stddef.h>

enum login_result {
	LOGIN_APPROVED,            /* the login is granted (the only success) */
	LOGIN_CONTINUE,            /* a step went fine: go on to the next (never final) */
	LOGIN_DENIED,              /* the person refused at the IdP */
	LOGIN_EXPIRED,             /* the code expired, or the login's time ran out */
	LOGIN_NOT_AUTHORIZED,      /* a required scope missing, or another identity approved */
	LOGIN_REFUSED_BY_IDP,      /* another final OAuth error */
	LOGIN_TOKEN_INVALID,       /* a token failed verification, or sources disagree */
	LOGIN_IDP_UNAVAILABLE,     /* network, TLS, timeout, 5xx, malformed answers */
	LOGIN_UNAVAILABLE_REFUSED, /* an outage where the caller could have caused it: a denial */
	LOGIN_CONFIG_ERROR,        /* our configuration, or the IdP refusing our client */
	LOGIN_ALREADY_REFUSED,     /* a retry after a refusal on the same handle */
	LOGIN_CONV_ERROR,          /* no conversation, or it failed */
	LOGIN_SYSTEM_ERROR         /* out of memory and the like */
};

/* The PAM return code: PAM_SUCCESS only for LOGIN_APPROVED. Refusals are PAM_AUTH_ERR
 * (an explicit denial PAM_MAXTRIES: no retry) and outages PAM_AUTHINFO_UNAVAIL, so
 * admins can stack a fallback for outages alone. */
int login_result_pam_code(enum login_result result);

/* The line shown to the user for a failed login; NULL for LOGIN_APPROVED.
 * LOGIN_NOT_AUTHORIZED's text ends in "for " and wants the user name after it. */
const char *login_result_user_message(enum login_result result);

/* The login result of an IdP STATUS. Before anyone APPROVED, an outage is an outage;
 * after (the token endpoint answered 200), every failure is a refusal: as an outage it
 * would let an approver's account, or an unlucky moment, reach an
 * "authinfo_unavail=ignore" fallback. REASON is then prefixed "after approval: ". */
enum login_result login_result_of_idp(enum idp_status status, bool approved, char *reason, size_t reason_size);

/* A short word for the log line ("approved", "denied", ...). */
const char *login_result_name(enum login_result result);

/* The result a login_result_name NAME stands for (a burst's end note); false when none. */
bool login_result_from_name(const char *name, enum login_result *result);

#endif
