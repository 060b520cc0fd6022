/* The strictness of every IdP response parser is our own (json_text.h), so that it holds
 * the same promises on json-c 0.16 (Debian 12) and 0.18 (Debian 13): non-ASCII text is
 * accepted, invalid UTF-8 of every kind refused, integers past 64 bits refused, and the
 * grammar exactly RFC 8259's. Each case goes through json_parse_object, which all the
 * response parsers use, and the name cases through the identity rules as a login would. */
#include "config.h"

#include "rules/identity_rules.h"
#include "util/json_fields.h"
#include "util/json_text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static struct json_object *parsed(const char *text, size_t len)
{
	const char *why = NULL;
	struct json_object *obj = json_parse_object(text, len, &why);
	if (obj == NULL)
		fail_msg("refused (%s): %.*s", why != NULL ? why : "no reason", (int)len, text);
	assert_null(why);
	return obj;
}

static void assert_refused_len(const char *text, size_t len, const char *expected_why)
{
	const char *why = NULL;
	struct json_object *obj = json_parse_object(text, len, &why);
	if (obj != NULL) {
		json_object_put(obj);
		fail_msg("accepted: %.*s", (int)len, text);
	}
	assert_non_null(why);
	if (strcmp(why, expected_why) != 0)
		fail_msg("refused as \"%s\", expected \"%s\": %.*s", why, expected_why, (int)len, text);
}

static void assert_refused(const char *text, const char *expected_why)
{
	assert_refused_len(text, strlen(text), expected_why);
}

static void assert_accepted(const char *text)
{
	json_object_put(parsed(text, strlen(text)));
}

/* The string field "v" of TEXT, which must parse. */
static void assert_string_field(const char *text, const char *expected, size_t expected_len)
{
	struct json_object *obj = parsed(text, strlen(text));
	char *value = NULL;
	assert_int_equal(json_get_string(obj, "v", 256, &value), JSON_FIELD_OK);
	assert_int_equal(strlen(value), expected_len);
	assert_memory_equal(value, expected, expected_len);
	free(value);
	json_object_put(obj);
}

/* ---- non-ASCII text is accepted, byte for byte ---- */

static void test_non_ascii_names_are_accepted_unchanged(void **state)
{
	(void)state;
	/* Latin-1 range, CJK, an emoji (4 bytes), the last code point, a noncharacter. */
	assert_string_field("{\"v\":\"Alice \xc3\x84"
			    "dmin\"}",
			    "Alice \xc3\x84"
			    "dmin",
			    12);
	assert_string_field("{\"v\":\"\xe5\xb1\xb1\xe7\x94\xb0\"}", "\xe5\xb1\xb1\xe7\x94\xb0", 6);
	assert_string_field("{\"v\":\"\xf0\x9f\x94\x91 key\"}", "\xf0\x9f\x94\x91 key", 8);
	assert_string_field("{\"v\":\"\xf4\x8f\xbf\xbf\"}", "\xf4\x8f\xbf\xbf", 4);
	assert_string_field("{\"v\":\"\xef\xbf\xbf\"}", "\xef\xbf\xbf", 3);
	/* U+0080 and U+07FF, U+0800 and U+FFFD, U+10000: each class's boundaries. */
	assert_string_field("{\"v\":\"\xc2\x80\xdf\xbf\"}", "\xc2\x80\xdf\xbf", 4);
	assert_string_field("{\"v\":\"\xe0\xa0\x80\xef\xbf\xbd\"}", "\xe0\xa0\x80\xef\xbf\xbd", 6);
	assert_string_field("{\"v\":\"\xf0\x90\x80\x80\"}", "\xf0\x90\x80\x80", 4);
	/* Just below and above the surrogates. */
	assert_string_field("{\"v\":\"\xed\x9f\xbf\xee\x80\x80\"}", "\xed\x9f\xbf\xee\x80\x80", 6);
}

static void test_unicode_escapes_become_utf8(void **state)
{
	(void)state;
	assert_string_field("{\"v\":\"\\u00c4dmin\"}",
			    "\xc3\x84"
			    "dmin",
			    6);
	assert_string_field("{\"v\":\"\\u5c71\\u7530\"}", "\xe5\xb1\xb1\xe7\x94\xb0", 6);
	/* A surrogate pair, either case of hex digits. */
	assert_string_field("{\"v\":\"\\ud83d\\udd11\"}", "\xf0\x9f\x94\x91", 4);
	assert_string_field("{\"v\":\"\\uD83D\\uDD11\"}", "\xf0\x9f\x94\x91", 4);
	assert_string_field("{\"v\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "\"\\/\b\f\n\r\t", 8);
}

static void test_non_ascii_keys_and_names_anywhere_in_a_response(void **state)
{
	(void)state;
	/* What an IdP's userinfo answers: a name and a key outside ASCII, nested and in arrays. */
	assert_accepted("{\"sub\":\"alice\",\"name\":\"Alice \xc3\x84"
			"dmin\",\"n\xc3\xa4me\":1,"
			"\"address\":{\"locality\":\"K\xc3\xb8"
			"benhavn\"},\"groups\":[\"\xc3\xa9quipe\"]}");
}

static void test_user_with_a_non_ascii_name_is_identified(void **state)
{
	(void)state;
	/* Issue 12: this user was refused on Debian 13 (json-c 0.18) and logged in on Debian 12. */
	const char *userinfo = "{\"sub\":\"alice\",\"preferred_username\":\"alice\",\"name\":\"Alice \xc3\x84"
			       "dmin\",\"email\":\"alice@example.com\",\"groups\":[\"admins\",\"\xc3\xa9quipe\"]}";
	struct json_object *claims = parsed(userinfo, strlen(userinfo));
	struct identity_rules rules = { .username_claim = "preferred_username", .groups_claim = "groups" };
	char detail[256];
	assert_int_equal(identity_decide(claims, &rules, "alice", detail, sizeof(detail)), IDENTITY_ALLOWED);
	/* And a non-ASCII identity claim is compared byte for byte. */
	rules.username_claim = "name";
	assert_int_equal(identity_decide(claims, &rules, "alice", detail, sizeof(detail)), IDENTITY_MISMATCH);
	assert_int_equal(identity_decide(claims, &rules,
					 "Alice \xc3\x84"
					 "dmin",
					 detail, sizeof(detail)),
			 IDENTITY_ALLOWED);
	json_object_put(claims);
}

/* ---- invalid UTF-8 is refused, inside strings and out ---- */

static void test_invalid_utf8_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\x80",                     /* a continuation byte alone */
		"\xbf",                     /* another */
		"\xc3",                     /* a lead byte cut short (before the closing quote) */
		"\xc3\x28",                 /* a lead byte followed by ASCII */
		"\xe2\x82",                 /* three-byte sequence cut short */
		"\xf0\x9f\x94",             /* four-byte sequence cut short */
		"\xfe",                     /* never in UTF-8 */
		"\xff",                     /* never in UTF-8 */
		"\xf5\x80\x80\x80",         /* past U+10FFFF: lead F5 */
		"\xf4\x90\x80\x80",         /* U+110000 */
		"\xed\xa0\x80",             /* the surrogate U+D800 */
		"\xed\xbf\xbf",             /* the surrogate U+DFFF */
		"\xed\xa0\xbd\xed\xb4\x91", /* a surrogate pair in CESU-8 */
	};
	char text[64];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int len = snprintf(text, sizeof(text), "{\"v\":\"a%sb\"}", bad[i]);
		assert_refused_len(text, (size_t)len, "invalid UTF-8");
		/* In a key as well. */
		len = snprintf(text, sizeof(text), "{\"k%s\":1}", bad[i]);
		assert_refused_len(text, (size_t)len, "invalid UTF-8");
	}
	/* Outside any string (where the grammar alone would say "malformed"). */
	assert_refused("{\"v\":1}\xff", "invalid UTF-8");
	assert_refused("\xef\xbb\xbf{\"v\":1}", "malformed JSON"); /* a BOM: valid UTF-8, not JSON */
}

static void test_overlong_encodings_are_refused(void **state)
{
	(void)state;
	static const char *const overlong[] = {
		"\xc0\xaf",             /* '/' in two bytes */
		"\xc0\x80",             /* NUL in two bytes (Java's "modified UTF-8") */
		"\xc1\xbf",             /* U+007F in two bytes */
		"\xe0\x80\xaf",         /* '/' in three bytes */
		"\xe0\x9f\xbf",         /* U+07FF in three bytes */
		"\xf0\x80\x80\xaf",     /* '/' in four bytes */
		"\xf0\x8f\xbf\xbf",     /* U+FFFF in four bytes */
		"\xf8\x88\x80\x80\x80", /* five bytes */
	};
	char text[64];
	for (size_t i = 0; i < sizeof(overlong) / sizeof(overlong[0]); i++) {
		int len = snprintf(text, sizeof(text), "{\"v\":\"%s\"}", overlong[i]);
		assert_refused_len(text, (size_t)len, "invalid UTF-8");
	}
}

static void test_escaped_unpaired_surrogates_are_refused(void **state)
{
	(void)state;
	/* json-c would turn each into U+FFFD: text the IdP never sent. */
	assert_refused("{\"v\":\"\\ud800\"}", "invalid UTF-8");
	assert_refused("{\"v\":\"\\ud800x\"}", "invalid UTF-8");
	assert_refused("{\"v\":\"\\udc00\"}", "invalid UTF-8");
	assert_refused("{\"v\":\"\\ud83d\\u0041\"}", "invalid UTF-8");
	assert_refused("{\"v\":\"\\ud83d\\ud83d\"}", "invalid UTF-8");
	assert_refused("{\"v\":\"\\udd11\\ud83d\"}", "invalid UTF-8");
}

/* ---- integers: exact within 64 bits, refused past them ---- */

static void test_integers_at_the_64_bit_limits_are_exact(void **state)
{
	(void)state;
	struct json_object *obj = parsed("{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
					 "\"umax\":18446744073709551615,\"zero\":-0}",
					 strlen("{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
						"\"umax\":18446744073709551615,\"zero\":-0}"));
	struct json_object *value;
	assert_true(json_object_object_get_ex(obj, "max", &value));
	assert_true(json_object_get_int64(value) == INT64_MAX);
	assert_true(json_object_object_get_ex(obj, "min", &value));
	assert_true(json_object_get_int64(value) == INT64_MIN);
	assert_true(json_object_object_get_ex(obj, "umax", &value));
	assert_true(json_object_is_type(value, json_type_int));
	long out = 0;
	/* Out of every range a caller asks for. */
	assert_int_equal(json_get_integer(obj, "umax", 0, 86400, &out), JSON_FIELD_BAD_VALUE);
	assert_int_equal(json_get_integer(obj, "zero", 0, 10, &out), JSON_FIELD_OK);
	assert_int_equal(out, 0);
	json_object_put(obj);
}

static void test_integers_past_64_bits_are_refused(void **state)
{
	(void)state;
	/* json-c 0.16 would saturate these silently and 0.18 refuse them: refused on both. */
	assert_refused("{\"v\":18446744073709551616}", "integer out of range");
	assert_refused("{\"v\":-9223372036854775809}", "integer out of range");
	assert_refused("{\"v\":99999999999999999999999999999999}", "integer out of range");
	assert_refused("{\"exp\":1,\"claims\":[1,2,340282366920938463463374607431768211456]}", "integer out of range");
	/* A number with a fraction or an exponent is a double: large ones are json-c's to round. */
	assert_accepted("{\"v\":18446744073709551616.0}");
	assert_accepted("{\"v\":1e400}");
}

/* ---- the grammar: RFC 8259 and nothing more ---- */

static void test_grammar_beyond_rfc8259_is_refused(void **state)
{
	(void)state;
	static const char *const malformed[] = {
		"{\"v\":1,}",        /* trailing comma in an object */
		"{\"v\":[1,2,]}",    /* in an array */
		"{\"v\":[,1]}",      /* leading comma */
		"{\"v\":1 /* c */}", /* comments */
		"{\"v\":1 // c\n}",  /* line comment */
		"{'v':1}",           /* single quotes */
		"{\"v\":'x'}",       /* single-quoted string */
		"{v:1}",             /* bare key */
		"{\"v\":NaN}",       /* NaN */
		"{\"v\":Infinity}",  /* Infinity */
		"{\"v\":-Infinity}", /* -Infinity */
		"{\"v\":True}",      /* capitalised literal */
		"{\"v\":NULL}",      /* upper case literal */
		"{\"v\":nul}",       /* cut literal */
		"{\"v\":01}",        /* leading zero */
		"{\"v\":-01}",       /* leading zero, negative */
		"{\"v\":+1}",        /* plus sign */
		"{\"v\":.5}",        /* no integer part */
		"{\"v\":1.}",        /* no fraction digits */
		"{\"v\":1e}",        /* no exponent digits */
		"{\"v\":0x10}",      /* hex */
		"{\"v\":\"a\tb\"}",  /* an unescaped tab in a string */
		"{\"v\":\"a\nb\"}",  /* an unescaped newline */
		"{\"v\":\"a\x1f"
		"b\"}",                /* U+001F */
		"{\"k\x01\":1}",       /* a control character in a key */
		"{\"v\":\"\\x41\"}",   /* an escape JSON lacks */
		"{\"v\":\"\\u12\"}",   /* a short \u escape */
		"{\"v\":\"\\u12G4\"}", /* not hex */
		"{\"v\":\"abc}",       /* unterminated string */
		"{\"v\" 1}",           /* no colon */
		"{\"v\":1 \"w\":2}",   /* no comma */
		"{\"v\":}",            /* no value */
		"{\"v\":1",            /* unclosed object */
		"{\"v\":[1,2}",        /* mismatched close */
		" ",                   /* white space only */
		"{\"v\":1}\v",         /* vertical tab is not JSON white space (after the object) */
	};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		const char *why = NULL;
		struct json_object *obj = json_parse_object(malformed[i], strlen(malformed[i]), &why);
		if (obj != NULL) {
			json_object_put(obj);
			fail_msg("accepted: %s", malformed[i]);
		}
		assert_non_null(why);
	}
	assert_refused("{\"v\":1,}", "malformed JSON");
	assert_refused("{\"v\":\"a\nb\"}", "malformed JSON");
	assert_refused("{\"v\":1}\v", "data after the JSON object");
	assert_refused("{\"v\":1}{}", "data after the JSON object");
	assert_refused_len("{\"v\":1}\0", 8, "data after the JSON object");
}

static void test_valid_json_of_every_kind_is_accepted(void **state)
{
	(void)state;
	assert_accepted("{}");
	assert_accepted(" \t\r\n{ \t\r\n} \t\r\n");
	assert_accepted("{\"a\":[],\"b\":{},\"c\":[true,false,null],\"d\":-0.5e-3,\"e\":1E+2,\"f\":0,"
			"\"g\":\"\",\"h\":\"\\u0041\\u00e9\",\"i\":\"a\x7f"
			"b\",\"j\":[[[]]],\"k\":123456789}");
	/* DEL and the C1 range are valid JSON; the sanitizer deals with them before display. */
	assert_accepted("{\"v\":\"\x7f\xc2\x80\xc2\x9f\"}");
	/* An escaped NUL parses; the field readers then refuse the string. */
	struct json_object *obj = parsed("{\"v\":\"a\\u0000b\"}", strlen("{\"v\":\"a\\u0000b\"}"));
	char *value = NULL;
	assert_int_equal(json_get_string(obj, "v", 64, &value), JSON_FIELD_BAD_VALUE);
	json_object_put(obj);
}

/* {"a": then NESTED arrays holding INNER (a number, or nothing). */
static size_t nested_text(char *text, int nested, const char *inner)
{
	size_t n = 0;
	memcpy(text, "{\"a\":", 5);
	n += 5;
	for (int i = 0; i < nested; i++)
		text[n++] = '[';
	memcpy(text + n, inner, strlen(inner));
	n += strlen(inner);
	for (int i = 0; i < nested; i++)
		text[n++] = ']';
	text[n++] = '}';
	return n;
}

static void test_nesting_is_bounded_at_json_max_depth(void **state)
{
	(void)state;
	char text[128];
	/* Levels as json-c counts them (json_text.h): the object is 1, its member 2, ... Our
	 * limit is json-c's, so json-c never refuses what the check let through. */
	for (int nested = 0; nested <= JSON_MAX_DEPTH; nested++) {
		size_t n = nested_text(text, nested, "1"); /* the number is at level nested + 2 */
		if (nested + 2 <= JSON_MAX_DEPTH)
			json_object_put(parsed(text, n));
		else
			assert_refused_len(text, n, "JSON nested too deep");
		if (nested == 0)
			continue;
		n = nested_text(text, nested, ""); /* the innermost array is at level nested + 1 */
		if (nested + 1 <= JSON_MAX_DEPTH)
			json_object_put(parsed(text, n));
		else
			assert_refused_len(text, n, "JSON nested too deep");
	}
}

static void test_top_level_must_be_an_object(void **state)
{
	(void)state;
	assert_refused("[1]", "JSON is not an object");
	assert_refused("\"alice\"", "JSON is not an object");
	assert_refused("123", "JSON is not an object");
	assert_refused(" null ", "JSON is not an object");
	assert_refused_len("", 0, "empty body");
}

static void test_json_text_check_takes_any_value_and_exact_lengths(void **state)
{
	(void)state;
	assert_null(json_text_check("[1,\"x\",null]", 12, 4));
	assert_null(json_text_check("-12.5e3", 7, 4));
	/* Length, not a NUL, ends the text: a prefix of a longer buffer is checked alone. */
	assert_null(json_text_check("{\"a\":1}garbage", 7, 4));
	assert_string_equal(json_text_check("{\"a\":1}garbage", 8, 4), "data after the JSON object");
	assert_string_equal(json_text_check("[[[[[]]]]]", 10, 4), "JSON nested too deep");
	assert_null(json_text_check("[[[[]]]]", 8, 4));
	assert_string_equal(json_text_check("[[[[1]]]]", 9, 4), "JSON nested too deep");
	assert_null(json_text_check("[[[1]]]", 7, 4));
	assert_string_equal(json_text_check("\"\\ud800\"", 8, 4), "invalid UTF-8");
	/* A number cut by the length is still a whole number: "12" of "123". */
	assert_null(json_text_check("123", 2, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_non_ascii_names_are_accepted_unchanged),
		cmocka_unit_test(test_unicode_escapes_become_utf8),
		cmocka_unit_test(test_non_ascii_keys_and_names_anywhere_in_a_response),
		cmocka_unit_test(test_user_with_a_non_ascii_name_is_identified),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_overlong_encodings_are_refused),
		cmocka_unit_test(test_escaped_unpaired_surrogates_are_refused),
		cmocka_unit_test(test_integers_at_the_64_bit_limits_are_exact),
		cmocka_unit_test(test_integers_past_64_bits_are_refused),
		cmocka_unit_test(test_grammar_beyond_rfc8259_is_refused),
		cmocka_unit_test(test_valid_json_of_every_kind_is_accepted),
		cmocka_unit_test(test_nesting_is_bounded_at_json_max_depth),
		cmocka_unit_test(test_top_level_must_be_an_object),
		cmocka_unit_test(test_json_text_check_takes_any_value_and_exact_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
