/* form_encode.h: form bodies (RFC 6749 Appendix B), base64 (RFC 4648) and HTTP Basic client
 * credentials (RFC 6749 §2.3.1). Expected encodings were computed outside the module, with
 * python3 (urllib.parse.quote_plus(s, safe='-._~') and base64.b64encode), and are hard-coded. */
#include "config.h"

#include "util/basic_auth.h"
#include "util/form_encode.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void assert_urlencoded(const char *text, const char *expected)
{
	struct strbuf out;
	strbuf_init(&out, 0);
	assert_int_equal(form_urlencode(&out, text), 0);
	assert_string_equal(out.data != NULL ? out.data : "", expected);
	strbuf_wipe_free(&out);
}

static void assert_base64(const void *data, size_t len, const char *expected)
{
	struct strbuf out;
	strbuf_init(&out, 0);
	assert_int_equal(base64_encode(&out, data, len), 0);
	assert_string_equal(out.data != NULL ? out.data : "", expected);
	strbuf_wipe_free(&out);
}

static void test_urlencode_keeps_unreserved_characters(void **state)
{
	(void)state;
	const char *unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
	assert_urlencoded(unreserved, unreserved);
}

static void test_urlencode_turns_space_into_plus(void **state)
{
	(void)state;
	assert_urlencoded("openid ssh:login", "openid+ssh%3Alogin");
	assert_urlencoded("  ", "++");
}

static void test_urlencode_percent_encodes_reserved_bytes_in_uppercase(void **state)
{
	(void)state;
	assert_urlencoded("!\"#$%&'()*+,/:;<=>?@[\\]^`{|}",
			  "%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D");
}

static void test_urlencode_percent_encodes_non_ascii_and_control_bytes(void **state)
{
	(void)state;
	assert_urlencoded("gr\xc3\xbc\xc3\x9f"
			  "e",
			  "gr%C3%BC%C3%9Fe");
	assert_urlencoded("\x01\x1f\x7f\x80\xff", "%01%1F%7F%80%FF");
	assert_urlencoded("a\r\nb", "a%0D%0Ab");
}

static void test_urlencode_of_empty_text_appends_nothing(void **state)
{
	(void)state;
	assert_urlencoded("", "");
}

static void test_urlencode_appends_to_existing_content(void **state)
{
	(void)state;
	struct strbuf out;
	strbuf_init(&out, 0);
	assert_int_equal(strbuf_append_str(&out, "x="), 0);
	assert_int_equal(form_urlencode(&out, "a b"), 0);
	assert_string_equal(out.data, "x=a+b");
	strbuf_wipe_free(&out);
}

static void test_form_append_field_first_field_has_no_ampersand(void **state)
{
	(void)state;
	struct strbuf body;
	strbuf_init(&body, 0);
	assert_int_equal(form_append_field(&body, "client_id", "pam client"), 0);
	assert_string_equal(body.data, "client_id=pam+client");
	strbuf_wipe_free(&body);
}

static void test_form_append_field_joins_fields_with_ampersand(void **state)
{
	(void)state;
	struct strbuf body;
	strbuf_init(&body, 0);
	assert_int_equal(form_append_field(&body, "grant_type", "urn:ietf:params:oauth:grant-type:device_code"), 0);
	assert_int_equal(form_append_field(&body, "device_code", "ab+c/d="), 0);
	assert_int_equal(form_append_field(&body, "client_id", "pam client"), 0);
	assert_string_equal(body.data, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
				       "&device_code=ab%2Bc%2Fd%3D&client_id=pam+client");
	strbuf_wipe_free(&body);
}

static void test_form_append_field_encodes_the_name_too(void **state)
{
	(void)state;
	struct strbuf body;
	strbuf_init(&body, 0);
	assert_int_equal(form_append_field(&body, "a&b=c", "d"), 0);
	assert_string_equal(body.data, "a%26b%3Dc=d");
	strbuf_wipe_free(&body);
}

static void test_form_append_field_fails_past_the_buffer_limit(void **state)
{
	(void)state;
	struct strbuf body;
	strbuf_init(&body, 16);
	assert_int_equal(form_append_field(&body, "scope", "openid"), 0);
	/* "&x=" + 6 x "%2F" would pass 16 bytes. */
	assert_int_equal(form_append_field(&body, "x", "//////"), -1);
	strbuf_wipe_free(&body);
}

static void test_base64_rfc4648_test_vectors(void **state)
{
	(void)state;
	/* RFC 4648 §10. */
	assert_base64("", 0, "");
	assert_base64("f", 1, "Zg==");
	assert_base64("fo", 2, "Zm8=");
	assert_base64("foo", 3, "Zm9v");
	assert_base64("foob", 4, "Zm9vYg==");
	assert_base64("fooba", 5, "Zm9vYmE=");
	assert_base64("foobar", 6, "Zm9vYmFy");
}

static void test_base64_encodes_every_byte_value(void **state)
{
	(void)state;
	/* NUL and high bytes, which use '+' and '/' from the alphabet. */
	const unsigned char bytes[] = { 0x00, 0xff, 0xfe, 0x80 };
	assert_base64(bytes, sizeof(bytes), "AP/+gA==");
}

static void test_basic_auth_value_for_plain_credentials(void **state)
{
	(void)state;
	char *value = basic_auth_header_value("client", "secret");
	assert_non_null(value);
	assert_string_equal(value, "Basic Y2xpZW50OnNlY3JldA=="); /* base64("client:secret") */
	secret_free(value);
}

static void test_basic_auth_value_urlencodes_before_base64(void **state)
{
	(void)state;
	/* RFC 6749 §2.3.1: the secret is form-urlencoded first, so the ':' inside it cannot be
	 * mistaken for the separator: base64("pam-basic:s3cr3t%3Awith%2Fspecial%2Bchars%26%3D%25"). */
	char *value = basic_auth_header_value("pam-basic", "s3cr3t:with/special+chars&=%");
	assert_non_null(value);
	assert_string_equal(value, "Basic cGFtLWJhc2ljOnMzY3IzdCUzQXdpdGglMkZzcGVjaWFsJTJCY2hhcnMlMjYlM0QlMjU=");
	secret_free(value);
}

static void test_basic_auth_value_urlencodes_a_colon_in_the_client_id(void **state)
{
	(void)state;
	char *value = basic_auth_header_value("a:b", "c");
	assert_non_null(value);
	assert_string_equal(value, "Basic YSUzQWI6Yw=="); /* base64("a%3Ab:c") */
	secret_free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencode_keeps_unreserved_characters),
		cmocka_unit_test(test_urlencode_turns_space_into_plus),
		cmocka_unit_test(test_urlencode_percent_encodes_reserved_bytes_in_uppercase),
		cmocka_unit_test(test_urlencode_percent_encodes_non_ascii_and_control_bytes),
		cmocka_unit_test(test_urlencode_of_empty_text_appends_nothing),
		cmocka_unit_test(test_urlencode_appends_to_existing_content),
		cmocka_unit_test(test_form_append_field_first_field_has_no_ampersand),
		cmocka_unit_test(test_form_append_field_joins_fields_with_ampersand),
		cmocka_unit_test(test_form_append_field_encodes_the_name_too),
		cmocka_unit_test(test_form_append_field_fails_past_the_buffer_limit),
		cmocka_unit_test(test_base64_rfc4648_test_vectors),
		cmocka_unit_test(test_base64_encodes_every_byte_value),
		cmocka_unit_test(test_basic_auth_value_for_plain_credentials),
		cmocka_unit_test(test_basic_auth_value_urlencodes_before_base64),
		cmocka_unit_test(test_basic_auth_value_urlencodes_a_colon_in_the_client_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
