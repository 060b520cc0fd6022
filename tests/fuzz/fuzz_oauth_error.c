/* libFuzzer target: OAuth error responses (RFC 6749 §5.2). */
#include "fuzz_common.h"

#include "idp/oauth_error.h"

/* RFC 6749 §5.2: error codes are %x20-21 / %x23-5B / %x5D-7E. */
static bool is_error_code(const char *code)
{
	for (const char *c = code; *c != '\0'; c++) {
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_error error;
	memset(&error, 0, sizeof(error));
	if (oauth_error_parse((const char *)data, size, &error)) {
		FUZZ_ASSERT(memchr(error.code, '\0', sizeof(error.code)) != NULL);
		FUZZ_ASSERT(error.code[0] != '\0' && is_error_code(error.code));
		FUZZ_ASSERT(memchr(error.description, '\0', sizeof(error.description)) != NULL);
		FUZZ_ASSERT(fuzz_terminal_safe(error.description));
	}
	return 0;
}
