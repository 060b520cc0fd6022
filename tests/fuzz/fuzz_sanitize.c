/* libFuzzer target: sanitize_for_terminal. The first byte picks the limit; the rest
 * is the text. The output must be safe for a terminal and within the limit. */
#include "fuzz_common.h"

#include "util/sanitize.h"

#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max_bytes = 4 + data[0] % 128;
	const char *in = (const char *)data + 1;
	size_t in_len = size - 1;
	char *out = sanitize_for_terminal(in, in_len, max_bytes);
	FUZZ_ASSERT(out != NULL);
	size_t out_len = strlen(out);
	FUZZ_ASSERT(out_len <= max_bytes);
	FUZZ_ASSERT(fuzz_terminal_safe(out));
	free(out);

	/* No limit to speak of: nothing may be cut, so short input keeps its length or grows
	 * only where an invalid byte became '?' (one byte for one). */
	out = sanitize_for_terminal(in, in_len, in_len + 4);
	FUZZ_ASSERT(out != NULL && fuzz_terminal_safe(out));
	FUZZ_ASSERT(strlen(out) <= in_len + 4);
	free(out);

	(void)is_visible_ascii(in, in_len);
	char *text = fuzz_strndup(data + 1, in_len);
	if (is_https_url(text))
		FUZZ_ASSERT(strncasecmp(text, "https://", 8) == 0 && is_visible_ascii(text, strlen(text)));
	free(text);
	return 0;
}
