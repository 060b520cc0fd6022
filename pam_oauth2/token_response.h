/* The token endpoint's answer to a device_code poll (RFC 8628 §3.5, RFC 6749 §5). */
#ifndef PAM_OAUTH2_TOKEN_RESPONSE_H
#define PAM_OAUTH2_TOKEN_RESPONSE_H

#include "oauth_error.h"

#include <stddef.h>

#define ACCESS_TOKEN_MAX 32768
#define ID_TOKEN_MAX 32768
#define SCOPE_MAX 4096

enum token_outcome {
	TOKEN_GRANTED,         /* a Bearer access token */
	TOKEN_PENDING,         /* authorization_pending: poll again */
	TOKEN_SLOW_DOWN,       /* slow_down: poll again, 5 s slower from now on */
	TOKEN_DENIED,          /* access_denied: the person said no */
	TOKEN_EXPIRED,         /* expired_token, or invalid_grant: this code is finished */
	TOKEN_REJECTED,        /* any other OAuth error: final */
	TOKEN_CLIENT_REJECTED, /* invalid_client / unauthorized_client: our configuration */
	TOKEN_SERVER_ERROR     /* 5xx, 429, or a malformed or unexpected response */
};

struct token_grant {
	char *access_token; /* secret */
	char *id_token;     /* secret; NULL when none */
	char *scope;        /* NULL when the response left it out (RFC 6749 §5.1) */
};

/* Classifies an HTTP answer from the token endpoint. On TOKEN_GRANTED, GRANT is
 * filled; on an OAuth error, ERROR is. *WHY gets a fixed reason for malformed input. */
enum token_outcome token_response_classify(long http_status, const char *body, size_t len, struct token_grant *grant,
					   struct oauth_error *error, const char **why);

void token_grant_clear(struct token_grant *grant);

#endif
