/* auth_context.h: amr, acr and auth_time of a verified ID token against require_amr,
 * require_amr_mode, require_acr and max_auth_age. */
#include "config.h"

#include "rules/auth_context.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define NOW 1764547200

static char detail[320];

static enum auth_context_verdict decide(const char *json, struct auth_context_rules rules)
{
	struct json_object *claims = json_tokener_parse(json);
	assert_non_null(claims);
	rules.now = NOW;
	enum auth_context_verdict verdict = auth_context_decide(claims, &rules, detail, sizeof(detail));
	json_object_put(claims);
	return verdict;
}

static void assert_detail(const char *part)
{
	if (strstr(detail, part) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", detail, part);
}

static void test_nothing_required_accepts_anything(void **state)
{
	(void)state;
	struct auth_context_rules none = { 0 };
	assert_false(auth_context_required(&none));
	assert_int_equal(decide("{}", none), AUTH_CONTEXT_OK);
	struct auth_context_rules empty = { .require_amr = "", .require_acr = "" };
	assert_false(auth_context_required(&empty));
	assert_true(auth_context_required(&(struct auth_context_rules){ .require_amr = "mfa" }));
	assert_true(auth_context_required(&(struct auth_context_rules){ .require_acr = "x" }));
	assert_true(auth_context_required(&(struct auth_context_rules){ .max_auth_age = 1 }));
}

static void test_any_one_amr_value_suffices_by_default(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_amr = "mfa hwk otp" };
	assert_int_equal(decide("{\"amr\":[\"pwd\",\"otp\"]}", rules), AUTH_CONTEXT_OK);
	assert_int_equal(decide("{\"amr\":[\"hwk\"]}", rules), AUTH_CONTEXT_OK);
	assert_int_equal(decide("{\"amr\":[\"pwd\"]}", rules), AUTH_CONTEXT_AMR_LACKING);
	assert_detail("amr [pwd] lacks any of [mfa hwk otp]");
	/* Exact names: no prefix, no case folding. */
	assert_int_equal(decide("{\"amr\":[\"mf\",\"MFA\",\"otpx\"]}", rules), AUTH_CONTEXT_AMR_LACKING);
	assert_int_equal(decide("{\"amr\":[]}", rules), AUTH_CONTEXT_AMR_LACKING);
}

static void test_all_mode_needs_every_amr_value(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_amr = "pwd otp", .amr_all = true };
	assert_int_equal(decide("{\"amr\":[\"pwd\",\"otp\",\"mfa\"]}", rules), AUTH_CONTEXT_OK);
	assert_int_equal(decide("{\"amr\":[\"otp\"]}", rules), AUTH_CONTEXT_AMR_LACKING);
	assert_detail("lacks some of [pwd otp] (require_amr_mode=all)");
	assert_int_equal(decide("{\"amr\":[\"pwd\"]}", rules), AUTH_CONTEXT_AMR_LACKING);
}

static void test_amr_must_be_an_array_of_strings(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_amr = "mfa" };
	assert_int_equal(decide("{}", rules), AUTH_CONTEXT_AMR_INVALID);
	assert_int_equal(decide("{\"amr\":\"mfa\"}", rules), AUTH_CONTEXT_AMR_INVALID);
	assert_int_equal(decide("{\"amr\":null}", rules), AUTH_CONTEXT_AMR_INVALID);
	assert_int_equal(decide("{\"amr\":[\"mfa\",1]}", rules), AUTH_CONTEXT_AMR_INVALID);
	assert_int_equal(decide("{\"amr\":[\"mfa\\u0000x\"]}", rules), AUTH_CONTEXT_AMR_INVALID);
	assert_int_equal(decide("{\"amr\":[\"\"]}", rules), AUTH_CONTEXT_AMR_INVALID);
}

static void test_server_text_in_the_detail_is_sanitized(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_amr = "mfa", .require_acr = "gold" };
	assert_int_equal(decide("{\"amr\":[\"p\\u001b[2Jwd\"]}", rules), AUTH_CONTEXT_AMR_LACKING);
	assert_null(strchr(detail, '\x1b'));
	assert_int_equal(decide("{\"amr\":[\"mfa\"],\"acr\":\"a\\u001bb\"}", rules), AUTH_CONTEXT_ACR_MISMATCH);
	assert_null(strchr(detail, '\x1b'));
}

static void test_acr_must_be_one_of_the_values(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_acr = "urn:test:loa:2 urn:test:loa:3" };
	assert_int_equal(decide("{\"acr\":\"urn:test:loa:2\"}", rules), AUTH_CONTEXT_OK);
	assert_int_equal(decide("{\"acr\":\"urn:test:loa:3\"}", rules), AUTH_CONTEXT_OK);
	assert_int_equal(decide("{\"acr\":\"urn:test:loa:1\"}", rules), AUTH_CONTEXT_ACR_MISMATCH);
	assert_detail("acr 'urn:test:loa:1' is none of [urn:test:loa:2 urn:test:loa:3]");
	assert_int_equal(decide("{\"acr\":\"urn:test:loa\"}", rules), AUTH_CONTEXT_ACR_MISMATCH);
	assert_int_equal(decide("{\"acr\":\"urn:test:loa:2 urn:test:loa:3\"}", rules), AUTH_CONTEXT_ACR_MISMATCH);
	assert_int_equal(decide("{}", rules), AUTH_CONTEXT_ACR_INVALID);
	assert_int_equal(decide("{\"acr\":2}", rules), AUTH_CONTEXT_ACR_INVALID);
	assert_int_equal(decide("{\"acr\":[\"urn:test:loa:2\"]}", rules), AUTH_CONTEXT_ACR_INVALID);
}

static void test_auth_time_no_older_than_max_auth_age(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .max_auth_age = 300, .leeway = 60 };
	char json[64];
	snprintf(json, sizeof(json), "{\"auth_time\":%d}", NOW - 300);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_OK);
	snprintf(json, sizeof(json), "{\"auth_time\":%d}", NOW - 301);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_TIME_TOO_OLD);
	assert_detail("auth_time is 301 s old, max_auth_age 300");
	snprintf(json, sizeof(json), "{\"auth_time\":%d}", NOW + 60);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_OK);
	snprintf(json, sizeof(json), "{\"auth_time\":%d}", NOW + 61);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_TIME_INVALID);
	assert_detail("in the future");
}

static void test_auth_time_must_be_a_whole_number(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .max_auth_age = 300 };
	assert_int_equal(decide("{}", rules), AUTH_CONTEXT_TIME_INVALID);
	assert_detail("auth_time is missing or not a number");
	assert_int_equal(decide("{\"auth_time\":\"1764547200\"}", rules), AUTH_CONTEXT_TIME_INVALID);
	assert_int_equal(decide("{\"auth_time\":1764547200.5}", rules), AUTH_CONTEXT_TIME_INVALID);
	assert_int_equal(decide("{\"auth_time\":-5}", rules), AUTH_CONTEXT_TIME_INVALID);
	assert_int_equal(decide("{\"auth_time\":99999999999999999999}", rules), AUTH_CONTEXT_TIME_INVALID);
}

static void test_every_rule_holds_and_no_claims_refuses(void **state)
{
	(void)state;
	struct auth_context_rules rules = { .require_amr = "mfa", .require_acr = "gold", .max_auth_age = 60 };
	char json[128];
	snprintf(json, sizeof(json), "{\"amr\":[\"mfa\"],\"acr\":\"gold\",\"auth_time\":%d}", NOW - 10);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_OK);
	snprintf(json, sizeof(json), "{\"amr\":[\"mfa\"],\"acr\":\"gold\",\"auth_time\":%d}", NOW - 61);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_TIME_TOO_OLD);
	snprintf(json, sizeof(json), "{\"amr\":[\"mfa\"],\"acr\":\"silver\",\"auth_time\":%d}", NOW - 10);
	assert_int_equal(decide(json, rules), AUTH_CONTEXT_ACR_MISMATCH);
	rules.now = NOW;
	assert_int_equal(auth_context_decide(NULL, &rules, detail, sizeof(detail)), AUTH_CONTEXT_AMR_INVALID);
	assert_detail("no verified ID token");
	rules.require_amr = NULL;
	assert_int_equal(auth_context_decide(NULL, &rules, detail, sizeof(detail)), AUTH_CONTEXT_ACR_INVALID);
	rules.require_acr = NULL;
	assert_int_equal(auth_context_decide(NULL, &rules, detail, sizeof(detail)), AUTH_CONTEXT_TIME_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_required_accepts_anything),
		cmocka_unit_test(test_any_one_amr_value_suffices_by_default),
		cmocka_unit_test(test_all_mode_needs_every_amr_value),
		cmocka_unit_test(test_amr_must_be_an_array_of_strings),
		cmocka_unit_test(test_server_text_in_the_detail_is_sanitized),
		cmocka_unit_test(test_acr_must_be_one_of_the_values),
		cmocka_unit_test(test_auth_time_no_older_than_max_auth_age),
		cmocka_unit_test(test_auth_time_must_be_a_whole_number),
		cmocka_unit_test(test_every_rule_holds_and_no_claims_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
