/* libFuzzer target: the token endpoint's answer to a poll. The first input byte picks
 * the HTTP status; the rest is the body. */
#include "fuzz_common.h"

#include "idp/token.h"

static const long statuses[] = { 200, 400, 401, 403, 429, 500, 503, 302 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	long status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	struct token_grant grant;
	struct oauth_error error;
	const char *why = NULL;
	memset(&grant, 0, sizeof(grant));
	memset(&error, 0, sizeof(error));
	enum token_outcome outcome =
	    token_response_classify(status, (const char *)data + 1, size - 1, &grant, &error, &why);
	FUZZ_ASSERT(outcome >= TOKEN_GRANTED && outcome <= TOKEN_SERVER_ERROR);
	if (outcome == TOKEN_GRANTED) {
		FUZZ_ASSERT(status == 200);
		FUZZ_ASSERT(grant.access_token != NULL && strlen(grant.access_token) <= ACCESS_TOKEN_MAX);
		FUZZ_ASSERT(grant.id_token == NULL || strlen(grant.id_token) <= ID_TOKEN_MAX);
		FUZZ_ASSERT(grant.scope == NULL || strlen(grant.scope) <= SCOPE_MAX);
	}
	if (status >= 500 || status == 429)
		FUZZ_ASSERT(outcome == TOKEN_SERVER_ERROR);
	/* The error fields are fixed-size arrays: they must stay NUL-terminated and safe. */
	FUZZ_ASSERT(memchr(error.code, '\0', sizeof(error.code)) != NULL);
	FUZZ_ASSERT(memchr(error.description, '\0', sizeof(error.description)) != NULL);
	FUZZ_ASSERT(fuzz_terminal_safe(error.description));
	token_grant_clear(&grant);
	return 0;
}
