/* How the approver signed in, as the verified ID token says (OIDC Core §2): with which
 * methods (amr, RFC 8176 values), at which level (acr), and when (auth_time). Pure: the
 * claims come in as a JSON object, the clock as a number. */
#ifndef PAM_OAUTH2_AUTH_CONTEXT_H
#define PAM_OAUTH2_AUTH_CONTEXT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_context_rules {
	const char *require_amr; /* space separated; NULL or "": none */
	bool amr_all;            /* every value of require_amr, not one of them */
	const char *require_acr; /* space separated, acr must be one of them; NULL or "": none */
	long max_auth_age;       /* seconds; 0: none */
	int64_t now;             /* wall clock, seconds since the epoch */
	long leeway;             /* seconds an auth_time may lie in the future (clock skew) */
};

enum auth_context_verdict {
	AUTH_CONTEXT_OK,
	AUTH_CONTEXT_AMR_INVALID,  /* amr missing, or not an array of strings */
	AUTH_CONTEXT_AMR_LACKING,  /* amr lacks the required method(s) */
	AUTH_CONTEXT_ACR_INVALID,  /* acr missing or not a string */
	AUTH_CONTEXT_ACR_MISMATCH, /* acr is none of require_acr */
	AUTH_CONTEXT_TIME_INVALID, /* auth_time missing, not an integer, or in the future */
	AUTH_CONTEXT_TIME_TOO_OLD  /* auth_time older than max_auth_age */
};

/* True when RULES ask anything of the sign-in. */
bool auth_context_required(const struct auth_context_rules *rules);

/* Decides whether CLAIMS (a verified ID token's) show a sign-in RULES accept. DETAIL gets
 * a line for the log ("amr [pwd] lacks any of [mfa otp]"), server text sanitized. */
enum auth_context_verdict auth_context_decide(struct json_object *claims, const struct auth_context_rules *rules,
					      char *detail, size_t detail_size);

#endif
