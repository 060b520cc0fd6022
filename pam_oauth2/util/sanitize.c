#include "config.h"

#include "util/sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decodes one UTF-8 character at S (AVAIL bytes). Returns its length, or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, out of range, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *code_point)
{
	if (s[0] < 0x80) {
		*code_point = s[0];
		return 1;
	}
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > avail)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*code_point = cp;
	return len;
}

/* Characters that change how a terminal or a reader interprets the text around them. */
static bool is_format_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

char *sanitize_for_terminal(const char *in, size_t in_len, size_t max_bytes)
{
	static const char ellipsis[] = "...";
	if (max_bytes < sizeof(ellipsis))
		max_bytes = sizeof(ellipsis);
	char *out = malloc(max_bytes + 1);
	if (out == NULL)
		return NULL;
	const unsigned char *s = (const unsigned char *)in;
	size_t pos = 0, used = 0;
	while (pos < in_len) {
		uint32_t cp = 0;
		size_t len = utf8_decode(s + pos, in_len - pos, &cp);
		const char *emit = (const char *)s + pos;
		size_t emit_len = len;
		if (len == 0) {
			emit = "?", emit_len = 1, len = 1;
		} else if (cp == '\t' || cp == '\r' || cp == '\n') {
			emit = " ", emit_len = 1;
		} else if (is_format_control(cp)) {
			emit = "?", emit_len = 1;
		}
		/* Sanitizing never lengthens text: when the raw rest fits, all of it does. */
		bool rest_fits = used + (in_len - pos) <= max_bytes;
		size_t budget = rest_fits ? max_bytes : max_bytes - (sizeof(ellipsis) - 1);
		if (used + emit_len > budget) {
			/* Cut here: what is left does not fit. */
			memcpy(out + used, ellipsis, sizeof(ellipsis) - 1);
			used += sizeof(ellipsis) - 1;
			break;
		}
		memcpy(out + used, emit, emit_len);
		used += emit_len;
		pos += len;
	}
	out[used] = '\0';
	return out;
}

bool is_visible_ascii(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

bool is_https_url(const char *url)
{
	/* A host must follow "https://": a path, query, fragment or port there means there is none. */
	if (strncasecmp(url, "https://", 8) != 0 || url[8] == '\0' || strchr("/?#:", url[8]) != NULL)
		return false;
	return is_visible_ascii(url, strlen(url));
}

bool ascii_equal_ignoring_case(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}
