#include "config.h"

#include "jose/base64url.h"

#include <stdint.h>
#include <stdlib.h>

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (len % 4 == 1 || len > SIZE_MAX / 3)
		return -1;
	unsigned char *bytes = malloc(len / 4 * 3 + 3);
	if (bytes == NULL)
		return -1;
	size_t n = 0;
	uint32_t bits = 0;
	int bit_count = 0;
	for (size_t i = 0; i < len; i++) {
		int value = sextet(in[i]);
		if (value < 0) {
			free(bytes);
			return -1;
		}
		bits = (bits << 6) | (uint32_t)value;
		bit_count += 6;
		if (bit_count >= 8) {
			bit_count -= 8;
			bytes[n++] = (unsigned char)(bits >> bit_count);
			bits &= (1u << bit_count) - 1;
		}
	}
	if (bits != 0) { /* non-canonical: the leftover bits must be zero */
		free(bytes);
		return -1;
	}
	bytes[n] = '\0';
	*out = bytes;
	*out_len = n;
	return 0;
}
