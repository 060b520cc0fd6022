/* What the IdP answers: the device authorization response (RFC 8628 §3.2), the token
 * endpoint's answers (RFC 8628 §3.5, RFC 6749 §5) and the strict JSON access under both. */
#include "config.h"

#include "idp/device_authorization.h"
#include "util/json_fields.h"
#include "idp/oauth_error.h"
#include "util/strbuf.h"
#include "idp/token.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* The fields of a device authorization response as raw JSON text; NULL leaves one out. */
struct device_fields {
	const char *device_code;
	const char *user_code;
	const char *verification_uri;
	const char *verification_uri_complete;
	const char *expires_in;
	const char *interval;
	const char *extra; /* raw "name":value text added at the end, or NULL */
};

static const struct device_fields valid_device = {
	.device_code = "\"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS\"",
	.user_code = "\"WDJB-MJHT\"",
	.verification_uri = "\"https://idp.example/device\"",
	.verification_uri_complete = "\"https://idp.example/device?user_code=WDJB-MJHT\"",
	.expires_in = "1800",
	.interval = "5",
	.extra = NULL,
};

/* Returns the JSON body for FIELDS (free it). */
static char *device_body(const struct device_fields *fields)
{
	const char *names[] = { "device_code", "user_code", "verification_uri", "verification_uri_complete",
				"expires_in",  "interval" };
	const char *values[] = { fields->device_code,      fields->user_code,
				 fields->verification_uri, fields->verification_uri_complete,
				 fields->expires_in,       fields->interval };
	struct strbuf body;
	strbuf_init(&body, 0);
	assert_int_equal(strbuf_append_str(&body, "{"), 0);
	bool first = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (values[i] == NULL)
			continue;
		assert_int_equal(strbuf_appendf(&body, "%s\"%s\":%s", first ? "" : ",", names[i], values[i]), 0);
		first = false;
	}
	if (fields->extra != NULL)
		assert_int_equal(strbuf_appendf(&body, "%s%s", first ? "" : ",", fields->extra), 0);
	assert_int_equal(strbuf_append_str(&body, "}"), 0);
	return strbuf_release(&body);
}

static void assert_device_cleared(const struct device_authorization *auth)
{
	assert_null(auth->device_code);
	assert_null(auth->user_code);
	assert_null(auth->verification_uri);
	assert_null(auth->verification_uri_complete);
}

/* Parses LEN bytes of BODY and checks it is refused with a reason and nothing left allocated. */
static void assert_body_refused(const char *body, size_t len)
{
	struct device_authorization auth;
	const char *why = NULL;
	if (device_authorization_parse(body, len, &auth, &why) != -1) {
		device_authorization_clear(&auth);
		fail_msg("accepted: %.*s", (int)(len < 300 ? len : 300), body);
	}
	assert_non_null(why);
	assert_device_cleared(&auth);
}

static void assert_device_refused(const struct device_fields *fields)
{
	char *body = device_body(fields);
	assert_body_refused(body, strlen(body));
	free(body);
}

static void parse_device_ok(const struct device_fields *fields, struct device_authorization *auth)
{
	char *body = device_body(fields);
	const char *why = NULL;
	int rc = device_authorization_parse(body, strlen(body), auth, &why);
	free(body);
	if (rc != 0)
		fail_msg("refused: %s", why != NULL ? why : "(no reason)");
}

static enum token_outcome classify(long http_status, const char *body, struct token_grant *grant,
				   struct oauth_error *error)
{
	const char *why = NULL;
	enum token_outcome outcome = token_response_classify(http_status, body, strlen(body), grant, error, &why);
	if (outcome != TOKEN_GRANTED) {
		/* Nothing is granted unless the outcome says so. */
		assert_null(grant->access_token);
		assert_null(grant->id_token);
		assert_null(grant->scope);
	}
	return outcome;
}

/* The outcome of HTTP_STATUS with BODY, which must not leave a grant behind. */
static enum token_outcome outcome_of(long http_status, const char *body)
{
	struct token_grant grant;
	struct oauth_error error;
	enum token_outcome outcome = classify(http_status, body, &grant, &error);
	token_grant_clear(&grant);
	return outcome;
}

/* ---- device authorization response ---- */

static void test_device_valid_response_fills_every_field(void **state)
{
	(void)state;
	struct device_authorization auth;
	parse_device_ok(&valid_device, &auth);
	assert_string_equal(auth.device_code, "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS");
	assert_string_equal(auth.user_code, "WDJB-MJHT");
	assert_string_equal(auth.verification_uri, "https://idp.example/device");
	assert_string_equal(auth.verification_uri_complete, "https://idp.example/device?user_code=WDJB-MJHT");
	assert_int_equal(auth.expires_in, 1800);
	assert_int_equal(auth.interval, 5);
	device_authorization_clear(&auth);
	assert_device_cleared(&auth);
}

static void test_device_without_verification_uri_complete_leaves_it_null(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	fields.verification_uri_complete = NULL;
	struct device_authorization auth;
	parse_device_ok(&fields, &auth);
	assert_null(auth.verification_uri_complete);
	assert_string_equal(auth.verification_uri, "https://idp.example/device");
	device_authorization_clear(&auth);
}

/* Parses BODY as a device authorization response: 0 or -1, AUTH filled on 0. */
static int parse_device_text(const char *body, struct device_authorization *auth, const char **why)
{
	return device_authorization_parse(body, strlen(body), auth, why);
}

static void test_device_verification_url_is_read_only_without_verification_uri(void **state)
{
	(void)state;
	/* Google names the field verification_url; checked exactly like verification_uri. */
	struct device_authorization auth;
	const char *why = NULL;
	assert_int_equal(parse_device_text("{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":"
					   "\"https://www.google.com/device\",\"expires_in\":1800}",
					   &auth, &why),
			 0);
	assert_string_equal(auth.verification_uri, "https://www.google.com/device");
	device_authorization_clear(&auth);
	assert_int_equal(
	    parse_device_text("{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":"
			      "\"https://idp.example/device\",\"verification_url\":\"https://evil.example/\","
			      "\"expires_in\":1800}",
			      &auth, &why),
	    0);
	assert_string_equal(auth.verification_uri, "https://idp.example/device");
	device_authorization_clear(&auth);
	assert_int_equal(parse_device_text("{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":"
					   "\"http://www.google.com/device\",\"expires_in\":1800}",
					   &auth, &why),
			 -1);
}

static void test_device_without_interval_defaults_to_five_seconds(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	fields.interval = NULL;
	struct device_authorization auth;
	parse_device_ok(&fields, &auth);
	assert_int_equal(auth.interval, 5);
	device_authorization_clear(&auth);
	/* JSON null is the same as leaving it out. */
	fields.interval = "null";
	parse_device_ok(&fields, &auth);
	assert_int_equal(auth.interval, 5);
	device_authorization_clear(&auth);
}

static void test_device_interval_is_read_when_given(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	fields.interval = "17";
	struct device_authorization auth;
	parse_device_ok(&fields, &auth);
	assert_int_equal(auth.interval, 17);
	device_authorization_clear(&auth);
}

static void test_device_bounds_are_accepted(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	struct device_authorization auth;
	fields.expires_in = "1";
	fields.interval = "3600";
	parse_device_ok(&fields, &auth);
	assert_int_equal(auth.expires_in, 1);
	assert_int_equal(auth.interval, INTERVAL_MAX);
	device_authorization_clear(&auth);
	fields.expires_in = "86400";
	parse_device_ok(&fields, &auth);
	assert_int_equal(auth.expires_in, EXPIRES_IN_MAX);
	device_authorization_clear(&auth);
}

static void test_device_each_required_field_missing_is_refused(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		struct device_fields fields = valid_device;
		const char **required[] = { &fields.device_code, &fields.user_code, &fields.verification_uri,
					    &fields.expires_in };
		*required[i] = NULL;
		assert_device_refused(&fields);
		/* null is missing too */
		*required[i] = "null";
		assert_device_refused(&fields);
	}
}

static void test_device_each_field_of_wrong_type_is_refused(void **state)
{
	(void)state;
	const char *wrong_for_string[] = { "42", "true", "[\"WDJB-MJHT\"]", "{\"v\":\"x\"}" };
	const char *wrong_for_integer[] = { "\"1800\"", "true", "[1800]", "{}" };
	for (int i = 0; i < 6; i++) {
		struct device_fields fields = valid_device;
		const char **slot[] = { &fields.device_code,      &fields.user_code,
					&fields.verification_uri, &fields.verification_uri_complete,
					&fields.expires_in,       &fields.interval };
		for (size_t k = 0; k < 4; k++) {
			*slot[i] = i < 4 ? wrong_for_string[k] : wrong_for_integer[k];
			assert_device_refused(&fields);
		}
	}
}

static void test_device_each_empty_string_is_refused(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		struct device_fields fields = valid_device;
		const char **slot[] = { &fields.device_code, &fields.user_code, &fields.verification_uri,
					&fields.verification_uri_complete };
		*slot[i] = "\"\"";
		assert_device_refused(&fields);
	}
}

/* A JSON string of LEN copies of C (free it). */
static char *json_string_of(char c, size_t len, const char *prefix)
{
	struct strbuf text;
	strbuf_init(&text, 0);
	assert_int_equal(strbuf_appendf(&text, "\"%s", prefix), 0);
	for (size_t i = strlen(prefix); i < len; i++)
		assert_int_equal(strbuf_append(&text, &c, 1), 0);
	assert_int_equal(strbuf_append_str(&text, "\""), 0);
	return strbuf_release(&text);
}

static void test_device_overlong_user_code_is_refused(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	char *code = json_string_of('A', 64 * 1024, "");
	fields.user_code = code;
	assert_device_refused(&fields);
	free(code);
	code = json_string_of('A', USER_CODE_MAX + 1, "");
	fields.user_code = code;
	assert_device_refused(&fields);
	free(code);
}

static void test_device_overlong_device_code_and_uris_are_refused(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	char *code = json_string_of('x', DEVICE_CODE_MAX + 1, "");
	fields.device_code = code;
	assert_device_refused(&fields);
	free(code);
	fields = valid_device;
	char *uri = json_string_of('a', VERIFICATION_URI_MAX + 1, "https://idp.example/");
	fields.verification_uri = uri;
	assert_device_refused(&fields);
	fields = valid_device;
	fields.verification_uri_complete = uri;
	assert_device_refused(&fields);
	free(uri);
}

static void test_device_fields_of_maximum_length_are_accepted(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	char *code = json_string_of('x', DEVICE_CODE_MAX, "");
	char *user_code = json_string_of('A', USER_CODE_MAX, "");
	char *uri = json_string_of('a', VERIFICATION_URI_MAX, "https://idp.example/");
	fields.device_code = code;
	fields.user_code = user_code;
	fields.verification_uri = uri;
	fields.verification_uri_complete = uri;
	struct device_authorization auth;
	parse_device_ok(&fields, &auth);
	assert_int_equal(strlen(auth.device_code), DEVICE_CODE_MAX);
	assert_int_equal(strlen(auth.user_code), USER_CODE_MAX);
	assert_int_equal(strlen(auth.verification_uri), VERIFICATION_URI_MAX);
	device_authorization_clear(&auth);
	free(code);
	free(user_code);
	free(uri);
}

static void test_device_expires_in_out_of_range_or_fractional_is_refused(void **state)
{
	(void)state;
	const char *bad[] = { "0",      "-1",     "-1800", "86401", "2147483648", "99999999999999999999",
			      "1800.5", "1800.0", "1.8e3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct device_fields fields = valid_device;
		fields.expires_in = bad[i];
		assert_device_refused(&fields);
	}
}

static void test_device_interval_out_of_range_or_fractional_is_refused(void **state)
{
	(void)state;
	const char *bad[] = {
		"-1", "-5", "3601", "99999999999999999999", "-99999999999999999999", "5.5", "5.0", "5e0"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct device_fields fields = valid_device;
		fields.interval = bad[i];
		assert_device_refused(&fields);
	}
}

static const char *const bad_uris[] = {
	"\"http://idp.example/device\"",
	"\"javascript:alert(1)\"",
	"\"file:///etc/passwd\"",
	"\"ftp://idp.example/device\"",
	"\" https://idp.example/device\"",
	"\"https://idp.example/de vice\"",
	"\"https://idp.example/device\\n\"",
	"\"https://idp.example/device\\r\\nInjected: yes\"",
	"\"https://idp.example/\\u001b[31mdevice\"",
	"\"https://idp.example/d\\u00e9vice\"",
	"\"https://\"",
	"\"https:///device\"",
	"\"https://?user_code=WDJB-MJHT\"",
	"\"https://#device\"",
	"\"https://:443/device\"",
	"\"https:idp.example/device\"",
};

static void test_device_verification_uri_not_plain_https_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_uris) / sizeof(bad_uris[0]); i++) {
		struct device_fields fields = valid_device;
		fields.verification_uri = bad_uris[i];
		assert_device_refused(&fields);
	}
}

static void test_device_verification_uri_complete_not_plain_https_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_uris) / sizeof(bad_uris[0]); i++) {
		struct device_fields fields = valid_device;
		fields.verification_uri_complete = bad_uris[i];
		assert_device_refused(&fields);
	}
}

static void test_device_user_code_with_escape_or_space_is_refused(void **state)
{
	(void)state;
	const char *bad[] = { "\"WDJB MJHT\"",   "\"\\u001b[31mWDJB\"", "\"WDJB\\tMJHT\"",
			      "\"WDJB\\u0007\"", "\"WDJB\\u00e9\"",     "\"WDJB\\u202eTHJM\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct device_fields fields = valid_device;
		fields.user_code = bad[i];
		assert_device_refused(&fields);
	}
}

static void test_device_string_with_nul_escape_is_refused(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	fields.device_code = "\"Gm\\u0000Rh\"";
	assert_device_refused(&fields);
	fields = valid_device;
	fields.user_code = "\"WDJB\\u0000MJHT\"";
	assert_device_refused(&fields);
	fields = valid_device;
	fields.verification_uri = "\"https://idp.example/device\\u0000.evil.example\"";
	assert_device_refused(&fields);
}

static void test_device_body_that_is_not_an_object_is_refused(void **state)
{
	(void)state;
	const char *bodies[] = { "[]", "[{\"device_code\":\"x\"}]", "\"device_code\"", "42", "true", "null" };
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_body_refused(bodies[i], strlen(bodies[i]));
}

static void test_device_malformed_body_is_refused(void **state)
{
	(void)state;
	const char *bodies[] = {
		"not json", "<html>502 Bad Gateway</html>", "{device_code:1}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}",
		"}"
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_body_refused(bodies[i], strlen(bodies[i]));
}

static void test_device_every_truncation_of_a_valid_body_is_refused(void **state)
{
	(void)state;
	char *body = device_body(&valid_device);
	size_t len = strlen(body);
	for (size_t cut = 0; cut < len; cut++)
		assert_body_refused(body, cut);
	free(body);
}

static void test_device_empty_body_is_refused(void **state)
{
	(void)state;
	assert_body_refused("", 0);
	assert_body_refused("   \n", 4);
}

static void test_device_data_after_the_object_is_refused(void **state)
{
	(void)state;
	char *object = device_body(&valid_device);
	const char *suffixes[] = { " x", "{}", ",{}", "]", "\"\"", "0" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char body[1024];
		int len = snprintf(body, sizeof(body), "%s%s", object, suffixes[i]);
		assert_body_refused(body, (size_t)len);
	}
	free(object);
}

static void test_device_nul_bytes_after_the_object_are_refused(void **state)
{
	(void)state;
	char *object = device_body(&valid_device);
	size_t len = strlen(object);
	char body[1024];
	memcpy(body, object, len);
	/* A body that holds NUL bytes after the object is not a JSON text. */
	memset(body + len, 0, 4);
	assert_body_refused(body, len + 1);
	assert_body_refused(body, len + 4);
	free(object);
}

static void test_device_white_space_around_the_object_is_accepted(void **state)
{
	(void)state;
	char *object = device_body(&valid_device);
	char body[1024];
	int len = snprintf(body, sizeof(body), " \r\n\t%s \r\n\t", object);
	struct device_authorization auth;
	const char *why = NULL;
	assert_int_equal(device_authorization_parse(body, (size_t)len, &auth, &why), 0);
	device_authorization_clear(&auth);
	free(object);
}

static void test_device_deep_nesting_is_refused_without_crashing(void **state)
{
	(void)state;
	enum { DEPTH = 10000 };
	struct strbuf body;
	strbuf_init(&body, 0);
	assert_int_equal(strbuf_append_str(&body, "{\"device_code\":\"x\",\"deep\":"), 0);
	for (int i = 0; i < DEPTH; i++)
		assert_int_equal(strbuf_append_str(&body, i % 2 ? "{\"a\":" : "["), 0);
	for (int i = DEPTH - 1; i >= 0; i--)
		assert_int_equal(strbuf_append_str(&body, i % 2 ? "}" : "]"), 0);
	assert_int_equal(strbuf_append_str(&body, "}"), 0);
	assert_body_refused(body.data, body.len);
	strbuf_wipe_free(&body);
	/* An unclosed pyramid as well. */
	char open_only[DEPTH];
	memset(open_only, '[', sizeof(open_only));
	assert_body_refused(open_only, sizeof(open_only));
}

static void test_device_invalid_utf8_is_refused(void **state)
{
	(void)state;
	/* Anywhere in the body: in a field we read and in one we ignore. */
	const char *bad[] = {
		"\"\xff\"",             /* never valid */
		"\"\x80\"",             /* stray continuation byte */
		"\"\xc0\xaf\"",         /* overlong '/' */
		"\"\xe0\x80\xaf\"",     /* overlong, three bytes */
		"\"\xed\xa0\x80\"",     /* UTF-16 surrogate */
		"\"\xf4\x90\x80\x80\"", /* past U+10FFFF */
		"\"\xf5\x80\x80\x80\"", /* lead byte past U+10FFFF */
		"\"\xe2\x82\"",         /* truncated sequence */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct device_fields fields = valid_device;
		fields.device_code = bad[i];
		assert_device_refused(&fields);
		fields = valid_device;
		char extra[64];
		snprintf(extra, sizeof(extra), "\"note\":%s", bad[i]);
		fields.extra = extra;
		assert_device_refused(&fields);
	}
}

static void test_device_valid_utf8_in_an_ignored_field_is_accepted(void **state)
{
	(void)state;
	struct device_fields fields = valid_device;
	fields.extra = "\"message\":\"Gr\xc3\xbc\xc3\x9f"
		       "e \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80\"";
	struct device_authorization auth;
	parse_device_ok(&fields, &auth);
	device_authorization_clear(&auth);
}

/* ---- json_fields ---- */

static struct json_object *parse_object(const char *text)
{
	const char *why = NULL;
	struct json_object *obj = json_parse_object(text, strlen(text), &why);
	if (obj == NULL)
		fail_msg("not parsed: %s", why != NULL ? why : "(no reason)");
	return obj;
}

static void test_json_get_string_copies_a_string_within_bounds(void **state)
{
	(void)state;
	struct json_object *obj = parse_object("{\"s\":\"abcd\"}");
	char *out = NULL;
	assert_int_equal(json_get_string(obj, "s", 4, &out), JSON_FIELD_OK);
	assert_string_equal(out, "abcd");
	free(out);
	assert_int_equal(json_get_string(obj, "s", 3, &out), JSON_FIELD_BAD_VALUE);
	assert_null(out);
	json_object_put(obj);
}

static void test_json_get_string_refuses_empty_and_nul_inside(void **state)
{
	(void)state;
	struct json_object *obj = parse_object("{\"e\":\"\",\"n\":\"a\\u0000b\",\"z\":\"\\u0000\"}");
	char *out = NULL;
	assert_int_equal(json_get_string(obj, "e", 100, &out), JSON_FIELD_BAD_VALUE);
	assert_int_equal(json_get_string(obj, "n", 100, &out), JSON_FIELD_BAD_VALUE);
	assert_int_equal(json_get_string(obj, "z", 100, &out), JSON_FIELD_BAD_VALUE);
	assert_null(out);
	json_object_put(obj);
}

static void test_json_get_string_missing_or_null_is_absent(void **state)
{
	(void)state;
	struct json_object *obj = parse_object("{\"n\":null}");
	char *out = NULL;
	assert_int_equal(json_get_string(obj, "n", 100, &out), JSON_FIELD_ABSENT);
	assert_int_equal(json_get_string(obj, "missing", 100, &out), JSON_FIELD_ABSENT);
	assert_null(out);
	json_object_put(obj);
}

static void test_json_get_string_of_other_type_is_bad_type(void **state)
{
	(void)state;
	struct json_object *obj = parse_object("{\"i\":1,\"b\":false,\"a\":[],\"o\":{},\"d\":1.5}");
	const char *keys[] = { "i", "b", "a", "o", "d" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *out = NULL;
		assert_int_equal(json_get_string(obj, keys[i], 100, &out), JSON_FIELD_BAD_TYPE);
		assert_null(out);
	}
	json_object_put(obj);
}

static void test_json_get_integer_reads_within_range(void **state)
{
	(void)state;
	struct json_object *obj = parse_object("{\"i\":-7,\"j\":10}");
	long out = 0;
	assert_int_equal(json_get_integer(obj, "i", -7, 10, &out), JSON_FIELD_OK);
	assert_int_equal(out, -7);
	assert_int_equal(json_get_integer(obj, "j", -7, 10, &out), JSON_FIELD_OK);
	assert_int_equal(out, 10);
	assert_int_equal(json_get_integer(obj, "i", -6, 10, &out), JSON_FIELD_BAD_VALUE);
	assert_int_equal(json_get_integer(obj, "j", -7, 9, &out), JSON_FIELD_BAD_VALUE);
	json_object_put(obj);
}

static void test_json_get_integer_refuses_fractions_strings_and_huge_numbers(void **state)
{
	(void)state;
	/* The largest integers the text may hold (json_text.h): beyond them nothing parses. */
	struct json_object *obj = parse_object("{\"f\":1.0,\"e\":1e2,\"s\":\"5\",\"b\":true,"
					       "\"big\":18446744073709551615,\"neg\":-9223372036854775808}");
	long out = 0;
	assert_int_equal(json_get_integer(obj, "f", 0, 100, &out), JSON_FIELD_BAD_TYPE);
	assert_int_equal(json_get_integer(obj, "e", 0, 1000, &out), JSON_FIELD_BAD_TYPE);
	assert_int_equal(json_get_integer(obj, "s", 0, 100, &out), JSON_FIELD_BAD_TYPE);
	assert_int_equal(json_get_integer(obj, "b", 0, 100, &out), JSON_FIELD_BAD_TYPE);
	assert_int_not_equal(json_get_integer(obj, "big", 0, 86400, &out), JSON_FIELD_OK);
	assert_int_not_equal(json_get_integer(obj, "neg", -86400, 86400, &out), JSON_FIELD_OK);
	assert_int_equal(json_get_integer(obj, "missing", 0, 100, &out), JSON_FIELD_ABSENT);
	json_object_put(obj);
}

static void test_json_parse_object_accepts_modest_nesting(void **state)
{
	(void)state;
	/* Claims nest a little: address.geo.point */
	struct json_object *obj = parse_object("{\"a\":{\"b\":{\"c\":[{\"d\":[1,2]}]}}}");
	json_object_put(obj);
}

/* ---- token endpoint ---- */

#define GRANT_BODY                                                                                                     \
	"{\"access_token\":\"at-123\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":\"openid ssh:login\","   \
	"\"id_token\":\"eyJ.eyJ.sig\"}"

static void test_token_success_is_granted(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(classify(200, GRANT_BODY, &grant, &error), TOKEN_GRANTED);
	assert_string_equal(grant.access_token, "at-123");
	assert_string_equal(grant.id_token, "eyJ.eyJ.sig");
	assert_string_equal(grant.scope, "openid ssh:login");
	token_grant_clear(&grant);
	assert_null(grant.access_token);
}

static void test_token_type_bearer_in_any_case_is_accepted(void **state)
{
	(void)state;
	const char *types[] = { "Bearer", "bearer", "BEARER", "bEaReR" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body), "{\"access_token\":\"at\",\"token_type\":\"%s\"}", types[i]);
		assert_int_equal(outcome_of(200, body), TOKEN_GRANTED);
	}
}

static void test_token_type_other_than_bearer_is_refused(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(200, "{\"access_token\":\"at\",\"token_type\":\"mac\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":\"at\",\"token_type\":\"DPoP\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer \"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":\"at\"}"), TOKEN_SERVER_ERROR);
}

static void test_token_missing_access_token_is_server_error(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(200, "{\"token_type\":\"Bearer\",\"scope\":\"openid\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":\"\",\"token_type\":\"Bearer\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":7,\"token_type\":\"Bearer\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(200, "{\"access_token\":\"a\\u0000b\",\"token_type\":\"Bearer\"}"),
			 TOKEN_SERVER_ERROR);
}

static void test_token_scope_absent_leaves_scope_null(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(classify(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}", &grant, &error),
			 TOKEN_GRANTED);
	assert_null(grant.scope);
	assert_null(grant.id_token);
	token_grant_clear(&grant);
}

static void test_token_empty_scope_is_an_empty_string(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(
	    classify(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":\"\"}", &grant, &error),
	    TOKEN_GRANTED);
	assert_non_null(grant.scope);
	assert_string_equal(grant.scope, "");
	token_grant_clear(&grant);
}

static void test_token_scope_with_invalid_characters_is_refused(void **state)
{
	(void)state;
	const char *scopes[] = { "openid \\\"sudo\\\"", "open\\\\id", "openid\\tsudo",    "openid\\nsudo",
				 "openid \\u001b[31m",  "caf\\u00e9", "openid\\u0000sudo" };
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body), "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":\"%s\"}",
			 scopes[i]);
		assert_int_equal(outcome_of(200, body), TOKEN_SERVER_ERROR);
	}
	assert_int_equal(outcome_of(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":[\"openid\"]}"),
			 TOKEN_SERVER_ERROR);
}

static void test_token_authorization_pending_is_pending(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"authorization_pending\"}"), TOKEN_PENDING);
}

static void test_token_slow_down_is_slow_down(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"slow_down\"}"), TOKEN_SLOW_DOWN);
}

static void test_token_access_denied_is_denied(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"access_denied\"}"), TOKEN_DENIED);
}

static void test_token_expired_token_is_expired(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"expired_token\"}"), TOKEN_EXPIRED);
}

static void test_token_invalid_grant_is_expired(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"invalid_grant\",\"error_description\":\"grant request is "
					 "invalid\"}"),
			 TOKEN_EXPIRED);
}

static void test_token_invalid_client_is_client_rejected(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(401, "{\"error\":\"invalid_client\"}"), TOKEN_CLIENT_REJECTED);
	assert_int_equal(outcome_of(400, "{\"error\":\"invalid_client\"}"), TOKEN_CLIENT_REJECTED);
	assert_int_equal(outcome_of(400, "{\"error\":\"unauthorized_client\"}"), TOKEN_CLIENT_REJECTED);
}

static void test_token_unknown_error_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"invalid_request\"}"), TOKEN_REJECTED);
	assert_int_equal(outcome_of(400, "{\"error\":\"something_new\"}"), TOKEN_REJECTED);
	assert_int_equal(outcome_of(403, "{\"error\":\"consent_required\"}"), TOKEN_REJECTED);
	/* Codes compare exactly: a near miss is not "pending". */
	assert_int_equal(outcome_of(400, "{\"error\":\"Authorization_Pending\"}"), TOKEN_REJECTED);
}

static void test_token_error_fills_code_and_description(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(
	    classify(400, "{\"error\":\"access_denied\",\"error_description\":\"The user said no\"}", &grant, &error),
	    TOKEN_DENIED);
	assert_string_equal(error.code, "access_denied");
	assert_string_equal(error.description, "The user said no");
	token_grant_clear(&grant);
}

static void test_token_error_description_is_optional(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(classify(400, "{\"error\":\"slow_down\"}", &grant, &error), TOKEN_SLOW_DOWN);
	assert_string_equal(error.description, "");
	/* One of the wrong type is ignored, not fatal. */
	assert_int_equal(classify(400, "{\"error\":\"slow_down\",\"error_description\":5}", &grant, &error),
			 TOKEN_SLOW_DOWN);
	assert_string_equal(error.description, "");
	token_grant_clear(&grant);
}

static void test_token_error_with_http_200_is_that_error_and_never_granted(void **state)
{
	(void)state;
	/* GitHub answers every poll with 200: the error member decides, never the status. */
	assert_int_equal(outcome_of(200, "{\"error\":\"authorization_pending\"}"), TOKEN_PENDING);
	assert_int_equal(outcome_of(200, "{\"error\":\"access_denied\"}"), TOKEN_DENIED);
	assert_int_equal(outcome_of(200, "{\"error\":\"slow_down\",\"interval\":10}"), TOKEN_SLOW_DOWN);
	/* An error beside a token is no answer to rely on. */
	assert_int_equal(outcome_of(200, "{\"error\":\"authorization_pending\",\"access_token\":\"a\","
					 "\"token_type\":\"Bearer\"}"),
			 TOKEN_SERVER_ERROR);
}

static void test_token_error_aliases_of_other_idps(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, "{\"error\":\"authorization_declined\"}"), TOKEN_DENIED);
	assert_int_equal(outcome_of(400, "{\"error\":\"token_expired\"}"), TOKEN_EXPIRED);
	assert_int_equal(outcome_of(400, "{\"error\":\"bad_verification_code\"}"), TOKEN_REJECTED);
	assert_int_equal(outcome_of(200, "{\"error\":\"incorrect_device_code\"}"), TOKEN_REJECTED);
	assert_int_equal(outcome_of(200, "{\"error\":\"device_flow_disabled\"}"), TOKEN_CLIENT_REJECTED);
	assert_int_equal(outcome_of(200, "{\"error\":\"incorrect_client_credentials\"}"), TOKEN_CLIENT_REJECTED);
	assert_int_equal(outcome_of(403, "{\"error\":\"authorization_pending\"}"), TOKEN_PENDING); /* Auth0 */
	assert_int_equal(outcome_of(401, "{\"error\":\"authorization_pending\"}"), TOKEN_PENDING); /* older Dex */
}

static void test_token_success_body_with_http_400_is_server_error(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(400, GRANT_BODY), TOKEN_SERVER_ERROR);
}

static void test_token_429_is_heeded_only_as_slow_down(void **state)
{
	(void)state;
	/* Auth0 sends slow_down as 429; any other 429 is the server's trouble. */
	assert_int_equal(outcome_of(429, "{\"error\":\"slow_down\"}"), TOKEN_SLOW_DOWN);
	assert_int_equal(outcome_of(429, "{\"error\":\"access_denied\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(429, "{\"error\":\"authorization_pending\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(429, GRANT_BODY), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(429, ""), TOKEN_SERVER_ERROR);
}

static void test_token_5xx_are_server_errors_whatever_the_body(void **state)
{
	(void)state;
	const long statuses[] = { 500, 502, 503, 504 };
	const char *bodies[] = { "{\"error\":\"access_denied\"}", "{\"error\":\"slow_down\"}", GRANT_BODY,
				 "<html>Service Unavailable</html>", "" };
	for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
		for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
			assert_int_equal(outcome_of(statuses[s], bodies[b]), TOKEN_SERVER_ERROR);
	}
}

static void test_token_other_unexpected_statuses_are_server_errors(void **state)
{
	(void)state;
	assert_int_equal(outcome_of(201, GRANT_BODY), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(204, ""), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(302, "{\"error\":\"access_denied\"}"), TOKEN_SERVER_ERROR);
	assert_int_equal(outcome_of(0, ""), TOKEN_SERVER_ERROR);
}

static void test_token_malformed_error_body_is_server_error(void **state)
{
	(void)state;
	const char *bodies[] = { "",
				 "Bad Request",
				 "<html>400</html>",
				 "{\"error\":42}",
				 "{\"error\":\"\"}",
				 "{\"error\":null}",
				 "{\"message\":\"bad\"}",
				 "[\"error\"]",
				 "{\"error\":\"slow_down\"} trailing" };
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct token_grant grant;
		struct oauth_error error;
		const char *why = NULL;
		assert_int_equal(token_response_classify(400, bodies[i], strlen(bodies[i]), &grant, &error, &why),
				 TOKEN_SERVER_ERROR);
		assert_non_null(why);
		token_grant_clear(&grant);
	}
}

static void test_token_error_description_with_escapes_is_sanitized(void **state)
{
	(void)state;
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(
	    classify(400,
		     "{\"error\":\"access_denied\",\"error_description\":"
		     "\"\\u001b[2J\\u001b[31mDenied\\u001b]8;;https://evil.example/\\u0007here\\r\\n\\u009b1m\"}",
		     &grant, &error),
	    TOKEN_DENIED);
	assert_string_equal(error.description, "?[2J?[31mDenied?]8;;https://evil.example/?here  ?1m");
	token_grant_clear(&grant);
}

static void test_token_long_error_description_is_cut(void **state)
{
	(void)state;
	char body[1024];
	char description[501];
	memset(description, 'd', sizeof(description) - 1);
	description[sizeof(description) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"error\":\"access_denied\",\"error_description\":\"%s\"}", description);
	struct token_grant grant;
	struct oauth_error error;
	assert_int_equal(classify(400, body, &grant, &error), TOKEN_DENIED);
	size_t len = strlen(error.description);
	assert_true(len <= OAUTH_ERROR_DESCRIPTION_MAX);
	assert_true(len > 100);
	assert_string_equal(error.description + len - 3, "...");
	token_grant_clear(&grant);
}

static void test_token_error_code_with_quote_or_control_is_refused(void **state)
{
	(void)state;
	const char *bodies[] = {
		"{\"error\":\"access\\\"denied\"}",        "{\"error\":\"access\\\\denied\"}",
		"{\"error\":\"access_denied\\u001b[0m\"}", "{\"error\":\"slow_down\\n\"}",
		"{\"error\":\"slow_down\\u0000\"}",        "{\"error\":\"caf\\u00e9\"}",
		"{\"error\":\"slow_down\\u007f\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(outcome_of(400, bodies[i]), TOKEN_SERVER_ERROR);
}

static void test_oauth_error_code_length_is_bounded(void **state)
{
	(void)state;
	char code[OAUTH_ERROR_CODE_MAX + 2];
	char body[256];
	struct oauth_error error;
	memset(code, 'e', OAUTH_ERROR_CODE_MAX);
	code[OAUTH_ERROR_CODE_MAX] = '\0';
	int len = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", code);
	assert_true(oauth_error_parse(body, (size_t)len, &error));
	assert_string_equal(error.code, code);
	code[OAUTH_ERROR_CODE_MAX] = 'e';
	code[OAUTH_ERROR_CODE_MAX + 1] = '\0';
	len = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", code);
	assert_false(oauth_error_parse(body, (size_t)len, &error));
}

static void test_oauth_error_code_may_hold_rfc6749_punctuation_and_space(void **state)
{
	(void)state;
	/* RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E */
	const char *body = "{\"error\":\"custom error:x!~\"}";
	struct oauth_error error;
	assert_true(oauth_error_parse(body, strlen(body), &error));
	assert_string_equal(error.code, "custom error:x!~");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_valid_response_fills_every_field),
		cmocka_unit_test(test_device_without_verification_uri_complete_leaves_it_null),
		cmocka_unit_test(test_device_verification_url_is_read_only_without_verification_uri),
		cmocka_unit_test(test_device_without_interval_defaults_to_five_seconds),
		cmocka_unit_test(test_device_interval_is_read_when_given),
		cmocka_unit_test(test_device_bounds_are_accepted),
		cmocka_unit_test(test_device_each_required_field_missing_is_refused),
		cmocka_unit_test(test_device_each_field_of_wrong_type_is_refused),
		cmocka_unit_test(test_device_each_empty_string_is_refused),
		cmocka_unit_test(test_device_overlong_user_code_is_refused),
		cmocka_unit_test(test_device_overlong_device_code_and_uris_are_refused),
		cmocka_unit_test(test_device_fields_of_maximum_length_are_accepted),
		cmocka_unit_test(test_device_expires_in_out_of_range_or_fractional_is_refused),
		cmocka_unit_test(test_device_interval_out_of_range_or_fractional_is_refused),
		cmocka_unit_test(test_device_verification_uri_not_plain_https_is_refused),
		cmocka_unit_test(test_device_verification_uri_complete_not_plain_https_is_refused),
		cmocka_unit_test(test_device_user_code_with_escape_or_space_is_refused),
		cmocka_unit_test(test_device_string_with_nul_escape_is_refused),
		cmocka_unit_test(test_device_body_that_is_not_an_object_is_refused),
		cmocka_unit_test(test_device_malformed_body_is_refused),
		cmocka_unit_test(test_device_every_truncation_of_a_valid_body_is_refused),
		cmocka_unit_test(test_device_empty_body_is_refused),
		cmocka_unit_test(test_device_data_after_the_object_is_refused),
		cmocka_unit_test(test_device_nul_bytes_after_the_object_are_refused),
		cmocka_unit_test(test_device_white_space_around_the_object_is_accepted),
		cmocka_unit_test(test_device_deep_nesting_is_refused_without_crashing),
		cmocka_unit_test(test_device_invalid_utf8_is_refused),
		cmocka_unit_test(test_device_valid_utf8_in_an_ignored_field_is_accepted),
		cmocka_unit_test(test_json_get_string_copies_a_string_within_bounds),
		cmocka_unit_test(test_json_get_string_refuses_empty_and_nul_inside),
		cmocka_unit_test(test_json_get_string_missing_or_null_is_absent),
		cmocka_unit_test(test_json_get_string_of_other_type_is_bad_type),
		cmocka_unit_test(test_json_get_integer_reads_within_range),
		cmocka_unit_test(test_json_get_integer_refuses_fractions_strings_and_huge_numbers),
		cmocka_unit_test(test_json_parse_object_accepts_modest_nesting),
		cmocka_unit_test(test_token_success_is_granted),
		cmocka_unit_test(test_token_type_bearer_in_any_case_is_accepted),
		cmocka_unit_test(test_token_type_other_than_bearer_is_refused),
		cmocka_unit_test(test_token_missing_access_token_is_server_error),
		cmocka_unit_test(test_token_scope_absent_leaves_scope_null),
		cmocka_unit_test(test_token_empty_scope_is_an_empty_string),
		cmocka_unit_test(test_token_scope_with_invalid_characters_is_refused),
		cmocka_unit_test(test_token_authorization_pending_is_pending),
		cmocka_unit_test(test_token_slow_down_is_slow_down),
		cmocka_unit_test(test_token_access_denied_is_denied),
		cmocka_unit_test(test_token_expired_token_is_expired),
		cmocka_unit_test(test_token_invalid_grant_is_expired),
		cmocka_unit_test(test_token_invalid_client_is_client_rejected),
		cmocka_unit_test(test_token_unknown_error_is_rejected),
		cmocka_unit_test(test_token_error_fills_code_and_description),
		cmocka_unit_test(test_token_error_description_is_optional),
		cmocka_unit_test(test_token_error_with_http_200_is_that_error_and_never_granted),
		cmocka_unit_test(test_token_error_aliases_of_other_idps),
		cmocka_unit_test(test_token_success_body_with_http_400_is_server_error),
		cmocka_unit_test(test_token_429_is_heeded_only_as_slow_down),
		cmocka_unit_test(test_token_5xx_are_server_errors_whatever_the_body),
		cmocka_unit_test(test_token_other_unexpected_statuses_are_server_errors),
		cmocka_unit_test(test_token_malformed_error_body_is_server_error),
		cmocka_unit_test(test_token_error_description_with_escapes_is_sanitized),
		cmocka_unit_test(test_token_long_error_description_is_cut),
		cmocka_unit_test(test_token_error_code_with_quote_or_control_is_refused),
		cmocka_unit_test(test_oauth_error_code_length_is_bounded),
		cmocka_unit_test(test_oauth_error_code_may_hold_rfc6749_punctuation_and_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
