/* One login's session, shared by the steps (flow.c), the grant judgement (grant.c) and
 * the check (check.c): what the login is for, its IdP session, and its reason line.
 * Lives on the stack of login_flow_run or login_flow_check. */
#ifndef PAM_OAUTH2_LOGIN_SESSION_H
#define PAM_OAUTH2_LOGIN_SESSION_H

#include "config/oauth2_config.h"
#include "idp/idp.h"
#include "login/context.h"
#include "login/result.h"

#include <security/_pam_types.h>
#include <stdbool.h>
#include <stddef.h>

struct login {
	pam_handle_t *pamh;
	const struct oauth2_config *config;
	const struct login_context *context;
	struct login_identity *identity; /* filled on success */
	char *reason;
	size_t reason_size;
	struct idp idp;
	/* The token endpoint answered 200: someone approved, and from here on every failure
	 * is a refusal (login_result_of_idp). */
	bool approved;
};

/* Sets the session up (the deadline is now + timeout) and opens the IdP session.
 * LOGIN_CONTINUE, or the failure; call login_end in every case. */
enum login_result login_begin(struct login *login, pam_handle_t *pamh, const struct oauth2_config *config,
			      const struct login_context *context, struct login_identity *identity, char *reason,
			      size_t reason_size);
void login_end(struct login *login);

/* Writes the reason line and returns RESULT. */
enum login_result login_fail(struct login *login, enum login_result result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The login result of an IdP step's STATUS (its reason is already written). */
enum login_result login_step(struct login *login, enum idp_status status);

#endif
