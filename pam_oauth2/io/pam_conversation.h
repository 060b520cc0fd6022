/* Talking to the person through the application's PAM conversation. The only file
 * that calls it. */
#ifndef PAM_OAUTH2_PAM_CONVERSATION_H
#define PAM_OAUTH2_PAM_CONVERSATION_H

#include "util/line_list.h"

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <stdbool.h>

/* True when the application gave us a conversation function: without one nobody can see a
 * code, so there is no point asking the IdP for one. */
bool conversation_available(pam_handle_t *pamh);

/* Shows each of MESSAGES as one PAM_TEXT_INFO message, in order. Returns a PAM code. */
int conversation_show_info(pam_handle_t *pamh, const struct line_list *messages);

/* Shows TEXT as a PAM_ERROR_MSG. Returns a PAM code. */
int conversation_show_error(pam_handle_t *pamh, const char *text);

/* Asks PROMPT with echo on and waits for the answer, which is discarded: this only
 * waits for Enter. A conversation that fails or answers nothing is PAM_CONV_ERR. */
int conversation_wait_for_enter(pam_handle_t *pamh, const char *prompt);

#endif
