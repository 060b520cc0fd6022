/* libFuzzer target: the device authorization response (RFC 8628 §3.2). */
#include "fuzz_common.h"

#include "idp/device_authorization.h"
#include "util/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct device_authorization auth;
	const char *why = NULL;
	memset(&auth, 0, sizeof(auth));
	if (device_authorization_parse((const char *)data, size, &auth, &why) == 0) {
		/* What the parser promises of a response it accepts. */
		FUZZ_ASSERT(auth.device_code != NULL && strlen(auth.device_code) <= DEVICE_CODE_MAX);
		FUZZ_ASSERT(auth.user_code != NULL && strlen(auth.user_code) <= USER_CODE_MAX);
		FUZZ_ASSERT(is_visible_ascii(auth.user_code, strlen(auth.user_code)));
		FUZZ_ASSERT(auth.verification_uri != NULL && is_https_url(auth.verification_uri));
		FUZZ_ASSERT(strlen(auth.verification_uri) <= VERIFICATION_URI_MAX);
		if (auth.verification_uri_complete != NULL) {
			FUZZ_ASSERT(strlen(auth.verification_uri_complete) <= VERIFICATION_URI_MAX);
			FUZZ_ASSERT(
			    is_visible_ascii(auth.verification_uri_complete, strlen(auth.verification_uri_complete)));
		}
		FUZZ_ASSERT(auth.expires_in > 0 && auth.expires_in <= EXPIRES_IN_MAX);
		/* 0 is accepted here; device_poll_start polls no faster than once a second. */
		FUZZ_ASSERT(auth.interval >= 0 && auth.interval <= INTERVAL_MAX);
	} else {
		FUZZ_ASSERT(why != NULL);
	}
	device_authorization_clear(&auth);
	return 0;
}
