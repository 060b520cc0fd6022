/* login_display.h and qr_render.h: what the person at the terminal is shown, and how it is
 * packed into PAM messages. The QR symbols are checked module by module against libqrencode's
 * own encoding of the same text. */
#include "config.h"

#include "login/display.h"
#include "util/qr_render.h"
#include "util/strbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <qrencode.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FULL_BLOCK "\xe2\x96\x88" /* both modules light */
#define UPPER_HALF "\xe2\x96\x80" /* upper light, lower dark */
#define LOWER_HALF "\xe2\x96\x84" /* upper dark, lower light */

/* The fields of struct device_authorization are not const; these give them storage. */
static char device_code[] = "GmRhmhcxhwAzkoEqiMEg";
static char user_code[] = "WDJB-MJHT";
static char verification_uri[] = "https://idp.example/device";
static char verification_uri_complete[] = "https://idp.example/device?user_code=WDJB-MJHT";

static struct device_authorization test_auth(bool with_complete)
{
	struct device_authorization auth = {
		.device_code = device_code,
		.user_code = user_code,
		.verification_uri = verification_uri,
		.verification_uri_complete = with_complete ? verification_uri_complete : NULL,
		.expires_in = 600,
		.interval = 5,
	};
	return auth;
}

static const struct login_context alice_context = { .user = "alice", .host = "host", .service = "sshd", .rhost = NULL };

static void render(const struct login_context *context, const struct device_authorization *auth, enum qr_mode mode,
		   struct line_list *lines)
{
	line_list_init(lines);
	assert_int_equal(login_display_render(context, auth, mode, lines), 0);
	assert_true(lines->count > 0);
}

/* The index of the first line holding NEEDLE, or -1. */
static long find_line_containing(const struct line_list *lines, const char *needle)
{
	for (size_t i = 0; i < lines->count; i++) {
		if (strstr(lines->lines[i], needle) != NULL)
			return (long)i;
	}
	return -1;
}

static bool any_line_has_byte_below_space(const struct line_list *lines)
{
	for (size_t i = 0; i < lines->count; i++) {
		for (const unsigned char *p = (const unsigned char *)lines->lines[i]; *p != '\0'; p++) {
			if (*p < 0x20 || *p == 0x7f)
				return true;
		}
	}
	return false;
}

/* Where the lines of QR (all of them, in order) start within LINES, or -1. */
static long find_block(const struct line_list *lines, const struct line_list *qr)
{
	for (size_t start = 0; start + qr->count <= lines->count; start++) {
		size_t k = 0;
		while (k < qr->count && strcmp(lines->lines[start + k], qr->lines[k]) == 0)
			k++;
		if (k == qr->count)
			return (long)start;
	}
	return -1;
}

/* Characters (not bytes) in a UTF-8 string. */
static size_t utf8_length(const char *text)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* The QR symbol libqrencode makes for TEXT with the settings qr_render.h names. */
static QRcode *reference_symbol(const char *text)
{
	QRcode *code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
	assert_non_null(code);
	return code;
}

/* Whether the module at (X, Y) of the drawing (quiet zone included) is dark. */
static bool reference_dark(const QRcode *code, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= code->width || y >= code->width)
		return false;
	return (code->data[y * code->width + x] & 1) != 0;
}

/* ---- login_display_render ---- */

static void test_display_names_user_host_and_service(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct line_list lines;
	render(&alice_context, &auth, QR_UTF8, &lines);
	assert_true(find_line_containing(&lines, "as alice on host (sshd)") >= 0);
	line_list_free(&lines);
}

static void test_display_names_the_remote_host_when_known(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct login_context context = { .user = "alice", .host = "host", .service = "sshd", .rhost = "203.0.113.5" };
	struct line_list lines;
	render(&context, &auth, QR_OFF, &lines);
	assert_true(find_line_containing(&lines, "203.0.113.5") >= 0);
	assert_true(find_line_containing(&lines, "as alice on host (sshd)") >= 0);
	line_list_free(&lines);
}

static void test_display_shows_uri_and_user_code_as_text_in_every_qr_mode(void **state)
{
	(void)state;
	/* RFC 8628 §3.3.1: the code is shown as text with verification_uri, QR or not. */
	const enum qr_mode modes[] = { QR_OFF, QR_UTF8, QR_ASCII };
	for (int complete = 0; complete < 2; complete++) {
		struct device_authorization auth = test_auth(complete != 0);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			struct line_list lines;
			render(&alice_context, &auth, modes[m], &lines);
			long uri_line = find_line_containing(&lines, "https://idp.example/device");
			assert_true(uri_line >= 0);
			assert_true(find_line_containing(&lines, "WDJB-MJHT") >= 0);
			/* The text verification_uri, not only the _complete one. */
			assert_null(strstr(lines.lines[uri_line], "user_code="));
			line_list_free(&lines);
		}
	}
}

static void test_display_without_qr_shows_no_qr(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct line_list lines, utf8, ascii;
	render(&alice_context, &auth, QR_OFF, &lines);
	line_list_init(&utf8);
	line_list_init(&ascii);
	assert_int_equal(qr_render(verification_uri_complete, QR_UTF8, &utf8), 0);
	assert_int_equal(qr_render(verification_uri_complete, QR_ASCII, &ascii), 0);
	assert_true(find_block(&lines, &utf8) < 0);
	assert_true(find_block(&lines, &ascii) < 0);
	assert_true(find_line_containing(&lines, FULL_BLOCK) < 0);
	assert_true(find_line_containing(&lines, "####") < 0);
	line_list_free(&lines);
	line_list_free(&utf8);
	line_list_free(&ascii);
}

static void test_display_sanitizes_a_user_name_with_escape_sequences(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct login_context context = { .user = "\x1b]52;c;ZXZpbA==\x07root\x1b[2J\r\n",
					 .host = "host",
					 .service = "sshd" };
	struct line_list lines;
	render(&context, &auth, QR_OFF, &lines);
	assert_false(any_line_has_byte_below_space(&lines));
	assert_true(find_line_containing(&lines, "?]52;c;ZXZpbA==?root?[2J") >= 0);
	line_list_free(&lines);
}

static void test_display_sanitizes_rhost_host_and_service(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct login_context context = { .user = "alice",
					 .host = "ho\x1b[8mst",
					 .service = "ss\x9b"
						    "hd",
					 .rhost = "\x1b]8;;https://evil.example/\x07x" };
	struct line_list lines;
	render(&context, &auth, QR_OFF, &lines);
	assert_false(any_line_has_byte_below_space(&lines));
	assert_true(find_line_containing(&lines, "?]8;;https://evil.example/?x") >= 0);
	assert_true(find_line_containing(&lines, "ho?[8mst") >= 0);
	assert_true(find_line_containing(&lines, "ss?hd") >= 0);
	line_list_free(&lines);
}

static void test_display_bounds_a_long_user_name(void **state)
{
	(void)state;
	char user[2048];
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	struct device_authorization auth = test_auth(true);
	struct login_context context = { .user = user, .host = "host", .service = "sshd", .rhost = NULL };
	struct line_list lines;
	render(&context, &auth, QR_OFF, &lines);
	for (size_t i = 0; i < lines.count; i++)
		assert_true(strlen(lines.lines[i]) < 512);
	line_list_free(&lines);
}

static void test_display_without_context_still_shows_uri_and_code(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct login_context context = { .user = NULL, .host = NULL, .service = NULL, .rhost = NULL };
	struct line_list lines;
	render(&context, &auth, QR_OFF, &lines);
	assert_true(find_line_containing(&lines, "https://idp.example/device") >= 0);
	assert_true(find_line_containing(&lines, "WDJB-MJHT") >= 0);
	assert_true(find_line_containing(&lines, "(null)") < 0);
	line_list_free(&lines);
}

static void test_display_qr_encodes_verification_uri_complete_when_present(void **state)
{
	(void)state;
	const enum qr_mode modes[] = { QR_UTF8, QR_ASCII };
	for (size_t m = 0; m < 2; m++) {
		struct device_authorization auth = test_auth(true);
		struct line_list lines, expected, other;
		render(&alice_context, &auth, modes[m], &lines);
		line_list_init(&expected);
		line_list_init(&other);
		assert_int_equal(qr_render(verification_uri_complete, modes[m], &expected), 0);
		assert_int_equal(qr_render(verification_uri, modes[m], &other), 0);
		assert_true(find_block(&lines, &expected) >= 0);
		assert_true(find_block(&lines, &other) < 0);
		line_list_free(&lines);
		line_list_free(&expected);
		line_list_free(&other);
	}
}

static void test_display_qr_encodes_verification_uri_without_complete(void **state)
{
	(void)state;
	const enum qr_mode modes[] = { QR_UTF8, QR_ASCII };
	for (size_t m = 0; m < 2; m++) {
		struct device_authorization auth = test_auth(false);
		struct line_list lines, expected;
		render(&alice_context, &auth, modes[m], &lines);
		line_list_init(&expected);
		assert_int_equal(qr_render(verification_uri, modes[m], &expected), 0);
		assert_true(find_block(&lines, &expected) >= 0);
		line_list_free(&lines);
		line_list_free(&expected);
	}
}

static void test_display_shows_text_when_qr_cannot_be_drawn(void **state)
{
	(void)state;
	/* Longer than any QR code holds (2953 bytes at level L). */
	static char huge[4000];
	memcpy(huge, "https://idp.example/", 20);
	memset(huge + 20, 'a', sizeof(huge) - 21);
	huge[sizeof(huge) - 1] = '\0';
	struct device_authorization auth = test_auth(false);
	auth.verification_uri_complete = huge;
	struct line_list lines;
	render(&alice_context, &auth, QR_UTF8, &lines);
	assert_true(find_line_containing(&lines, "https://idp.example/device") >= 0);
	assert_true(find_line_containing(&lines, "WDJB-MJHT") >= 0);
	assert_true(find_line_containing(&lines, FULL_BLOCK) < 0);
	line_list_free(&lines);
}

/* ---- qr_render ---- */

static void test_qr_utf8_lines_are_module_width_plus_quiet_zone_wide(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri_complete);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri_complete, QR_UTF8, &lines), 0);
	size_t size = (size_t)code->width + 2 * QR_QUIET_ZONE;
	/* Two module rows per line: half as many lines, rounded up. */
	assert_int_equal(lines.count, (size + 1) / 2);
	for (size_t i = 0; i < lines.count; i++)
		assert_int_equal(utf8_length(lines.lines[i]), size);
	QRcode_free(code);
	line_list_free(&lines);
}

/* True when LINE consists of GLYPH only (COUNT of them). */
static bool line_is_all(const char *line, const char *glyph, size_t count)
{
	size_t glyph_len = strlen(glyph);
	if (strlen(line) != glyph_len * count)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (memcmp(line + i * glyph_len, glyph, glyph_len) != 0)
			return false;
	}
	return true;
}

static void test_qr_utf8_quiet_zone_lines_are_all_light(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri, QR_UTF8, &lines), 0);
	size_t size = (size_t)code->width + 2 * QR_QUIET_ZONE;
	/* Rows 0-3 are the top quiet zone: the first two lines are light in both halves. */
	assert_true(line_is_all(lines.lines[0], FULL_BLOCK, size));
	assert_true(line_is_all(lines.lines[1], FULL_BLOCK, size));
	/* A symbol is 17 + 4v modules wide, so SIZE is odd: the second-to-last line holds two rows
	 * of the bottom quiet zone and the last line one, drawn in its upper half. */
	assert_true(size % 2 == 1);
	assert_true(line_is_all(lines.lines[lines.count - 2], FULL_BLOCK, size));
	assert_true(line_is_all(lines.lines[lines.count - 1], UPPER_HALF, size));
	QRcode_free(code);
	line_list_free(&lines);
}

static void test_qr_utf8_draws_every_module_of_the_symbol(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri_complete);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri_complete, QR_UTF8, &lines), 0);
	int size = code->width + 2 * QR_QUIET_ZONE;
	for (int y = 0; y < size; y += 2) {
		const char *p = lines.lines[y / 2];
		for (int x = 0; x < size; x++) {
			bool upper_dark = reference_dark(code, x, y);
			/* Below the last row the line's lower half is blank. */
			bool lower_dark = y + 1 < size ? reference_dark(code, x, y + 1) : true;
			const char *glyph =
			    upper_dark ? (lower_dark ? " " : LOWER_HALF) : (lower_dark ? UPPER_HALF : FULL_BLOCK);
			size_t glyph_len = strlen(glyph);
			if (strncmp(p, glyph, glyph_len) != 0)
				fail_msg("module pair at x=%d y=%d is drawn wrong", x, y);
			p += glyph_len;
		}
		assert_string_equal(p, "");
	}
	QRcode_free(code);
	line_list_free(&lines);
}

static void test_qr_ascii_lines_are_two_character_cells(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri_complete);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri_complete, QR_ASCII, &lines), 0);
	size_t size = (size_t)code->width + 2 * QR_QUIET_ZONE;
	assert_int_equal(lines.count, size);
	for (size_t i = 0; i < lines.count; i++) {
		const char *line = lines.lines[i];
		assert_int_equal(strlen(line), 2 * size);
		for (size_t k = 0; k < size; k++) {
			bool hashes = line[2 * k] == '#' && line[2 * k + 1] == '#';
			bool spaces = line[2 * k] == ' ' && line[2 * k + 1] == ' ';
			assert_true(hashes || spaces);
		}
	}
	QRcode_free(code);
	line_list_free(&lines);
}

static void test_qr_ascii_quiet_zone_is_all_hashes(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri, QR_ASCII, &lines), 0);
	size_t size = (size_t)code->width + 2 * QR_QUIET_ZONE;
	for (size_t row = 0; row < QR_QUIET_ZONE; row++) {
		assert_true(line_is_all(lines.lines[row], "#", 2 * size));
		assert_true(line_is_all(lines.lines[size - 1 - row], "#", 2 * size));
	}
	/* And the columns left and right of the symbol on every row. */
	for (size_t row = 0; row < size; row++) {
		const char *line = lines.lines[row];
		for (size_t k = 0; k < 2 * QR_QUIET_ZONE; k++) {
			assert_int_equal(line[k], '#');
			assert_int_equal(line[2 * size - 1 - k], '#');
		}
	}
	QRcode_free(code);
	line_list_free(&lines);
}

static void test_qr_ascii_draws_every_module_of_the_symbol(void **state)
{
	(void)state;
	QRcode *code = reference_symbol(verification_uri_complete);
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri_complete, QR_ASCII, &lines), 0);
	int size = code->width + 2 * QR_QUIET_ZONE;
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			/* Dark modules are left blank, light ones drawn. */
			char expected = reference_dark(code, x, y) ? ' ' : '#';
			if (lines.lines[y][2 * x] != expected || lines.lines[y][2 * x + 1] != expected)
				fail_msg("module at x=%d y=%d is drawn wrong", x, y);
		}
	}
	QRcode_free(code);
	line_list_free(&lines);
}

static void test_qr_off_appends_nothing(void **state)
{
	(void)state;
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(verification_uri, QR_OFF, &lines), 0);
	assert_int_equal(lines.count, 0);
	line_list_free(&lines);
}

static void test_qr_appends_after_existing_lines(void **state)
{
	(void)state;
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(line_list_append(&lines, "first"), 0);
	assert_int_equal(qr_render(verification_uri, QR_ASCII, &lines), 0);
	assert_true(lines.count > 1);
	assert_string_equal(lines.lines[0], "first");
	line_list_free(&lines);
}

static void test_qr_text_too_long_for_a_symbol_is_refused(void **state)
{
	(void)state;
	static char huge[3000];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	struct line_list lines;
	line_list_init(&lines);
	assert_int_equal(qr_render(huge, QR_UTF8, &lines), -1);
	assert_int_equal(lines.count, 0);
	line_list_free(&lines);
}

/* ---- login_display_pack ---- */

static void make_lines(struct line_list *lines, const char *const *texts, size_t count)
{
	line_list_init(lines);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(line_list_append(lines, texts[i]), 0);
}

static char *join_lines(const struct line_list *lines)
{
	struct strbuf joined;
	strbuf_init(&joined, 0);
	for (size_t i = 0; i < lines->count; i++) {
		if (i > 0)
			assert_int_equal(strbuf_append_str(&joined, "\n"), 0);
		assert_int_equal(strbuf_append_str(&joined, lines->lines[i]), 0);
	}
	return strbuf_release(&joined);
}

/* Checks what the contract promises of packing LINES, each of which fits MAX_BYTES. */
static void assert_packed_faithfully(const struct line_list *lines, size_t max_bytes, struct line_list *messages)
{
	line_list_init(messages);
	assert_int_equal(login_display_pack(lines, max_bytes, messages), 0);
	size_t next_line = 0;
	for (size_t m = 0; m < messages->count; m++) {
		const char *message = messages->lines[m];
		assert_true(strlen(message) <= max_bytes);
		/* Every message is whole lines, the next ones in order, joined by '\n'. */
		const char *p = message;
		for (;;) {
			assert_true(next_line < lines->count);
			const char *line = lines->lines[next_line++];
			size_t len = strlen(line);
			assert_int_equal(strncmp(p, line, len), 0);
			p += len;
			if (*p == '\0')
				break;
			assert_int_equal(*p, '\n');
			p++;
		}
	}
	assert_int_equal(next_line, lines->count);
	char *joined_lines = join_lines(lines);
	char *joined_messages = join_lines(messages);
	assert_string_equal(joined_messages, joined_lines);
	free(joined_lines);
	free(joined_messages);
}

static void test_pack_fills_each_message_with_as_many_lines_as_fit(void **state)
{
	(void)state;
	const char *texts[] = { "aaa", "bbb", "ccc", "dd", "e" };
	struct line_list lines, messages;
	make_lines(&lines, texts, 5);
	line_list_init(&messages);
	assert_int_equal(login_display_pack(&lines, 7, &messages), 0);
	assert_int_equal(messages.count, 3);
	assert_string_equal(messages.lines[0], "aaa\nbbb");
	assert_string_equal(messages.lines[1], "ccc\ndd");
	assert_string_equal(messages.lines[2], "e");
	line_list_free(&lines);
	line_list_free(&messages);
}

static void test_pack_line_of_exactly_max_bytes_is_a_message_of_its_own(void **state)
{
	(void)state;
	const char *texts[] = { "a", "1234567", "b" };
	struct line_list lines, messages;
	make_lines(&lines, texts, 3);
	line_list_init(&messages);
	assert_int_equal(login_display_pack(&lines, 7, &messages), 0);
	assert_int_equal(messages.count, 3);
	assert_string_equal(messages.lines[1], "1234567");
	line_list_free(&lines);
	line_list_free(&messages);
}

static void test_pack_cuts_a_line_longer_than_max_bytes(void **state)
{
	(void)state;
	const char *texts[] = { "0123456789abcdef" };
	struct line_list lines, messages;
	make_lines(&lines, texts, 1);
	line_list_init(&messages);
	assert_int_equal(login_display_pack(&lines, 8, &messages), 0);
	assert_int_equal(messages.count, 1);
	assert_string_equal(messages.lines[0], "01234567");
	line_list_free(&lines);
	line_list_free(&messages);
}

static void test_pack_keeps_empty_lines(void **state)
{
	(void)state;
	/* An empty line is a line: it must survive, also where a new message begins. */
	const char *texts[] = { "abc", "", "def", "", "", "g" };
	struct line_list lines, messages;
	make_lines(&lines, texts, 3);
	line_list_init(&messages);
	assert_int_equal(login_display_pack(&lines, 3, &messages), 0);
	assert_int_equal(messages.count, 3);
	assert_string_equal(messages.lines[0], "abc");
	assert_string_equal(messages.lines[1], "");
	assert_string_equal(messages.lines[2], "def");
	line_list_free(&lines);
	line_list_free(&messages);
	make_lines(&lines, texts, 6);
	for (size_t max = 3; max <= 12; max++) {
		assert_packed_faithfully(&lines, max, &messages);
		line_list_free(&messages);
	}
	line_list_free(&lines);
}

static void test_pack_of_no_lines_gives_no_messages(void **state)
{
	(void)state;
	struct line_list lines, messages;
	line_list_init(&lines);
	line_list_init(&messages);
	assert_int_equal(login_display_pack(&lines, PAM_MAX_MSG_SIZE - 1, &messages), 0);
	assert_int_equal(messages.count, 0);
	line_list_free(&messages);
}

static void test_pack_of_a_real_display_is_faithful_at_every_size(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	const enum qr_mode modes[] = { QR_UTF8, QR_ASCII };
	for (size_t m = 0; m < 2; m++) {
		struct line_list lines;
		render(&alice_context, &auth, modes[m], &lines);
		size_t longest = 0;
		for (size_t i = 0; i < lines.count; i++) {
			if (strlen(lines.lines[i]) > longest)
				longest = strlen(lines.lines[i]);
		}
		for (size_t max = longest; max <= longest * 4 + 8; max += 7) {
			struct line_list messages;
			assert_packed_faithfully(&lines, max, &messages);
			line_list_free(&messages);
		}
		line_list_free(&lines);
	}
}

static void test_pack_of_a_typical_display_fits_well_within_pam_limits(void **state)
{
	(void)state;
	struct device_authorization auth = test_auth(true);
	struct login_context context = {
		.user = "alice", .host = "build-server-01.example.org", .service = "sshd", .rhost = "203.0.113.5"
	};
	const enum qr_mode modes[] = { QR_OFF, QR_UTF8, QR_ASCII };
	for (size_t m = 0; m < 3; m++) {
		struct line_list lines, messages;
		render(&context, &auth, modes[m], &lines);
		assert_packed_faithfully(&lines, PAM_MAX_MSG_SIZE - 1, &messages);
		/* PAM_MAX_NUM_MSG is 32 messages in one conversation call: stay far below. */
		assert_true(messages.count <= PAM_MAX_NUM_MSG / 2);
		line_list_free(&lines);
		line_list_free(&messages);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_names_user_host_and_service),
		cmocka_unit_test(test_display_names_the_remote_host_when_known),
		cmocka_unit_test(test_display_shows_uri_and_user_code_as_text_in_every_qr_mode),
		cmocka_unit_test(test_display_without_qr_shows_no_qr),
		cmocka_unit_test(test_display_sanitizes_a_user_name_with_escape_sequences),
		cmocka_unit_test(test_display_sanitizes_rhost_host_and_service),
		cmocka_unit_test(test_display_bounds_a_long_user_name),
		cmocka_unit_test(test_display_without_context_still_shows_uri_and_code),
		cmocka_unit_test(test_display_qr_encodes_verification_uri_complete_when_present),
		cmocka_unit_test(test_display_qr_encodes_verification_uri_without_complete),
		cmocka_unit_test(test_display_shows_text_when_qr_cannot_be_drawn),
		cmocka_unit_test(test_qr_utf8_lines_are_module_width_plus_quiet_zone_wide),
		cmocka_unit_test(test_qr_utf8_quiet_zone_lines_are_all_light),
		cmocka_unit_test(test_qr_utf8_draws_every_module_of_the_symbol),
		cmocka_unit_test(test_qr_ascii_lines_are_two_character_cells),
		cmocka_unit_test(test_qr_ascii_quiet_zone_is_all_hashes),
		cmocka_unit_test(test_qr_ascii_draws_every_module_of_the_symbol),
		cmocka_unit_test(test_qr_off_appends_nothing),
		cmocka_unit_test(test_qr_appends_after_existing_lines),
		cmocka_unit_test(test_qr_text_too_long_for_a_symbol_is_refused),
		cmocka_unit_test(test_pack_fills_each_message_with_as_many_lines_as_fit),
		cmocka_unit_test(test_pack_line_of_exactly_max_bytes_is_a_message_of_its_own),
		cmocka_unit_test(test_pack_cuts_a_line_longer_than_max_bytes),
		cmocka_unit_test(test_pack_keeps_empty_lines),
		cmocka_unit_test(test_pack_of_no_lines_gives_no_messages),
		cmocka_unit_test(test_pack_of_a_real_display_is_faithful_at_every_size),
		cmocka_unit_test(test_pack_of_a_typical_display_fits_well_within_pam_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
