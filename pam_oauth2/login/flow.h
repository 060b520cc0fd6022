/* One device-flow login, step by step: request a device code, show it, wait and poll,
 * judge the grant (scopes and identity). The login layer's entry points. */
#ifndef PAM_OAUTH2_LOGIN_FLOW_H
#define PAM_OAUTH2_LOGIN_FLOW_H

#include "config/oauth2_config.h"
#include "login/context.h"
#include "login/result.h"

#include <security/_pam_types.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs the login for CONTEXT->user. REASON gets one safe line for the log; IDENTITY
 * is filled when the login is approved. */
enum login_result login_flow_run(pam_handle_t *pamh, const struct oauth2_config *config,
				 const struct login_context *context, struct login_identity *identity, char *reason,
				 size_t reason_size);

#endif
