/* scope_set.h: RFC 6749 §3.3 scope lists. (Binding the approver to the PAM user is tested
 * in test_trust_rules.c.) */
#include "config.h"

#include "rules/scope_set.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static bool contains(const char *scopes, const char *token)
{
	return scope_set_contains(scopes, token, strlen(token));
}

/* ---- scope_set ---- */

static void test_contains_finds_an_exact_token(void **state)
{
	(void)state;
	assert_true(contains("openid ssh:login profile", "openid"));
	assert_true(contains("openid ssh:login profile", "ssh:login"));
	assert_true(contains("openid ssh:login profile", "profile"));
	assert_false(contains("openid ssh:login profile", "email"));
}

static void test_contains_refuses_prefixes_and_extensions_of_a_token(void **state)
{
	(void)state;
	assert_false(contains("ssh:login", "ssh"));
	assert_false(contains("ssh", "ssh:login"));
	assert_false(contains("openid2", "openid"));
	assert_false(contains("xopenid", "openid"));
}

static void test_contains_is_case_sensitive(void **state)
{
	(void)state;
	assert_false(contains("OpenID", "openid"));
	assert_false(contains("openid", "OPENID"));
}

static void test_contains_tolerates_extra_spaces(void **state)
{
	(void)state;
	assert_true(contains("  openid   ssh:login  ", "ssh:login"));
	assert_true(contains("  openid   ssh:login  ", "openid"));
	assert_false(contains("   ", "openid"));
	assert_false(contains("", "openid"));
}

static void test_contains_compares_token_len_bytes_only(void **state)
{
	(void)state;
	/* The token is a slice of a longer string: only its first TOKEN_LEN bytes count. */
	assert_true(scope_set_contains("openid ssh", "openid ssh", 6));
	assert_false(scope_set_contains("openid ssh", "openidX", 7));
}

static void test_contains_all_is_order_free(void **state)
{
	(void)state;
	assert_true(scope_set_contains_all("openid ssh:login sudo", "sudo openid", NULL, 0));
	assert_true(scope_set_contains_all("sudo openid", "openid sudo", NULL, 0));
}

static void test_contains_all_with_empty_required_is_true(void **state)
{
	(void)state;
	char missing[32] = "untouched";
	assert_true(scope_set_contains_all("openid", "", missing, sizeof(missing)));
	assert_true(scope_set_contains_all("", "", missing, sizeof(missing)));
	assert_true(scope_set_contains_all("", "   ", missing, sizeof(missing)));
}

static void test_contains_all_with_empty_granted_reports_the_first_required(void **state)
{
	(void)state;
	char missing[32] = "";
	assert_false(scope_set_contains_all("", "ssh:login sudo", missing, sizeof(missing)));
	assert_string_equal(missing, "ssh:login");
}

static void test_contains_all_reports_the_missing_scope(void **state)
{
	(void)state;
	char missing[32] = "";
	assert_false(scope_set_contains_all("openid ssh:login", "openid sudo ssh:login", missing, sizeof(missing)));
	assert_string_equal(missing, "sudo");
}

static void test_contains_all_truncates_the_missing_name_to_fit(void **state)
{
	(void)state;
	char missing[5];
	memset(missing, 'X', sizeof(missing));
	assert_false(scope_set_contains_all("openid", "ssh:login", missing, sizeof(missing)));
	assert_string_equal(missing, "ssh:");
}

static void test_contains_all_accepts_null_missing(void **state)
{
	(void)state;
	assert_false(scope_set_contains_all("openid", "sudo", NULL, 0));
}

static void test_contains_all_does_not_take_a_prefix_for_a_grant(void **state)
{
	(void)state;
	char missing[32] = "";
	assert_false(scope_set_contains_all("ssh", "ssh:login", missing, sizeof(missing)));
	assert_string_equal(missing, "ssh:login");
	assert_false(scope_set_contains_all("ssh:login", "ssh", missing, sizeof(missing)));
	assert_string_equal(missing, "ssh");
	assert_false(scope_set_contains_all("ssh:login:extra", "ssh:login", NULL, 0));
}

static void test_contains_all_is_case_sensitive(void **state)
{
	(void)state;
	char missing[32] = "";
	assert_false(scope_set_contains_all("SUDO openid", "sudo", missing, sizeof(missing)));
	assert_string_equal(missing, "sudo");
}

static void test_contains_all_tolerates_extra_spaces_on_both_sides(void **state)
{
	(void)state;
	assert_true(scope_set_contains_all("  openid    sudo ", " sudo   openid  ", NULL, 0));
}

static void test_is_valid_accepts_every_rfc6749_scope_character(void **state)
{
	(void)state;
	/* %x21 / %x23-5B / %x5D-7E */
	char all[128];
	size_t n = 0;
	for (unsigned c = 0x21; c <= 0x7e; c++) {
		if (c != '"' && c != '\\')
			all[n++] = (char)c;
	}
	all[n] = '\0';
	assert_true(scope_set_is_valid(all));
	assert_true(scope_set_is_valid("openid ssh:login https://api.example/read"));
}

static void test_is_valid_accepts_empty_list_and_extra_spaces(void **state)
{
	(void)state;
	assert_true(scope_set_is_valid(""));
	assert_true(scope_set_is_valid("   "));
	assert_true(scope_set_is_valid("  openid   sudo  "));
}

static void test_is_valid_refuses_quote_backslash_controls_and_non_ascii(void **state)
{
	(void)state;
	assert_false(scope_set_is_valid("openid \"sudo\""));
	assert_false(scope_set_is_valid("open\\id"));
	assert_false(scope_set_is_valid("openid\tsudo"));
	assert_false(scope_set_is_valid("openid\nsudo"));
	assert_false(scope_set_is_valid("openid\x1b[31m"));
	assert_false(scope_set_is_valid("openid\x7f"));
	assert_false(scope_set_is_valid("caf\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contains_finds_an_exact_token),
		cmocka_unit_test(test_contains_refuses_prefixes_and_extensions_of_a_token),
		cmocka_unit_test(test_contains_is_case_sensitive),
		cmocka_unit_test(test_contains_tolerates_extra_spaces),
		cmocka_unit_test(test_contains_compares_token_len_bytes_only),
		cmocka_unit_test(test_contains_all_is_order_free),
		cmocka_unit_test(test_contains_all_with_empty_required_is_true),
		cmocka_unit_test(test_contains_all_with_empty_granted_reports_the_first_required),
		cmocka_unit_test(test_contains_all_reports_the_missing_scope),
		cmocka_unit_test(test_contains_all_truncates_the_missing_name_to_fit),
		cmocka_unit_test(test_contains_all_accepts_null_missing),
		cmocka_unit_test(test_contains_all_does_not_take_a_prefix_for_a_grant),
		cmocka_unit_test(test_contains_all_is_case_sensitive),
		cmocka_unit_test(test_contains_all_tolerates_extra_spaces_on_both_sides),
		cmocka_unit_test(test_is_valid_accepts_every_rfc6749_scope_character),
		cmocka_unit_test(test_is_valid_accepts_empty_list_and_extra_spaces),
		cmocka_unit_test(test_is_valid_refuses_quote_backslash_controls_and_non_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
