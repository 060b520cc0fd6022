/* OAuth error responses (RFC 6749 §5.2, RFC 8628 §3.5). */
#ifndef PAM_OAUTH2_OAUTH_ERROR_H
#define PAM_OAUTH2_OAUTH_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#define OAUTH_ERROR_CODE_MAX 64
#define OAUTH_ERROR_DESCRIPTION_MAX 200

struct oauth_error {
	char code[OAUTH_ERROR_CODE_MAX + 1];               /* only RFC 6749 error characters */
	char description[OAUTH_ERROR_DESCRIPTION_MAX + 1]; /* sanitized for terminals and logs */
	long interval; /* a new polling interval sent with slow_down (GitHub), 0 when none */
};

/* Parses an error body. True when it is a JSON object whose "error" is a valid code;
 * the description is optional and is kept only in sanitized form; an "interval" is kept
 * when it is a whole number of seconds from 1 to 3600. */
bool oauth_error_parse(const char *body, size_t len, struct oauth_error *error);

#endif
