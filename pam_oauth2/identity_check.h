/* Binding the person who approved to the account being logged into (RFC 8628 §5.4:
 * without it, anyone who can be talked into approving becomes anyone). */
#ifndef PAM_OAUTH2_IDENTITY_CHECK_H
#define PAM_OAUTH2_IDENTITY_CHECK_H

#include <stddef.h>

#define IDENTITY_CLAIM_MAX 256

enum identity_status {
	IDENTITY_MATCH,
	IDENTITY_MISMATCH,      /* the claim names someone else */
	IDENTITY_CLAIM_MISSING, /* no such string claim */
	IDENTITY_BAD_RESPONSE   /* not a JSON object */
};

/* Checks that string claim CLAIM of the userinfo BODY equals PAM_USER exactly
 * (byte for byte, case-sensitive). SEEN gets the claim's value, sanitized, for the log. */
enum identity_status identity_check_userinfo(const char *body, size_t len, const char *claim, const char *pam_user,
					     char *seen, size_t seen_size);

#endif
