/* Helpers shared by the libFuzzer targets: a NUL-terminated copy of the input, an
 * assertion that aborts (so libFuzzer saves the input), and checks of the text we
 * promise never to show a terminal. */
#ifndef PAM_OAUTH2_FUZZ_COMMON_H
#define PAM_OAUTH2_FUZZ_COMMON_H

#include "config.h" /* first: it sets _GNU_SOURCE (memfd_create, strndup) */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a violation is a bug, so stop loudly. */
#define FUZZ_ASSERT(cond)                                                                                              \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                   \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* SIZE bytes of DATA and a NUL: for the functions that take C strings. An input
 * holding NUL bytes is simply cut there by those functions, as a C caller would. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	FUZZ_ASSERT(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

/* The number of bytes of the well-formed UTF-8 sequence at S (up to END), or 0. */
static inline size_t fuzz_utf8_sequence(const unsigned char *s, const unsigned char *end)
{
	size_t n;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* True when TEXT is valid UTF-8 with no C0/C1 control, DEL or bidirectional override
 * (U+202A..U+202E, U+2066..U+2069): nothing that could start an escape sequence or
 * reorder what a person reads. */
static inline bool fuzz_terminal_safe(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *end = s + strlen(text);
	while (s < end) {
		size_t n = fuzz_utf8_sequence(s, end);
		if (n == 0)
			return false;
		if (n == 1 && (s[0] < 0x20 || s[0] == 0x7f))
			return false;
		if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F */
			return false;
		if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae)
			return false;
		if (n == 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
			return false;
		s += n;
	}
	return true;
}

#endif
