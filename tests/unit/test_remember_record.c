/* rules/remember_record.c: the key of a remembered approval, the record and burst notes
 * as files (a strict format: anything unexpected is no record), and the reuse rule. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rules/remember_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BURST "00112233445566778899aabbccddeeff"

static struct remember_record sample(void)
{
	struct remember_record record = {
		.key = KEY,
		.burst = BURST,
		.approved_at = 1764547200,
		.revalidated_at = 0,
		.remember = 600,
		.caller_uid = 0,
		.user = "alice",
		.service = "sshd",
		.rhost = "203.0.113.5",
		.sub = "sub-alice",
		.username = "alice",
		.refresh_token = "rt-Zm9vYmFy.4711",
	};
	return record;
}

static char *formatted(const struct remember_record *record)
{
	struct strbuf out;
	strbuf_init(&out, 0);
	assert_int_equal(remember_record_format(record, &out), 0);
	return strbuf_release(&out);
}

static void test_a_record_reads_back_as_written(void **state)
{
	(void)state;
	struct remember_record record = sample(), parsed;
	char *text = formatted(&record);
	const char *why = NULL;
	assert_int_equal(remember_record_parse(text, strlen(text), KEY, &parsed, &why), 0);
	assert_string_equal(parsed.key, KEY);
	assert_string_equal(parsed.burst, BURST);
	assert_int_equal(parsed.approved_at, 1764547200);
	assert_string_equal(parsed.sub, "sub-alice");
	assert_string_equal(parsed.refresh_token, "rt-Zm9vYmFy.4711");
	remember_record_clear(&parsed);
	assert_null(parsed.refresh_token);
	/* Without a refresh token the line is left out, and the record is time-only. */
	record.refresh_token = NULL;
	free(text);
	text = formatted(&record);
	assert_null(strstr(text, "refresh_token"));
	assert_int_equal(remember_record_parse(text, strlen(text), NULL, &parsed, &why), 0);
	assert_null(parsed.refresh_token);
	remember_record_clear(&parsed);
	free(text);
}

static void test_fields_that_cannot_be_written_are_refused(void **state)
{
	(void)state;
	struct strbuf out;
	const char *bad[] = { "two words", "tab\there", "", "new\nline", "caf\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct remember_record record = sample();
		record.sub = (char *)bad[i];
		strbuf_init(&out, 0);
		assert_int_equal(remember_record_format(&record, &out), -1);
		strbuf_wipe_free(&out);
	}
	struct remember_record record = sample();
	record.key = "not-a-key";
	strbuf_init(&out, 0);
	assert_int_equal(remember_record_format(&record, &out), -1);
	strbuf_wipe_free(&out);
}

/* TEXT (a good record with one change) must be no record. */
static void assert_refused(const char *text, size_t len, const char *why_part)
{
	struct remember_record parsed;
	const char *why = NULL;
	if (remember_record_parse(text, len, KEY, &parsed, &why) == 0)
		fail_msg("accepted: %s", text);
	assert_non_null(why);
	if (why_part != NULL && strstr(why, why_part) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, why_part);
	assert_null(parsed.key);
	assert_null(parsed.refresh_token);
}

static void test_anything_unexpected_is_no_record(void **state)
{
	(void)state;
	struct remember_record record = sample();
	char *good = formatted(&record), text[4096];
	size_t len = strlen(good);
	/* Another header or version. */
	snprintf(text, sizeof(text), "pam_oauth2 remembered-approval 2%s", strchr(good, '\n'));
	assert_refused(text, strlen(text), "kind or version");
	/* A field twice (a second sub appended), an unknown field, a field missing. */
	snprintf(text, sizeof(text), "%ssub mallory\n", good);
	assert_refused(text, strlen(text), "twice");
	snprintf(text, sizeof(text), "%sadmin yes\n", good);
	assert_refused(text, strlen(text), "unknown field");
	char *sub = strstr(good, "sub sub-alice\n");
	snprintf(text, sizeof(text), "%.*s%s", (int)(sub - good), good, sub + strlen("sub sub-alice\n"));
	assert_refused(text, strlen(text), "missing");
	/* Cut short: no final newline. */
	assert_refused(good, len - 1, "cut short");
	/* A NUL byte, a control character, a byte above ASCII, a space in a value. */
	memcpy(text, good, len + 1);
	text[len - 3] = '\0';
	assert_refused(text, len, "NUL");
	memcpy(text, good, len + 1);
	*strstr(text, "alice") = '\x1b';
	assert_refused(text, len, "visible ASCII");
	memcpy(text, good, len + 1);
	*strstr(text, "alice") = (char)0xc3;
	assert_refused(text, len, "visible ASCII");
	memcpy(text, good, len + 1);
	*(strstr(text, "sub-alice") + 3) = ' ';
	assert_refused(text, len, "visible ASCII");
	/* A time that is not a number, or too long to be one (no overflow). */
	snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "approved_at ") + 12, "17645472x0", 10);
	assert_refused(text, strlen(text), "not a number");
	char *at = strstr(good, "approved_at 1764547200\n");
	snprintf(text, sizeof(text), "%.*sapproved_at 9999999999999999999%s", (int)(at - good), good,
		 at + strlen("approved_at 1764547200"));
	assert_refused(text, strlen(text), "not a number");
	/* Written for another key: another configuration, service, user, host or SSH key. */
	struct remember_record parsed;
	const char *why;
	assert_int_equal(remember_record_parse(good, len,
					       "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					       &parsed, &why),
			 -1);
	assert_non_null(strstr(why, "another key"));
	/* Larger than any record. */
	char *huge = malloc(REMEMBER_FILE_MAX + 2);
	memset(huge, 'a', REMEMBER_FILE_MAX + 1);
	huge[REMEMBER_FILE_MAX + 1] = '\0';
	assert_refused(huge, REMEMBER_FILE_MAX + 1, "too long");
	free(huge);
	free(good);
}

static void key_of(const struct remember_key_parts *parts, char out[REMEMBER_KEY_HEX + 1])
{
	assert_int_equal(remember_key_compute(parts, out), 0);
	assert_int_equal(strlen(out), REMEMBER_KEY_HEX);
}

static void test_every_part_of_the_key_counts(void **state)
{
	(void)state;
	const struct remember_key_parts base = { .config_fingerprint = "policy-a",
						 .service = "sshd",
						 .user = "alice",
						 .rhost = "203.0.113.5",
						 .tty = "ssh",
						 .auth_info = "publickey ssh-ed25519 AAAAkey1\n",
						 .caller_uid = 0 };
	char first[REMEMBER_KEY_HEX + 1], again[REMEMBER_KEY_HEX + 1], other[REMEMBER_KEY_HEX + 1];
	key_of(&base, first);
	key_of(&base, again);
	assert_string_equal(first, again);
	for (int part = 0; part < 7; part++) {
		struct remember_key_parts changed = base;
		switch (part) {
		case 0:
			changed.config_fingerprint = "policy-b";
			break;
		case 1:
			changed.service = "sudo";
			break;
		case 2:
			changed.user = "bob";
			break;
		case 3:
			changed.rhost = "203.0.113.6";
			break;
		case 4:
			changed.tty = "/dev/pts/1";
			break;
		case 5:
			changed.auth_info = "publickey ssh-ed25519 AAAAkey2\n";
			break;
		case 6:
			changed.caller_uid = 1000;
			break;
		}
		key_of(&changed, other);
		if (strcmp(first, other) == 0)
			fail_msg("part %d does not change the key", part);
	}
	/* Parts are length-prefixed: moving a boundary is another key. */
	struct remember_key_parts left = base, right = base;
	left.user = "alice2";
	left.rhost = "03.0.113.5";
	right.user = "alice";
	right.rhost = "203.0.113.5";
	key_of(&left, first);
	key_of(&right, other);
	assert_string_not_equal(first, other);
	/* An unset part is the empty one (no key is made of a NULL). */
	struct remember_key_parts unset = base, empty = base;
	unset.rhost = NULL;
	empty.rhost = "";
	key_of(&unset, first);
	key_of(&empty, other);
	assert_string_equal(first, other);
}

static void test_the_window_counts_from_the_approval(void **state)
{
	(void)state;
	struct remember_record record = sample();
	const char *why;
	int64_t at = record.approved_at;
	assert_int_equal(remember_record_judge(&record, at + 599, 600, &why), REMEMBER_REUSE_REVALIDATE);
	assert_int_equal(remember_record_judge(&record, at + 600, 600, &why), REMEMBER_REUSE_NONE);
	assert_string_equal(why, "older than remember");
	/* A later revalidation does not make the approval younger. */
	record.revalidated_at = at + 590;
	assert_int_equal(remember_record_judge(&record, at + 601, 600, &why), REMEMBER_REUSE_NONE);
	record.revalidated_at = 0;
	/* Off, and a clock set back. */
	assert_int_equal(remember_record_judge(&record, at + 1, 0, &why), REMEMBER_REUSE_NONE);
	assert_int_equal(remember_record_judge(&record, at - REMEMBER_CLOCK_SKEW - 1, 600, &why), REMEMBER_REUSE_NONE);
	assert_non_null(strstr(why, "future"));
	/* No refresh token: time only. */
	record.refresh_token = NULL;
	assert_int_equal(remember_record_judge(&record, at + 10, 600, &why), REMEMBER_REUSE_TIME_ONLY);
}

static void test_burst_notes_read_back_and_are_strict(void **state)
{
	(void)state;
	struct remember_burst wait = { .id = BURST,
				       .user_code = "WXYZ-2345",
				       .verification_uri = "https://idp.test/device",
				       .verification_uri_complete = "-" },
			      parsed;
	struct strbuf out;
	strbuf_init(&out, 0);
	assert_int_equal(remember_burst_format(REMEMBER_NOTE_WAIT, &wait, &out), 0);
	const char *why;
	assert_int_equal(remember_burst_parse(REMEMBER_NOTE_WAIT, out.data, out.len, &parsed, &why), 0);
	assert_string_equal(parsed.user_code, "WXYZ-2345");
	remember_burst_clear(&parsed);
	/* A wait note is no end note, and an end note needs its outcome. */
	assert_int_equal(remember_burst_parse(REMEMBER_NOTE_END, out.data, out.len, &parsed, &why), -1);
	strbuf_wipe_free(&out);
	const char *end = "pam_oauth2 burst-end 1\nid " BURST "\n";
	assert_int_equal(remember_burst_parse(REMEMBER_NOTE_END, end, strlen(end), &parsed, &why), -1);
	const char *short_id = "pam_oauth2 burst-end 1\nid 0011\noutcome denied\n";
	assert_int_equal(remember_burst_parse(REMEMBER_NOTE_END, short_id, strlen(short_id), &parsed, &why), -1);
	assert_null(parsed.id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_record_reads_back_as_written),
		cmocka_unit_test(test_fields_that_cannot_be_written_are_refused),
		cmocka_unit_test(test_anything_unexpected_is_no_record),
		cmocka_unit_test(test_every_part_of_the_key_counts),
		cmocka_unit_test(test_the_window_counts_from_the_approval),
		cmocka_unit_test(test_burst_notes_read_back_and_are_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
