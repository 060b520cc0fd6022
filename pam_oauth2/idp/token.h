/* The token endpoint: a device_code poll (RFC 8628 §3.4) and the parser of its answer
 * (RFC 8628 §3.5, RFC 6749 §5). */
#ifndef PAM_OAUTH2_IDP_TOKEN_H
#define PAM_OAUTH2_IDP_TOKEN_H

#include "idp/oauth_error.h"
#include "idp/status.h"

#include <stdbool.h>

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
	char *access_token;  /* secret */
	char *id_token;      /* secret; NULL when none */
	char *refresh_token; /* secret; NULL when none was issued (RFC 6749 §5.1: optional) */
	/* One was issued, but not as something a record can hold (not a string, empty, over
	 * REFRESH_TOKEN_MAX, or bytes outside visible ASCII): never a reason to refuse the
	 * login, but no approval is remembered on it (it would silently become time-only). */
	bool refresh_token_unusable;
	char *scope; /* NULL when the response left it out (RFC 6749 §5.1); space separated,
			     * with the short names of Google's scope URLs added: at most 2 * SCOPE_MAX */
};

/* Classifies an HTTP answer from the token endpoint. On TOKEN_GRANTED, GRANT is
 * filled; on an OAuth error, ERROR is. *WHY gets a fixed reason for malformed input. */
enum token_outcome token_response_classify(long http_status, const char *body, size_t len, struct token_grant *grant,
					   struct oauth_error *error, const char **why);

void token_grant_clear(struct token_grant *grant);

/* One poll's answer. */
struct token_answer {
	enum token_outcome outcome; /* with IDP_OK: the OAuth answer */
	struct token_grant grant;   /* on TOKEN_GRANTED (token_grant_clear it) */
	struct oauth_error error;   /* on an OAuth error */
	bool approved;              /* a 200 that is no OAuth error: someone approved */
	bool timed_out;             /* no answer within http_timeout: poll again, less often */
	long retry_after;           /* with slow_down: the server's Retry-After in seconds, 0 when none */
};

struct idp;

/* Polls the token endpoint once for DEVICE_CODE. IDP_OK with ANSWER->outcome for every
 * OAuth answer (a grant, pending, slow_down, a denial, an expiry, another error); else
 * IDP_UNAVAILABLE (transport, 5xx, 429, a malformed answer — with ANSWER->approved when
 * that answer was a 200), or IDP_DEADLINE. */
enum idp_status idp_poll_token(struct idp *idp, const char *device_code, struct token_answer *answer);

/* RFC 6749 §6: a refresh_token grant for REFRESH_TOKEN, with the client's authentication,
 * for the same scopes as first granted. The answer as idp_poll_token's: IDP_OK with
 * ANSWER->outcome (TOKEN_GRANTED with the new grant; invalid_grant, the grant revoked or
 * the account disabled, is TOKEN_EXPIRED); ANSWER->approved is never set (nobody
 * approved anything now). */
enum idp_status idp_refresh_token(struct idp *idp, const char *refresh_token, struct token_answer *answer);

#endif
