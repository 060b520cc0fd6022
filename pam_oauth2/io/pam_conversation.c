#include "config.h"

#include "io/pam_conversation.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>

bool conversation_available(pam_handle_t *pamh)
{
	const void *item = NULL;
	const struct pam_conv *conv;
	if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
		return false;
	conv = item;
	return conv->conv != NULL;
}

int conversation_show_info(pam_handle_t *pamh, const struct line_list *messages)
{
	/* One message per call: sshd, sudo and pamtester all handle that the same way,
	 * and each message stays under PAM_MAX_MSG_SIZE (the caller packs them). */
	for (size_t i = 0; i < messages->count; i++) {
		int rc = pam_prompt(pamh, PAM_TEXT_INFO, NULL, "%s", messages->lines[i]);
		if (rc != PAM_SUCCESS)
			return rc == PAM_BUF_ERR ? rc : PAM_CONV_ERR;
	}
	return PAM_SUCCESS;
}

int conversation_show_error(pam_handle_t *pamh, const char *text)
{
	return pam_prompt(pamh, PAM_ERROR_MSG, NULL, "%s", text);
}

int conversation_wait_for_enter(pam_handle_t *pamh, const char *prompt)
{
	char *answer = NULL;
	/* No echo: people used to a password prompt under sudo type their password here,
	 * and it must not appear on the screen (or in a terminal's scrollback). */
	int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s", prompt);
	if (rc == PAM_SUCCESS && answer == NULL)
		rc = PAM_CONV_ERR;
	if (answer != NULL) {
		explicit_bzero(answer, strlen(answer));
		free(answer);
	}
	return rc == PAM_SUCCESS || rc == PAM_BUF_ERR ? rc : PAM_CONV_ERR;
}
