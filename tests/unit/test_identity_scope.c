/* scope_set.h (RFC 6749 §3.3 scope lists) and identity_check.h (binding the approver to the
 * PAM user, RFC 8628 §5.4). */
#include "config.h"

#include "identity_check.h"
#include "scope_set.h"

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

static enum identity_status check_identity(const char *body, const char *claim, const char *user, char *seen,
					   size_t seen_size)
{
	return identity_check_userinfo(body, strlen(body), claim, user, seen, seen_size);
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

/* ---- identity_check ---- */

static void test_identity_matching_claim_matches(void **state)
{
	(void)state;
	char seen[64] = "";
	assert_int_equal(check_identity("{\"sub\":\"x1\",\"preferred_username\":\"alice\"}", "preferred_username",
					"alice", seen, sizeof(seen)),
			 IDENTITY_MATCH);
	assert_string_equal(seen, "alice");
}

static void test_identity_other_value_is_a_mismatch_and_fills_seen(void **state)
{
	(void)state;
	char seen[64] = "";
	assert_int_equal(
	    check_identity("{\"preferred_username\":\"mallory\"}", "preferred_username", "alice", seen, sizeof(seen)),
	    IDENTITY_MISMATCH);
	assert_string_equal(seen, "mallory");
}

static void test_identity_reads_the_configured_claim_only(void **state)
{
	(void)state;
	/* Another claim holding the user name does not count. */
	const char *body = "{\"sub\":\"alice\",\"preferred_username\":\"bob\",\"email\":\"alice\"}";
	char seen[64] = "";
	assert_int_equal(check_identity(body, "preferred_username", "alice", seen, sizeof(seen)), IDENTITY_MISMATCH);
	assert_string_equal(seen, "bob");
	assert_int_equal(check_identity(body, "email", "alice", seen, sizeof(seen)), IDENTITY_MATCH);
}

static void test_identity_case_difference_is_a_mismatch(void **state)
{
	(void)state;
	char seen[64] = "";
	assert_int_equal(
	    check_identity("{\"preferred_username\":\"Alice\"}", "preferred_username", "alice", seen, sizeof(seen)),
	    IDENTITY_MISMATCH);
	assert_string_equal(seen, "Alice");
}

static void test_identity_prefix_or_extension_is_a_mismatch(void **state)
{
	(void)state;
	char seen[64];
	assert_int_equal(check_identity("{\"u\":\"alice2\"}", "u", "alice", seen, sizeof(seen)), IDENTITY_MISMATCH);
	assert_int_equal(check_identity("{\"u\":\"ali\"}", "u", "alice", seen, sizeof(seen)), IDENTITY_MISMATCH);
	assert_int_equal(check_identity("{\"u\":\"alice \"}", "u", "alice", seen, sizeof(seen)), IDENTITY_MISMATCH);
}

static void test_identity_mismatch_seen_is_sanitized(void **state)
{
	(void)state;
	char seen[64] = "";
	/* JSON escapes that decode to ESC, BEL and a newline. */
	assert_int_equal(
	    check_identity("{\"u\":\"\\u001b[31mroot\\u001b]52;c;eA==\\u0007\\nx\"}", "u", "alice", seen, sizeof(seen)),
	    IDENTITY_MISMATCH);
	assert_string_equal(seen, "?[31mroot?]52;c;eA==? x");
}

static void test_identity_seen_is_cut_to_seen_size(void **state)
{
	(void)state;
	char seen[16];
	memset(seen, 'X', sizeof(seen));
	assert_int_equal(check_identity("{\"u\":\"a-very-long-user-name-indeed\"}", "u", "alice", seen, sizeof(seen)),
			 IDENTITY_MISMATCH);
	assert_true(strlen(seen) < sizeof(seen));
	assert_int_equal(strncmp(seen, "a-very-", 7), 0);
	assert_string_equal(seen + strlen(seen) - 3, "...");
}

static void test_identity_missing_claim_is_claim_missing(void **state)
{
	(void)state;
	char seen[64] = "untouched";
	assert_int_equal(check_identity("{\"sub\":\"alice\"}", "preferred_username", "alice", seen, sizeof(seen)),
			 IDENTITY_CLAIM_MISSING);
	assert_string_equal(seen, "");
}

static void test_identity_claim_of_wrong_type_is_claim_missing(void **state)
{
	(void)state;
	const char *bodies[] = {
		"{\"u\":42}", "{\"u\":[\"alice\"]}", "{\"u\":null}", "{\"u\":{\"name\":\"alice\"}}", "{\"u\":true}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char seen[64];
		assert_int_equal(check_identity(bodies[i], "u", "alice", seen, sizeof(seen)), IDENTITY_CLAIM_MISSING);
	}
}

static void test_identity_number_claim_does_not_match_its_digits(void **state)
{
	(void)state;
	char seen[64];
	assert_int_not_equal(check_identity("{\"u\":1000}", "u", "1000", seen, sizeof(seen)), IDENTITY_MATCH);
}

static void test_identity_bad_json_is_bad_response(void **state)
{
	(void)state;
	const char *bodies[] = {
		"", "not json", "{\"u\":\"alice\"", "[{\"u\":\"alice\"}]", "\"alice\"", "{\"u\":\"alice\"} trailing",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char seen[64];
		assert_int_equal(check_identity(bodies[i], "u", "alice", seen, sizeof(seen)), IDENTITY_BAD_RESPONSE);
	}
}

static void test_identity_nul_inside_claim_does_not_match_its_prefix(void **state)
{
	(void)state;
	/* "al\u0000ice" must not be taken for "al" (C string comparison would stop at the NUL). */
	char seen[64];
	assert_int_not_equal(check_identity("{\"u\":\"al\\u0000ice\"}", "u", "al", seen, sizeof(seen)), IDENTITY_MATCH);
	assert_int_not_equal(check_identity("{\"u\":\"al\\u0000ice\"}", "u", "alice", seen, sizeof(seen)),
			     IDENTITY_MATCH);
}

static void test_identity_overlong_claim_never_matches(void **state)
{
	(void)state;
	char user[IDENTITY_CLAIM_MAX + 2];
	memset(user, 'a', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	char body[IDENTITY_CLAIM_MAX + 32];
	snprintf(body, sizeof(body), "{\"u\":\"%s\"}", user);
	char seen[64];
	assert_int_not_equal(check_identity(body, "u", user, seen, sizeof(seen)), IDENTITY_MATCH);
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
		cmocka_unit_test(test_identity_matching_claim_matches),
		cmocka_unit_test(test_identity_other_value_is_a_mismatch_and_fills_seen),
		cmocka_unit_test(test_identity_reads_the_configured_claim_only),
		cmocka_unit_test(test_identity_case_difference_is_a_mismatch),
		cmocka_unit_test(test_identity_prefix_or_extension_is_a_mismatch),
		cmocka_unit_test(test_identity_mismatch_seen_is_sanitized),
		cmocka_unit_test(test_identity_seen_is_cut_to_seen_size),
		cmocka_unit_test(test_identity_missing_claim_is_claim_missing),
		cmocka_unit_test(test_identity_claim_of_wrong_type_is_claim_missing),
		cmocka_unit_test(test_identity_number_claim_does_not_match_its_digits),
		cmocka_unit_test(test_identity_bad_json_is_bad_response),
		cmocka_unit_test(test_identity_nul_inside_claim_does_not_match_its_prefix),
		cmocka_unit_test(test_identity_overlong_claim_never_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
