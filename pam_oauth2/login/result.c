#include "config.h"

#include "login/result.h"

#include <security/_pam_types.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int pam_code;
	const char *name;
	const char *user_message;
} results[] = {
	[LOGIN_APPROVED] = { PAM_SUCCESS, "approved", NULL },
	/* Never the end of a login; should a bug let it through, it denies. */
	[LOGIN_CONTINUE] = { PAM_SYSTEM_ERR, "internal-error", "Sign-in failed: internal error." },
	/* The person said no: PAM_MAXTRIES ("no further retries") is the one answer sshd carries
	 * back from a failed keyboard-interactive round, and makes it stop asking; under
	 * "required" or "default=die" it denies exactly as PAM_AUTH_ERR does. */
	[LOGIN_DENIED] = { PAM_MAXTRIES, "denied", "Sign-in was denied at the identity provider." },
	[LOGIN_EXPIRED] = { PAM_AUTH_ERR, "expired", "Sign-in was not approved in time." },
	[LOGIN_NOT_AUTHORIZED] = { PAM_AUTH_ERR, "not-authorized", "Sign-in not authorized for " },
	[LOGIN_REFUSED_BY_IDP] = { PAM_AUTH_ERR, "refused", "Sign-in was refused by the identity provider." },
	[LOGIN_TOKEN_INVALID] = { PAM_AUTH_ERR, "token-invalid",
				  "Sign-in failed: the identity provider's answer could not be verified." },
	[LOGIN_IDP_UNAVAILABLE] = { PAM_AUTHINFO_UNAVAIL, "idp-unavailable",
				    "The identity provider cannot be reached; try again later." },
	/* The same words as an outage, but a denial: the invoking user of a setuid caller
	 * (sudo, su, pkexec) can stop the process past http_timeout, and an outage code would
	 * hand the login to an "authinfo_unavail=ignore" fallback. */
	[LOGIN_UNAVAILABLE_REFUSED] = { PAM_AUTH_ERR, "idp-unavailable-refused",
					"The identity provider cannot be reached; try again later." },
	[LOGIN_CONFIG_ERROR] = { PAM_SERVICE_ERR, "config-error",
				 "Sign-in is unavailable: the module is misconfigured (see the system log)." },
	[LOGIN_ALREADY_REFUSED] = { PAM_MAXTRIES, "already-refused", "Sign-in was refused earlier; not asking again." },
	[LOGIN_CONV_ERROR] = { PAM_CONV_ERR, "conversation-error", NULL },
	[LOGIN_SYSTEM_ERROR] = { PAM_SYSTEM_ERR, "system-error", "Sign-in failed: internal error." },
};

int login_result_pam_code(enum login_result result)
{
	if ((unsigned)result >= sizeof(results) / sizeof(results[0]))
		return PAM_SYSTEM_ERR;
	return results[result].pam_code;
}

const char *login_result_user_message(enum login_result result)
{
	if ((unsigned)result >= sizeof(results) / sizeof(results[0]))
		return "Sign-in failed: internal error.";
	return results[result].user_message;
}

const char *login_result_name(enum login_result result)
{
	if ((unsigned)result >= sizeof(results) / sizeof(results[0]))
		return "unknown";
	return results[result].name;
}

bool login_result_from_name(const char *name, enum login_result *result)
{
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		if (results[i].name != NULL && strcmp(results[i].name, name) == 0) {
			*result = (enum login_result)i;
			return true;
		}
	}
	return false;
}

enum login_result login_result_of_idp(enum idp_status status, bool approved, char *reason, size_t reason_size)
{
	switch (status) {
	case IDP_OK:
		return LOGIN_CONTINUE;
	case IDP_UNAVAILABLE:
		if (!approved)
			return LOGIN_IDP_UNAVAILABLE;
		char outage[256];
		snprintf(outage, sizeof(outage), "%s", reason);
		snprintf(reason, reason_size, "after approval: %s", outage);
		return LOGIN_TOKEN_INVALID;
	case IDP_MISCONFIGURED:
		return LOGIN_CONFIG_ERROR;
	case IDP_REFUSED:
		return LOGIN_REFUSED_BY_IDP;
	case IDP_INVALID:
		return LOGIN_TOKEN_INVALID;
	case IDP_DEADLINE:
		return LOGIN_EXPIRED;
	case IDP_NO_MEMORY:
		return LOGIN_SYSTEM_ERROR;
	}
	return LOGIN_SYSTEM_ERROR;
}
