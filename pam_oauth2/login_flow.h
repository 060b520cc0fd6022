/* One device-flow login, step by step: request a device code, show it, wait and poll,
 * check the granted scopes, bind the approver to the PAM user. */
#ifndef PAM_OAUTH2_LOGIN_FLOW_H
#define PAM_OAUTH2_LOGIN_FLOW_H

#include "login_display.h"
#include "login_result.h"
#include "oauth2_config.h"

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stddef.h>

#define LOGIN_IDENTITY_MAX 257

/* Who approved, for the session's environment: plain visible ASCII, "" when unknown. */
struct login_identity {
	char sub[LOGIN_IDENTITY_MAX];
	char username[LOGIN_IDENTITY_MAX];
};

/* Runs the login for CONTEXT->user. REASON gets one safe line for the log; IDENTITY
 * is filled when the login is approved. */
enum login_result login_flow_run(pam_handle_t *pamh, const struct oauth2_config *config,
				 const struct login_context *context, struct login_identity *identity, char *reason,
				 size_t reason_size);

/* Called by login_flow_check for each step: OK or not, the step's name, a safe detail. */
typedef void (*login_check_report)(void *data, bool ok, const char *step, const char *detail);

/* Checks that a login could work without one: discovery, TLS to every endpoint, the
 * signing keys, and a real device authorization request (client id, authentication
 * and scopes accepted). Returns LOGIN_APPROVED when every step passed. */
enum login_result login_flow_check(pam_handle_t *pamh, const struct oauth2_config *config, login_check_report report,
				   void *data);

#endif
