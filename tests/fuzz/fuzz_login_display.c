/* libFuzzer target: what the person is shown. Input: one byte of settings, then
 * NUL-separated parts: a device authorization response (parsed as the module does;
 * a fixed valid one when it does not parse), then the user, host, service and rhost
 * of the login context. The lines are rendered and packed into PAM messages. */
#include "fuzz_common.h"

#include "idp/device_authorization.h"
#include "util/line_list.h"
#include "login/display.h"
#include "util/qr_render.h"

#include <security/_pam_types.h>

static const char fallback[] = "{\"device_code\":\"dc\",\"user_code\":\"WDJB-MJHT\","
			       "\"verification_uri\":\"https://idp.example.com/device\","
			       "\"verification_uri_complete\":\"https://idp.example.com/device?user_code=WDJB-MJHT\","
			       "\"expires_in\":600,\"interval\":5}";

/* Rendered lines carry no control byte (the QR code is half blocks or ASCII). */
static void check_lines(const struct line_list *lines)
{
	for (size_t i = 0; i < lines->count; i++) {
		FUZZ_ASSERT(lines->lines[i] != NULL);
		FUZZ_ASSERT(fuzz_terminal_safe(lines->lines[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum qr_mode mode = (enum qr_mode)(data[0] % 3);
	size_t max_bytes = (data[0] & 0x80) != 0 ? PAM_MAX_MSG_SIZE - 1 : (size_t)(1 + (data[0] >> 2) % 32);
	char *rest = fuzz_strndup(data + 1, size - 1);
	const char *parts[5] = { NULL, NULL, NULL, NULL, NULL };
	size_t n = 0;
	for (size_t at = 0; at < size - 1 && n < 5; at += strlen(rest + at) + 1)
		parts[n++] = rest + at;

	struct device_authorization auth;
	const char *why = NULL;
	memset(&auth, 0, sizeof(auth));
	if (parts[0] == NULL || device_authorization_parse(parts[0], strlen(parts[0]), &auth, &why) != 0) {
		device_authorization_clear(&auth);
		memset(&auth, 0, sizeof(auth));
		FUZZ_ASSERT(device_authorization_parse(fallback, strlen(fallback), &auth, &why) == 0);
	}
	struct login_context context = { parts[1], parts[2], parts[3], parts[4] };

	struct line_list lines, messages;
	line_list_init(&lines);
	line_list_init(&messages);
	FUZZ_ASSERT(login_display_render(&context, &auth, mode, &lines) == 0);
	check_lines(&lines);
	FUZZ_ASSERT(login_display_pack(&lines, max_bytes, &messages) == 0);
	FUZZ_ASSERT(messages.count >= 1 || lines.count == 0);
	for (size_t i = 0; i < messages.count; i++)
		FUZZ_ASSERT(strlen(messages.lines[i]) <= max_bytes);
	line_list_free(&messages);
	line_list_free(&lines);
	device_authorization_clear(&auth);
	free(rest);
	return 0;
}
