/* The check tool's run of a login's first steps, without a login: discovery, TLS to every
 * endpoint, the signing keys, and a real device authorization request. */
#ifndef PAM_OAUTH2_LOGIN_CHECK_H
#define PAM_OAUTH2_LOGIN_CHECK_H

#include "config/oauth2_config.h"
#include "login/result.h"

#include <security/_pam_types.h>
#include <stdbool.h>

/* Called for each step: OK or not, the step's name, a safe detail. */
typedef void (*login_check_report)(void *data, bool ok, const char *step, const char *detail);

/* Checks that a login could work (client id, its authentication and the scopes accepted
 * by the IdP). Returns LOGIN_APPROVED when every step passed. */
enum login_result login_flow_check(pam_handle_t *pamh, const struct oauth2_config *config, login_check_report report,
				   void *data);

#endif
