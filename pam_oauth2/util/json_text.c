#include "config.h"

#include "util/json_text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct json_scan {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
	int max_depth;
	const char *why; /* the first problem found, or NULL */
};

static bool scan_fail(struct json_scan *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
	return false;
}

/* The length of the UTF-8 sequence at P (RFC 3629 §4, Table 3-7 of Unicode), 0 if invalid. */
static size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end)
{
	size_t avail = (size_t)(end - p);
	unsigned char lead = p[0];
	if (lead < 0x80)
		return 1;
	size_t len;
	unsigned char low = 0x80, high = 0xbf; /* the range of the second byte */
	if (lead >= 0xc2 && lead <= 0xdf) {
		len = 2;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		len = 3;
		if (lead == 0xe0)
			low = 0xa0; /* overlong below U+0800 */
		else if (lead == 0xed)
			high = 0x9f; /* surrogates U+D800-U+DFFF */
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		len = 4;
		if (lead == 0xf0)
			low = 0x90; /* overlong below U+10000 */
		else if (lead == 0xf4)
			high = 0x8f; /* past U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong) or F5-FF */
	}
	if (avail < len || p[1] < low || p[1] > high)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

static bool utf8_is_valid(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		size_t len = utf8_sequence_length(p, end);
		if (len == 0)
			return false;
		p += len;
	}
	return true;
}

static void skip_white_space(struct json_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits after "\u" at P, or -1. */
static long unicode_escape(const unsigned char *p, const unsigned char *end)
{
	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	long value = 0;
	for (int i = 2; i < 6; i++) {
		int digit = hex_value(p[i]);
		if (digit < 0)
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

/* After a backslash: one escape (RFC 8259 §7). A \u escape of a surrogate must be a high
 * one followed by an escaped low one: json-c turns an unpaired one into U+FFFD. */
static bool scan_escape(struct json_scan *s)
{
	const unsigned char *backslash = s->p - 1;
	if (s->p >= s->end)
		return scan_fail(s, "malformed JSON");
	if (*s->p != '\0' && strchr("\"\\/bfnrt", *s->p) != NULL) {
		s->p++;
		return true;
	}
	long unit = unicode_escape(backslash, s->end);
	if (unit < 0)
		return scan_fail(s, "malformed JSON");
	s->p = backslash + 6;
	if (unit >= 0xdc00 && unit <= 0xdfff)
		return scan_fail(s, "invalid UTF-8");
	if (unit >= 0xd800 && unit <= 0xdbff) {
		long low = unicode_escape(s->p, s->end);
		if (low < 0xdc00 || low > 0xdfff)
			return scan_fail(s, "invalid UTF-8");
		s->p += 6;
	}
	return true;
}

/* At the opening quote. Bytes past 0x7f were checked as UTF-8 before. */
static bool scan_string(struct json_scan *s)
{
	s->p++;
	while (s->p < s->end) {
		unsigned char c = *s->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return scan_fail(s, "malformed JSON"); /* RFC 8259 §7: controls must be escaped */
		if (c == '\\' && !scan_escape(s))
			return false;
	}
	return scan_fail(s, "malformed JSON");
}

static bool is_digit(const struct json_scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* Whether the integer DIGITS (no sign, no leading zero) fits: up to 2^64-1, or up to 2^63
 * when negative. */
static bool integer_fits(const unsigned char *digits, size_t count, bool negative)
{
	const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
	size_t limit_len = strlen(limit);
	if (count != limit_len)
		return count < limit_len;
	return memcmp(digits, limit, count) <= 0;
}

/* RFC 8259 §6: [ minus ] int [ frac ] [ exp ], int = zero / ( digit1-9 *DIGIT ). */
static bool scan_number(struct json_scan *s)
{
	bool negative = false;
	if (*s->p == '-') {
		negative = true;
		s->p++;
	}
	const unsigned char *digits = s->p;
	if (!is_digit(s))
		return scan_fail(s, "malformed JSON");
	if (*s->p == '0') {
		s->p++;
	} else {
		while (is_digit(s))
			s->p++;
	}
	size_t count = (size_t)(s->p - digits);
	bool integer = true;
	if (s->p < s->end && *s->p == '.') {
		integer = false;
		s->p++;
		if (!is_digit(s))
			return scan_fail(s, "malformed JSON");
		while (is_digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		integer = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!is_digit(s))
			return scan_fail(s, "malformed JSON");
		while (is_digit(s))
			s->p++;
	}
	if (is_digit(s))
		return scan_fail(s, "malformed JSON"); /* a leading zero: 01 */
	if (integer && !integer_fits(digits, count, negative))
		return scan_fail(s, "integer out of range");
	return true;
}

static bool scan_literal(struct json_scan *s, const char *word)
{
	size_t len = strlen(word);
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return scan_fail(s, "malformed JSON");
	s->p += len;
	return true;
}

static bool scan_value(struct json_scan *s);

/* At '[' or '{': members or elements separated by commas, none after the last. */
static bool scan_container(struct json_scan *s)
{
	bool object = *s->p == '{';
	unsigned char close = object ? '}' : ']';
	s->p++;
	skip_white_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		if (object) {
			skip_white_space(s);
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return scan_fail(s, "malformed JSON");
			skip_white_space(s);
			if (s->p >= s->end || *s->p != ':')
				return scan_fail(s, "malformed JSON");
			s->p++;
		}
		if (!scan_value(s))
			return false;
		skip_white_space(s);
		if (s->p >= s->end)
			return scan_fail(s, "malformed JSON");
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return scan_fail(s, "malformed JSON");
		s->p++;
	}
}

static bool scan_value_here(struct json_scan *s);

/* One value with the white space before it, one level deeper than its container (the
 * top value is level 1), as json-c counts: recursion is bounded by max_depth. */
static bool scan_value(struct json_scan *s)
{
	if (++s->depth > s->max_depth)
		return scan_fail(s, "JSON nested too deep");
	bool ok = scan_value_here(s);
	s->depth--;
	return ok;
}

static bool scan_value_here(struct json_scan *s)
{
	skip_white_space(s);
	if (s->p >= s->end)
		return scan_fail(s, "malformed JSON");
	switch (*s->p) {
	case '{':
	case '[':
		return scan_container(s);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return scan_fail(s, "malformed JSON");
	}
}

const char *json_text_check(const char *text, size_t len, int max_depth)
{
	struct json_scan s = {
		.p = (const unsigned char *)text,
		.end = (const unsigned char *)text + len,
		.depth = 0,
		.max_depth = max_depth,
		.why = NULL,
	};
	/* First, so that a bad byte is named as such wherever it is (outside a string the
	 * grammar would only call it malformed). */
	if (!utf8_is_valid(s.p, s.end))
		return "invalid UTF-8";
	if (!scan_value(&s))
		return s.why;
	skip_white_space(&s);
	if (s.p != s.end)
		return "data after the JSON object";
	return NULL;
}
