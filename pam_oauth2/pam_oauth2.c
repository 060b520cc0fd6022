/* The PAM entry points. Each reads like the protocol: load the configuration, run the
 * device-flow login, log one line, tell the user one line, return one PAM code. */
#include "config.h"

#include "io/auth_log.h"
#include "login/flow.h"
#include "io/caller_session.h"
#include "io/local_account.h"
#include "login/result.h"
#include "config/oauth2_config.h"
#include "io/pam_conversation.h"
#include "util/sanitize.h"

#include <limits.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

/* Longest PAM user name we start a login for; longer ones cannot be local accounts. */
#define PAM_USER_MAX 256

/* Set in the PAM environment when a login was refused in a way a retry cannot change (the
 * person said no, or the policy said no), so that a retry on the same handle (sudo's, or
 * pamtester's) ends at once. It lives in the handle, not in process state (house rule 4).
 * sshd returns the environment from its keyboard-interactive child only after a success,
 * so it never sees this marker: for sshd a denial's PAM_MAXTRIES does the job. setcred
 * removes the marker before any session. */
#define REFUSED_MARKER "PAM_OAUTH2_REFUSED"

static const char *pam_item_string(pam_handle_t *pamh, int item)
{
	const void *value = NULL;
	if (pam_get_item(pamh, item, &value) != PAM_SUCCESS)
		return NULL;
	return value;
}

/* Tells the user why the login failed, in one line. */
static void tell_user(pam_handle_t *pamh, enum login_result result, const char *user)
{
	const char *message = login_result_user_message(result);
	if (message == NULL)
		return;
	if (result == LOGIN_NOT_AUTHORIZED) {
		char *safe_user = sanitize_for_terminal(user, strlen(user), 64);
		char line[160];
		snprintf(line, sizeof(line), "%s%s.", message, safe_user != NULL ? safe_user : "this user");
		free(safe_user);
		conversation_show_error(pamh, line);
		return;
	}
	conversation_show_error(pamh, message);
}

/* Who approved, for the session and for audit: never a token. sshd carries the PAM
 * environment from its authenticating child to the session, unlike pam_set_data. */
static void export_identity(pam_handle_t *pamh, const struct oauth2_config *config,
			    const struct login_identity *identity)
{
	const char *names[] = { "OAUTH2_SUB", "OAUTH2_USERNAME", "OAUTH2_ISSUER" };
	const char *values[] = { identity->sub, identity->username, config->issuer };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *variable = NULL;
		if (values[i] == NULL || values[i][0] == '\0' || asprintf(&variable, "%s=%s", names[i], values[i]) < 0)
			continue;
		if (pam_putenv(pamh, variable) != PAM_SUCCESS)
			auth_log(pamh, LOG_WARNING, "could not set %s in the PAM environment", names[i]);
		free(variable);
	}
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags; /* PAM_SILENT cannot hide the code: without it no login succeeds. */
	int pam_code = PAM_AUTH_ERR;
	enum login_result result = LOGIN_SYSTEM_ERROR;
	struct oauth2_config config;
	bool config_loaded = false;
	char reason[512] = "-";
	const char *user = NULL;

	if (oauth2_config_load(&config, argc, argv, OAUTH2_CONFIG_DEFAULT_PATH, TRUSTED_OWNER, reason,
			       sizeof(reason)) != 0) {
		result = LOGIN_CONFIG_ERROR;
		goto done;
	}
	config_loaded = true;
	/* No endless new codes: after a refusal, a retry on this handle (the ssh client's
	 * next keyboard-interactive round, sudo's next try) ends at once. PAM_MAXTRIES makes
	 * sshd stop offering keyboard-interactive on this connection. */
	if (pam_getenv(pamh, REFUSED_MARKER) != NULL) {
		snprintf(reason, sizeof(reason), "refused earlier on this connection; not asking again");
		result = LOGIN_ALREADY_REFUSED;
		goto done;
	}
	if (!conversation_available(pamh)) {
		snprintf(reason, sizeof(reason), "the application gave no conversation function");
		result = LOGIN_CONV_ERROR;
		goto done;
	}
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || user[0] == '\0') {
		snprintf(reason, sizeof(reason), "no user name");
		user = NULL;
		result = LOGIN_SYSTEM_ERROR;
		goto done;
	}
	/* Reject names no account can have before any request goes out. */
	size_t user_len = strnlen(user, PAM_USER_MAX + 1);
	if (user_len > PAM_USER_MAX || !is_visible_ascii(user, user_len)) {
		snprintf(reason, sizeof(reason), "user name is too long or holds spaces or control characters");
		result = LOGIN_NOT_AUTHORIZED;
		goto done;
	}
	char host[HOST_NAME_MAX + 1] = "", session[CALLER_SESSION_MAX] = "";
	/* Read from /proc only for what needs it: a remembered approval's key. */
	bool have_session =
	    config.remember > 0 && getuid() != 0 && caller_session_identity(session, sizeof(session)) == 0;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[HOST_NAME_MAX] = '\0';
	struct login_context context = {
		.user = user,
		.host = host,
		.service = pam_item_string(pamh, PAM_SERVICE),
		.rhost = pam_item_string(pamh, PAM_RHOST),
		.tty = pam_item_string(pamh, PAM_TTY),
		/* Set by sshd (auth-pam.c) before keyboard-interactive; tests/e2e/SSH_AUTH_INFO.md. */
		.auth_info = pam_getenv(pamh, "SSH_AUTH_INFO_0"),
		.caller_uid = (long)getuid(),
		.caller_session = have_session ? session : NULL,
		.user_is_superuser = local_account_is_superuser(user),
		/* sudo, su and pkexec keep the invoking user's real uid while they authenticate. */
		.caller_can_interrupt = getuid() != 0,
	};
	struct login_identity identity;
	result = login_flow_run(pamh, &config, &context, &identity, reason, sizeof(reason));
	if (result == LOGIN_APPROVED && config.export_claims)
		export_identity(pamh, &config, &identity);
	if (result == LOGIN_DENIED || result == LOGIN_NOT_AUTHORIZED)
		pam_putenv(pamh, REFUSED_MARKER "=1");
done:
	pam_code = login_result_pam_code(result);
	auth_log_outcome(pamh,
			 result == LOGIN_APPROVED ? LOG_INFO : (result == LOGIN_CONFIG_ERROR ? LOG_ERR : LOG_NOTICE),
			 login_result_name(result), reason);
	if (result != LOGIN_APPROVED && result != LOGIN_CONV_ERROR)
		tell_user(pamh, result, user != NULL ? user : "");
	if (config_loaded)
		oauth2_config_free(&config);
	return pam_code;
}

/* No credentials to set; sshd calls fatal() when setcred fails after a successful
 * authentication, and may call it in another process than the one that authenticated. */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	/* A refusal marker left by an earlier attempt must not reach the session's environment
	 * (pam_putenv with a bare name removes it). */
	if (pam_getenv(pamh, REFUSED_MARKER) != NULL)
		pam_putenv(pamh, REFUSED_MARKER);
	return PAM_SUCCESS;
}

/* Nothing to check at the account stage yet: it may run without our authentication
 * (another method, another process), so we neither grant nor refuse. */
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}
