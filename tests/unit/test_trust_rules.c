/* The trust layer: who may log in as whom (identity_rules.h, username_map.h), which
 * responses and documents we rely on (introspection.h, provider_metadata.h, sanitize.h's
 * is_https_url), where scopes and identity are read (source_select.h), the files that decide
 * (secret_file.h) and the config rules that tie them together (oauth2_config.h). Tests that
 * touch files work in their own mkdtemp directory. */
#include "config.h"

#include "rules/identity_rules.h"
#include "idp/introspection.h"
#include "jose/jws.h"
#include "config/oauth2_config.h"
#include "idp/metadata.h"
#include "util/sanitize.h"
#include "io/trusted_file.h"
#include "rules/source_select.h"
#include "util/strbuf.h"
#include "rules/username_map.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_dir.h"
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_SIZE 128
#define DETAIL_SIZE 256

/* ---- helpers: claims and verdicts ---- */

static const char *verdict_name(enum identity_verdict verdict)
{
	switch (verdict) {
	case IDENTITY_ALLOWED:
		return "ALLOWED";
	case IDENTITY_CLAIM_MISSING:
		return "CLAIM_MISSING";
	case IDENTITY_SUFFIX_MISMATCH:
		return "SUFFIX_MISMATCH";
	case IDENTITY_NOT_MAPPED:
		return "NOT_MAPPED";
	case IDENTITY_EMAIL_UNVERIFIED:
		return "EMAIL_UNVERIFIED";
	case IDENTITY_MISMATCH:
		return "MISMATCH";
	case IDENTITY_GROUP_MISSING:
		return "GROUP_MISSING";
	case IDENTITY_CLAIM_MISMATCH:
		return "CLAIM_MISMATCH";
	}
	return "(unknown verdict)";
}

static void assert_verdict(enum identity_verdict got, enum identity_verdict want, const char *json, const char *user)
{
	if (got != want)
		fail_msg("claims %s as '%s': got %s, want %s", json, user, verdict_name(got), verdict_name(want));
}

static struct json_object *parse(const char *json)
{
	struct json_object *claims = json_tokener_parse(json);
	if (claims == NULL)
		fail_msg("test JSON does not parse: %s", json);
	return claims;
}

/* The rules with nothing optional set: the claim must equal the user, byte for byte. */
static struct identity_rules plain_rules(void)
{
	struct identity_rules rules = { 0 };
	rules.username_claim = "preferred_username";
	rules.groups_claim = "groups";
	return rules;
}

/* identity_decide on the parsed JSON; DETAIL (DETAIL_SIZE bytes, may be NULL) gets the line. */
static enum identity_verdict decide(const char *json, const struct identity_rules *rules, const char *user,
				    char *detail)
{
	char scratch[DETAIL_SIZE];
	struct json_object *claims = parse(json);
	enum identity_verdict verdict =
	    identity_decide(claims, rules, user, detail != NULL ? detail : scratch, DETAIL_SIZE);
	json_object_put(claims);
	return verdict;
}

static void assert_decides(const char *json, const struct identity_rules *rules, const char *user,
			   enum identity_verdict want)
{
	assert_verdict(decide(json, rules, user, NULL), want, json, user);
}

static void assert_mentions(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("\"%s\" does not mention \"%s\"", text, needle);
}

/* ---- identity_decide: the claim itself ---- */

static void test_identity_claim_equal_to_the_user_is_allowed(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"sub\":\"x1\",\"preferred_username\":\"alice\"}", &rules, "alice", detail),
		       IDENTITY_ALLOWED, "{alice}", "alice");
	assert_mentions(detail, "alice");
}

static void test_identity_other_value_is_a_mismatch_named_in_the_detail(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"preferred_username\":\"mallory\"}", &rules, "alice", detail), IDENTITY_MISMATCH,
		       "{mallory}", "alice");
	assert_mentions(detail, "'mallory'");
	assert_mentions(detail, "preferred_username");
}

static void test_identity_reads_the_configured_claim_only(void **state)
{
	(void)state;
	/* Another claim holding the user name does not count. */
	const char *json =
	    "{\"sub\":\"alice\",\"preferred_username\":\"bob\",\"email\":\"alice\",\"email_verified\":true}";
	struct identity_rules rules = plain_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide(json, &rules, "alice", detail), IDENTITY_MISMATCH, json, "alice");
	assert_mentions(detail, "'bob'");
	rules.username_claim = "email";
	assert_decides(json, &rules, "alice", IDENTITY_ALLOWED);
}

static void test_identity_username_claim_may_be_any_string_claim(void **state)
{
	(void)state;
	const char *json =
	    "{\"preferred_username\":\"nobody\",\"sub\":\"u-1\",\"email\":\"a@example.com\",\"email_verified\":true,"
	    "\"upn\":\"a.upn\",\"custom_login\":\"a.custom\"}";
	struct identity_rules rules = plain_rules();
	rules.username_claim = "sub";
	assert_decides(json, &rules, "u-1", IDENTITY_ALLOWED);
	assert_decides(json, &rules, "nobody", IDENTITY_MISMATCH);
	rules.username_claim = "email";
	assert_decides(json, &rules, "a@example.com", IDENTITY_ALLOWED);
	rules.username_claim = "upn";
	assert_decides(json, &rules, "a.upn", IDENTITY_ALLOWED);
	rules.username_claim = "custom_login";
	assert_decides(json, &rules, "a.custom", IDENTITY_ALLOWED);
	rules.username_claim = "not_there";
	assert_decides(json, &rules, "nobody", IDENTITY_CLAIM_MISSING);
}

static void test_identity_case_difference_is_a_mismatch_by_default(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"preferred_username\":\"Alice\"}", &rules, "alice", detail), IDENTITY_MISMATCH,
		       "{Alice}", "alice");
	assert_mentions(detail, "'Alice'");
	assert_decides("{\"preferred_username\":\"alice\"}", &rules, "ALICE", IDENTITY_MISMATCH);
}

static void test_identity_case_difference_is_allowed_with_ignore_case(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.ignore_case = true;
	assert_decides("{\"preferred_username\":\"Alice\"}", &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\"}", &rules, "ALICE", IDENTITY_ALLOWED);
	/* Case is all it forgives. */
	assert_decides("{\"preferred_username\":\"Alice2\"}", &rules, "alice", IDENTITY_MISMATCH);
}

static void test_identity_prefix_or_extension_is_a_mismatch(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	assert_decides("{\"u\":\"alice2\"}", &rules, "alice", IDENTITY_MISMATCH);
	assert_decides("{\"u\":\"ali\"}", &rules, "alice", IDENTITY_MISMATCH);
	assert_decides("{\"u\":\"alice \"}", &rules, "alice", IDENTITY_MISMATCH);
	assert_decides("{\"u\":\" alice\"}", &rules, "alice", IDENTITY_MISMATCH);
}

static void test_identity_mismatch_detail_is_sanitized(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char detail[DETAIL_SIZE] = "";
	/* JSON escapes that decode to ESC, BEL and a newline. */
	const char *json = "{\"u\":\"\\u001b[31mroot\\u001b]52;c;eA==\\u0007\\nx\"}";
	assert_verdict(decide(json, &rules, "alice", detail), IDENTITY_MISMATCH, json, "alice");
	assert_mentions(detail, "'?[31mroot?]52;c;eA==? x'");
	for (const char *p = detail; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("detail holds control character 0x%02x: %s", (unsigned char)*p, detail);
	}
}

static void test_identity_long_claim_is_shown_cut_with_an_ellipsis(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char claim[201], json[256], detail[DETAIL_SIZE] = "";
	memset(claim, 'm', sizeof(claim) - 1);
	claim[sizeof(claim) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"u\":\"%s\"}", claim);
	assert_verdict(decide(json, &rules, "alice", detail), IDENTITY_MISMATCH, json, "alice");
	assert_mentions(detail, "mmmm...'");
	assert_null(strstr(detail, claim));
}

static void test_identity_detail_fits_a_small_buffer(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char detail[16];
	memset(detail, 'X', sizeof(detail));
	struct json_object *claims = parse("{\"u\":\"a-very-long-user-name-indeed\"}");
	assert_verdict(identity_decide(claims, &rules, "alice", detail, sizeof(detail)), IDENTITY_MISMATCH,
		       "{a-very-long...}", "alice");
	json_object_put(claims);
	assert_true(memchr(detail, '\0', sizeof(detail)) != NULL);
}

static void test_identity_missing_claim_is_claim_missing(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"sub\":\"alice\"}", &rules, "alice", detail), IDENTITY_CLAIM_MISSING, "{sub}",
		       "alice");
	assert_mentions(detail, "preferred_username");
	assert_decides("{}", &rules, "alice", IDENTITY_CLAIM_MISSING);
}

static void test_identity_claim_of_wrong_type_is_claim_missing(void **state)
{
	(void)state;
	const char *bodies[] = {
		"{\"u\":42.5}", "{\"u\":-1}", "{\"u\":[\"alice\"]}", "{\"u\":null}", "{\"u\":{\"name\":\"alice\"}}",
		"{\"u\":true}",
	};
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_decides(bodies[i], &rules, "alice", IDENTITY_CLAIM_MISSING);
}

static void test_identity_whole_number_claim_compares_as_decimal_text(void **state)
{
	(void)state;
	/* GitHub's stable user id is a JSON number: it compares as its decimal digits. */
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	assert_decides("{\"u\":583231}", &rules, "583231", IDENTITY_ALLOWED);
	assert_decides("{\"u\":583231}", &rules, "0583231", IDENTITY_MISMATCH);
	assert_decides("{\"u\":583231}", &rules, "58323", IDENTITY_MISMATCH);
	assert_decides("{\"u\":583231.0}", &rules, "583231", IDENTITY_CLAIM_MISSING);
	assert_decides("{\"u\":9223372036854775807}", &rules, "9223372036854775807", IDENTITY_CLAIM_MISSING);
	rules.username_map = "583231 alice\n";
	assert_decides("{\"u\":583231}", &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"u\":583232}", &rules, "alice", IDENTITY_NOT_MAPPED);
}

static void test_identity_empty_claim_is_claim_missing(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	assert_decides("{\"u\":\"\"}", &rules, "", IDENTITY_CLAIM_MISSING);
}

static void test_identity_claims_that_are_not_an_object_are_claim_missing(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char detail[DETAIL_SIZE];
	assert_verdict(identity_decide(NULL, &rules, "alice", detail, sizeof(detail)), IDENTITY_CLAIM_MISSING, "NULL",
		       "alice");
	assert_decides("[{\"u\":\"alice\"}]", &rules, "alice", IDENTITY_CLAIM_MISSING);
	assert_decides("\"alice\"", &rules, "alice", IDENTITY_CLAIM_MISSING);
}

static void test_identity_nul_inside_claim_is_claim_missing(void **state)
{
	(void)state;
	/* "al\u0000ice" must not be taken for "al" (C string comparison would stop at the NUL). */
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	assert_decides("{\"u\":\"al\\u0000ice\"}", &rules, "al", IDENTITY_CLAIM_MISSING);
	assert_decides("{\"u\":\"al\\u0000ice\"}", &rules, "alice", IDENTITY_CLAIM_MISSING);
}

/* {"u":"aaa..."} with LEN a's, and the claim alone in CLAIM (LEN + 1 bytes). */
static void long_claim_json(size_t len, char *claim, char *json, size_t json_size)
{
	memset(claim, 'a', len);
	claim[len] = '\0';
	snprintf(json, json_size, "{\"u\":\"%s\"}", claim);
}

static void test_identity_claim_longer_than_the_maximum_is_claim_missing(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char claim[IDENTITY_CLAIM_MAX + 2], json[IDENTITY_CLAIM_MAX + 32];
	long_claim_json(IDENTITY_CLAIM_MAX + 1, claim, json, sizeof(json));
	assert_decides(json, &rules, claim, IDENTITY_CLAIM_MISSING);
}

static void test_identity_claim_of_the_maximum_length_is_compared(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.username_claim = "u";
	char claim[IDENTITY_CLAIM_MAX + 1], json[IDENTITY_CLAIM_MAX + 32];
	long_claim_json(IDENTITY_CLAIM_MAX, claim, json, sizeof(json));
	assert_decides(json, &rules, claim, IDENTITY_ALLOWED);
}

static void test_identity_string_claim_returns_the_value_or_null(void **state)
{
	(void)state;
	struct json_object *claims = parse("{\"u\":\"alice\",\"n\":7,\"e\":\"\",\"z\":\"a\\u0000b\"}");
	assert_string_equal(identity_string_claim(claims, "u"), "alice");
	assert_null(identity_string_claim(claims, "n"));
	assert_null(identity_string_claim(claims, "e"));
	assert_null(identity_string_claim(claims, "z"));
	assert_null(identity_string_claim(claims, "absent"));
	assert_null(identity_string_claim(NULL, "u"));
	json_object_put(claims);
}

/* ---- identity_decide: username_suffix ---- */

static struct identity_rules suffix_rules(void)
{
	struct identity_rules rules = plain_rules();
	rules.username_claim = "email";
	rules.username_suffix = "@example.com";
	return rules;
}

static void test_suffix_is_required_and_stripped(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":true}", &rules, "alice", IDENTITY_ALLOWED);
	/* The whole claim is not the user: the suffix is removed before comparing. */
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":true}", &rules, "alice@example.com",
		       IDENTITY_MISMATCH);
}

static void test_suffix_stripped_identity_must_still_equal_the_user(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	assert_decides("{\"email\":\"bob@example.com\",\"email_verified\":true}", &rules, "alice", IDENTITY_MISMATCH);
}

static void test_suffix_of_another_domain_is_suffix_mismatch(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"email\":\"alice@other.org\",\"email_verified\":true}", &rules, "alice", detail),
		       IDENTITY_SUFFIX_MISMATCH, "{alice@other.org}", "alice");
	assert_mentions(detail, "alice@other.org");
	/* Without any suffix at all. */
	assert_decides("{\"email\":\"alice\",\"email_verified\":true}", &rules, "alice", IDENTITY_SUFFIX_MISMATCH);
}

static void test_suffix_alone_is_suffix_mismatch(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	assert_decides("{\"email\":\"@example.com\",\"email_verified\":true}", &rules, "", IDENTITY_SUFFIX_MISMATCH);
	assert_decides("{\"email\":\"@example.com\",\"email_verified\":true}", &rules, "alice",
		       IDENTITY_SUFFIX_MISMATCH);
}

static void test_suffix_followed_by_more_text_is_suffix_mismatch(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	assert_decides("{\"email\":\"alice@example.com.evil\",\"email_verified\":true}", &rules, "alice",
		       IDENTITY_SUFFIX_MISMATCH);
	assert_decides("{\"email\":\"alice@example.comx\",\"email_verified\":true}", &rules, "alice",
		       IDENTITY_SUFFIX_MISMATCH);
}

static void test_suffix_compare_is_case_sensitive_by_default(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	assert_decides("{\"email\":\"alice@EXAMPLE.com\",\"email_verified\":true}", &rules, "alice",
		       IDENTITY_SUFFIX_MISMATCH);
}

static void test_suffix_compare_ignores_case_with_ignore_case(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	rules.ignore_case = true;
	assert_decides("{\"email\":\"alice@EXAMPLE.com\",\"email_verified\":true}", &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"email\":\"Alice@Example.COM\",\"email_verified\":true}", &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"email\":\"alice@other.org\",\"email_verified\":true}", &rules, "alice",
		       IDENTITY_SUFFIX_MISMATCH);
}

/* ---- identity_decide: email_verified (OIDC Core §5.1) ---- */

static void test_email_identity_needs_email_verified_true(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide("{\"email\":\"alice@example.com\",\"email_verified\":false}", &rules, "alice", detail),
		       IDENTITY_EMAIL_UNVERIFIED, "{unverified}", "alice");
	assert_mentions(detail, "not verified");
	assert_decides("{\"email\":\"alice@example.com\"}", &rules, "alice", IDENTITY_EMAIL_UNVERIFIED);
	/* Only the JSON boolean true counts: not a string, not a number. */
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":\"true\"}", &rules, "alice",
		       IDENTITY_EMAIL_UNVERIFIED);
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":1}", &rules, "alice",
		       IDENTITY_EMAIL_UNVERIFIED);
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":null}", &rules, "alice",
		       IDENTITY_EMAIL_UNVERIFIED);
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":true}", &rules, "alice", IDENTITY_ALLOWED);
}

static void test_email_verified_matters_only_for_the_email_claim(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	assert_decides("{\"preferred_username\":\"alice\",\"email\":\"x@y\",\"email_verified\":false}", &rules, "alice",
		       IDENTITY_ALLOWED);
}

static void test_email_claims_without_email_verified_are_not_sufficient(void **state)
{
	(void)state;
	/* In auto mode a source with the address but no verdict on it hands over to a fuller one. */
	struct identity_rules rules = suffix_rules();
	struct json_object *without = parse("{\"email\":\"alice@example.com\"}");
	struct json_object *with = parse("{\"email\":\"alice@example.com\",\"email_verified\":false}");
	assert_false(identity_claims_sufficient(without, &rules));
	assert_true(identity_claims_sufficient(with, &rules));
	json_object_put(without);
	json_object_put(with);
}

/* ---- identity_decide: username_map ---- */

static struct identity_rules map_rules(const char *map)
{
	struct identity_rules rules = plain_rules();
	rules.username_map = map;
	return rules;
}

#define ALICE "{\"preferred_username\":\"alice\"}"

static void test_map_allows_a_listed_pair(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice alice,deploy\n");
	assert_decides(ALICE, &rules, "alice", IDENTITY_ALLOWED);
	assert_decides(ALICE, &rules, "deploy", IDENTITY_ALLOWED);
}

static void test_map_refuses_an_unlisted_user_as_not_mapped(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice alice,deploy\n");
	char detail[DETAIL_SIZE] = "";
	assert_verdict(decide(ALICE, &rules, "root", detail), IDENTITY_NOT_MAPPED, ALICE, "root");
	assert_mentions(detail, "alice");
}

static void test_map_replaces_the_identity_equals_user_rule(void **state)
{
	(void)state;
	/* With a map, only listed pairs may log in: alice is not listed for alice. */
	struct identity_rules rules = map_rules("alice deploy\n");
	assert_decides(ALICE, &rules, "alice", IDENTITY_NOT_MAPPED);
}

static void test_map_line_may_list_several_users(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice web,db,deploy\n");
	assert_decides(ALICE, &rules, "web", IDENTITY_ALLOWED);
	assert_decides(ALICE, &rules, "db", IDENTITY_ALLOWED);
	assert_decides(ALICE, &rules, "deploy", IDENTITY_ALLOWED);
	/* A user in the list is a whole item, not a part of one. */
	assert_decides(ALICE, &rules, "de", IDENTITY_NOT_MAPPED);
	assert_decides(ALICE, &rules, "db,deploy", IDENTITY_NOT_MAPPED);
}

static void test_map_lines_for_one_identity_add_up(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice web\nbob db\nalice deploy\n");
	assert_decides(ALICE, &rules, "web", IDENTITY_ALLOWED);
	assert_decides(ALICE, &rules, "deploy", IDENTITY_ALLOWED);
	assert_decides(ALICE, &rules, "db", IDENTITY_NOT_MAPPED);
}

static void test_map_entry_for_another_identity_does_not_help(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("bob deploy\nalicex deploy\nxalice deploy\nali deploy\n");
	assert_decides(ALICE, &rules, "deploy", IDENTITY_NOT_MAPPED);
}

static void test_map_identity_compares_ignoring_case_only_with_ignore_case(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice deploy\n");
	const char *json = "{\"preferred_username\":\"ALICE\"}";
	assert_decides(json, &rules, "deploy", IDENTITY_NOT_MAPPED);
	rules.ignore_case = true;
	assert_decides(json, &rules, "deploy", IDENTITY_ALLOWED);
	rules.username_map = "ALICE deploy\n";
	assert_decides(ALICE, &rules, "deploy", IDENTITY_ALLOWED);
}

static void test_map_local_user_compares_exactly_even_with_ignore_case(void **state)
{
	(void)state;
	struct identity_rules rules = map_rules("alice Deploy\n");
	rules.ignore_case = true;
	assert_decides(ALICE, &rules, "deploy", IDENTITY_NOT_MAPPED);
	assert_decides(ALICE, &rules, "DEPLOY", IDENTITY_NOT_MAPPED);
	assert_decides(ALICE, &rules, "Deploy", IDENTITY_ALLOWED);
}

static void test_map_with_suffix_looks_up_the_stripped_identity(void **state)
{
	(void)state;
	struct identity_rules rules = suffix_rules();
	rules.username_map = "alice deploy\n";
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":true}", &rules, "deploy", IDENTITY_ALLOWED);
	/* The suffix is still required before the map is read. */
	assert_decides("{\"email\":\"alice@other.org\",\"email_verified\":true}", &rules, "deploy",
		       IDENTITY_SUFFIX_MISMATCH);
	/* A map naming the full claim is not what is looked up. */
	rules.username_map = "alice@example.com deploy\n";
	assert_decides("{\"email\":\"alice@example.com\",\"email_verified\":true}", &rules, "deploy",
		       IDENTITY_NOT_MAPPED);
}

/* ---- identity_decide: require_group ---- */

static struct identity_rules group_rules(const char *required)
{
	struct identity_rules rules = plain_rules();
	rules.require_group = required;
	return rules;
}

static void test_group_one_of_several_required_is_enough(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins ops");
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[\"staff\",\"ops\"]}", &rules, "alice",
		       IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[\"admins\"]}", &rules, "alice", IDENTITY_ALLOWED);
}

static void test_group_none_of_the_required_is_group_missing(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins ops");
	char detail[DETAIL_SIZE] = "";
	const char *json = "{\"preferred_username\":\"alice\",\"groups\":[\"staff\",\"admin\",\"OPS\",\"ops2\"]}";
	assert_verdict(decide(json, &rules, "alice", detail), IDENTITY_GROUP_MISSING, json, "alice");
	assert_mentions(detail, "admins ops");
}

static void test_group_checked_only_after_the_identity(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins");
	assert_decides("{\"preferred_username\":\"mallory\",\"groups\":[\"admins\"]}", &rules, "alice",
		       IDENTITY_MISMATCH);
}

static void test_group_claim_may_be_one_string(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins ops");
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":\"ops\"}", &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":\"staff\"}", &rules, "alice",
		       IDENTITY_GROUP_MISSING);
	/* One string is one group, not a list. */
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":\"staff ops\"}", &rules, "alice",
		       IDENTITY_GROUP_MISSING);
}

static void test_group_array_skips_items_that_are_not_strings(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins");
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[1,null,true,{\"n\":\"admins\"},[\"admins\"],"
		       "\"admins\"]}",
		       &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[1,null,{\"n\":\"admins\"},[\"admins\"],"
		       "\"\",\"adm\\u0000ins\"]}",
		       &rules, "alice", IDENTITY_GROUP_MISSING);
}

static void test_group_claim_absent_is_group_missing(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins");
	assert_decides(ALICE, &rules, "alice", IDENTITY_GROUP_MISSING);
}

static void test_group_claim_of_wrong_type_is_group_missing(void **state)
{
	(void)state;
	const char *bodies[] = {
		"{\"preferred_username\":\"alice\",\"groups\":42}",
		"{\"preferred_username\":\"alice\",\"groups\":true}",
		"{\"preferred_username\":\"alice\",\"groups\":null}",
	};
	struct identity_rules rules = group_rules("admins");
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_decides(bodies[i], &rules, "alice", IDENTITY_GROUP_MISSING);
}

static void test_group_with_a_nul_inside_is_not_that_group(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins");
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[\"admins\\u0000x\"]}", &rules, "alice",
		       IDENTITY_GROUP_MISSING);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":[\"staff\",\"admins\"]}", &rules, "alice",
		       IDENTITY_ALLOWED);
}

static void test_map_lines_that_are_not_valid_grant_nothing(void **state)
{
	(void)state;
	/* The loader refuses such a map; the lookup must not rely on that. */
	assert_false(username_map_allows("ali\x07"
					 "ce alice\n",
					 "ali\x07"
					 "ce",
					 "alice", false));
	assert_false(username_map_allows("bob\x7f bob\n", "bob\x7f", "bob", false));
	assert_true(username_map_allows("ali\x07"
					"ce alice\nbob bob\n",
					"bob", "bob", false));
}

static void test_group_object_names_its_groups_by_its_members(void **state)
{
	(void)state;
	/* ZITADEL: {"role": {"org id": "org domain"}}: the member names are the roles. */
	struct identity_rules rules = group_rules("admins");
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":{\"admins\":{\"1\":\"acme\"}}}", &rules, "alice",
		       IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":{\"staff\":{\"1\":\"acme\"}}}", &rules, "alice",
		       IDENTITY_GROUP_MISSING);
	/* A member's value never counts as a group name. */
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":{\"staff\":\"admins\"}}", &rules, "alice",
		       IDENTITY_GROUP_MISSING);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":{}}", &rules, "alice", IDENTITY_GROUP_MISSING);
}

static bool sufficient(const char *json, const struct identity_rules *rules);

static void test_required_claims_must_hold_exactly(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	rules.require_claim = "hd=example.com";
	char detail[DETAIL_SIZE] = "";
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":\"example.com\"}", &rules, "alice", IDENTITY_ALLOWED);
	assert_verdict(decide("{\"preferred_username\":\"alice\",\"hd\":\"evil.com\"}", &rules, "alice", detail),
		       IDENTITY_CLAIM_MISMATCH, "{hd=evil.com}", "alice");
	assert_mentions(detail, "claim 'hd' is 'evil.com', not 'example.com'");
	assert_decides("{\"preferred_username\":\"alice\"}", &rules, "alice", IDENTITY_CLAIM_MISMATCH);
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":\"example.com.evil\"}", &rules, "alice",
		       IDENTITY_CLAIM_MISMATCH);
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":\"EXAMPLE.com\"}", &rules, "alice",
		       IDENTITY_CLAIM_MISMATCH);
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":[\"example.com\"]}", &rules, "alice",
		       IDENTITY_CLAIM_MISMATCH);
	/* Every pair must hold. */
	rules.require_claim = "hd=example.com tid=42";
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":\"example.com\",\"tid\":42}", &rules, "alice",
		       IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"hd\":\"example.com\",\"tid\":43}", &rules, "alice",
		       IDENTITY_CLAIM_MISMATCH);
	/* In auto mode a source without the claim hands over to a fuller one. */
	assert_false(sufficient("{\"preferred_username\":\"alice\",\"hd\":\"example.com\"}", &rules));
	assert_true(sufficient("{\"preferred_username\":\"alice\",\"hd\":\"x\",\"tid\":1}", &rules));
}

static void test_groups_claim_name_is_configurable(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules("admins");
	rules.groups_claim = "roles";
	const char *json = "{\"preferred_username\":\"alice\",\"roles\":[\"admins\"],\"groups\":[\"staff\"]}";
	assert_decides(json, &rules, "alice", IDENTITY_ALLOWED);
	rules.groups_claim = "groups";
	assert_decides(json, &rules, "alice", IDENTITY_GROUP_MISSING);
}

static void test_no_required_group_ignores_the_groups_claim(void **state)
{
	(void)state;
	struct identity_rules rules = group_rules(NULL);
	assert_decides(ALICE, &rules, "alice", IDENTITY_ALLOWED);
	rules.require_group = "";
	assert_decides(ALICE, &rules, "alice", IDENTITY_ALLOWED);
	assert_decides("{\"preferred_username\":\"alice\",\"groups\":42}", &rules, "alice", IDENTITY_ALLOWED);
}

/* ---- identity_claims_sufficient ---- */

static bool sufficient(const char *json, const struct identity_rules *rules)
{
	struct json_object *claims = parse(json);
	bool enough = identity_claims_sufficient(claims, rules);
	json_object_put(claims);
	return enough;
}

static void test_claims_sufficient_needs_the_username_claim(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	assert_true(sufficient(ALICE, &rules));
	assert_false(sufficient("{\"sub\":\"alice\"}", &rules));
	assert_false(sufficient("{\"preferred_username\":7.5}", &rules));
	assert_true(sufficient("{\"preferred_username\":7}", &rules));
	assert_false(sufficient("{\"preferred_username\":\"\"}", &rules));
	assert_false(identity_claims_sufficient(NULL, &rules));
}

static void test_claims_sufficient_needs_groups_only_when_groups_are_required(void **state)
{
	(void)state;
	struct identity_rules rules = plain_rules();
	assert_true(sufficient(ALICE, &rules));
	rules.require_group = "";
	assert_true(sufficient(ALICE, &rules));
	rules.require_group = "admins";
	assert_false(sufficient(ALICE, &rules));
	assert_true(sufficient("{\"preferred_username\":\"alice\",\"groups\":[\"staff\"]}", &rules));
	rules.groups_claim = "roles";
	assert_false(sufficient("{\"preferred_username\":\"alice\",\"groups\":[\"admins\"]}", &rules));
	assert_true(sufficient("{\"preferred_username\":\"alice\",\"roles\":\"admins\"}", &rules));
}

/* ---- username_map_validate / username_map_allows ---- */

static void assert_map_valid(const char *content)
{
	unsigned line = 12345;
	const char *why = NULL;
	if (username_map_validate(content, &line, &why) != 0)
		fail_msg("map refused at line %u (%s): %s", line, why ? why : "?", content);
}

static void assert_map_bad_at(const char *content, unsigned want_line)
{
	unsigned line = 0;
	const char *why = NULL;
	if (username_map_validate(content, &line, &why) == 0)
		fail_msg("map accepted: %s", content);
	if (line != want_line)
		fail_msg("map refused at line %u, want %u: %s", line, want_line, content);
	assert_non_null(why);
}

static void test_map_comments_blank_lines_tabs_and_crlf_are_valid(void **state)
{
	(void)state;
	const char *map = "# who may be whom\n"
			  "\n"
			  "   # indented comment with , and ,, in it\n"
			  "alice\tdeploy,web\n"
			  "  \t \n"
			  "bob  \t db \r\n"
			  "\r\n"
			  "carol carol";
	assert_map_valid(map);
	assert_true(username_map_allows(map, "alice", "web", false));
	assert_true(username_map_allows(map, "bob", "db", false));
	assert_true(username_map_allows(map, "carol", "carol", false));
}

static void test_map_crlf_is_not_part_of_the_user(void **state)
{
	(void)state;
	const char *map = "alice deploy\r\n";
	assert_map_valid(map);
	assert_true(username_map_allows(map, "alice", "deploy", false));
	assert_false(username_map_allows(map, "alice", "deploy\r", false));
}

static void test_map_comment_lines_grant_nothing(void **state)
{
	(void)state;
	const char *map = "#alice root\n  # alice root\n";
	assert_map_valid(map);
	assert_false(username_map_allows(map, "#alice", "root", false));
	assert_false(username_map_allows(map, "alice", "root", false));
}

static void test_map_identity_alone_is_a_bad_line(void **state)
{
	(void)state;
	assert_map_bad_at("alice\n", 1);
	assert_map_bad_at("# header\n\nbob db\nalice\n", 4);
	assert_map_bad_at("bob db\nalice   \t\n", 2);
}

static void test_map_empty_user_in_the_list_is_a_bad_line(void **state)
{
	(void)state;
	assert_map_bad_at("bob db\nalice a,,b\n", 2);
	assert_map_bad_at("bob db\n\nalice ,a\n", 3);
	assert_map_bad_at("# c\nbob db\n# c\nalice a,\n", 4);
	assert_map_bad_at("alice ,\n", 1);
}

static void test_map_three_fields_is_a_bad_line(void **state)
{
	(void)state;
	assert_map_bad_at("bob db\nalice deploy web\n", 2);
	assert_map_bad_at("alice deploy, web\n", 1);
}

static void test_map_control_character_is_a_bad_line(void **state)
{
	(void)state;
	assert_map_bad_at("bob db\nali\x01"
			  "ce deploy\n",
			  2);
	assert_map_bad_at("alice dep\x1b"
			  "[31mloy\n",
			  1);
	assert_map_bad_at("bob db\n\nalice deploy\x0b\n", 3);
}

static void test_map_del_character_is_a_bad_line(void **state)
{
	(void)state;
	/* DEL is a control character too (the config loader refuses it in strings). */
	assert_map_bad_at("bob db\nalice dep\x7floy\n", 2);
}

static void test_map_first_bad_line_is_reported(void **state)
{
	(void)state;
	assert_map_bad_at("bob db\nalice\ncarol a,,b\n", 2);
}

static void test_map_last_line_without_newline_is_read(void **state)
{
	(void)state;
	assert_map_bad_at("bob db\nalice", 2);
	assert_true(username_map_allows("bob db\nalice deploy", "alice", "deploy", false));
}

static void test_map_empty_is_valid_and_allows_nobody(void **state)
{
	(void)state;
	assert_map_valid("");
	assert_false(username_map_allows("", "alice", "alice", false));
	assert_false(username_map_allows("", "alice", "alice", true));
	assert_map_valid("# only a comment\n\n");
	assert_false(username_map_allows("# only a comment\n\n", "alice", "alice", false));
}

/* ---- introspection_check (RFC 7662 §2.2) ---- */

#define NOW 1700000000L
#define LEEWAY 60L

/* introspection_check on BODY for client "pam-host" at NOW; on failure claims and scope stay NULL. */
static int introspect(const char *body, struct json_object **claims, const char **scope)
{
	const char *why = NULL;
	int rc = introspection_check(body, strlen(body), "pam-host", NOW, LEEWAY, claims, scope, &why);
	if (rc != 0) {
		assert_null(*claims);
		assert_null(*scope);
		assert_non_null(why);
	}
	return rc;
}

static void assert_introspection_refused(const char *body)
{
	struct json_object *claims = NULL;
	const char *scope = NULL;
	if (introspect(body, &claims, &scope) == 0) {
		json_object_put(claims);
		fail_msg("introspection accepted: %s", body);
	}
}

static void assert_introspection_accepted(const char *body)
{
	struct json_object *claims = NULL;
	const char *scope = NULL;
	if (introspect(body, &claims, &scope) != 0)
		fail_msg("introspection refused: %s", body);
	json_object_put(claims);
}

static void test_introspection_active_token_gives_its_scope(void **state)
{
	(void)state;
	struct json_object *claims = NULL;
	const char *scope = NULL;
	assert_int_equal(introspect("{\"active\":true,\"scope\":\"openid ssh:login\"}", &claims, &scope), 0);
	assert_string_equal(scope, "openid ssh:login");
	json_object_put(claims);
}

static void test_introspection_without_scope_gives_no_scope(void **state)
{
	(void)state;
	struct json_object *claims = NULL;
	const char *scope = NULL;
	assert_int_equal(introspect("{\"active\":true,\"sub\":\"u-1\"}", &claims, &scope), 0);
	assert_non_null(scope);
	assert_string_equal(scope, "");
	json_object_put(claims);
}

static void test_introspection_inactive_token_is_refused(void **state)
{
	(void)state;
	assert_introspection_refused("{\"active\":false,\"scope\":\"openid\"}");
	assert_introspection_refused("{\"scope\":\"openid\"}");
	assert_introspection_refused("{\"active\":\"true\",\"scope\":\"openid\"}");
	assert_introspection_refused("{\"active\":1,\"scope\":\"openid\"}");
	assert_introspection_refused("{\"active\":null,\"scope\":\"openid\"}");
}

static void test_introspection_token_of_another_client_is_refused(void **state)
{
	(void)state;
	assert_introspection_refused("{\"active\":true,\"client_id\":\"other\"}");
	assert_introspection_refused("{\"active\":true,\"client_id\":\"pam-host2\"}");
	assert_introspection_refused("{\"active\":true,\"client_id\":\"pam-hos\"}");
	assert_introspection_refused("{\"active\":true,\"client_id\":\"PAM-HOST\"}");
	assert_introspection_refused("{\"active\":true,\"client_id\":42}");
	assert_introspection_refused("{\"active\":true,\"client_id\":null}");
}

static void test_introspection_client_id_with_nul_inside_is_another_client(void **state)
{
	(void)state;
	/* "pam-host\u0000x" is not "pam-host", though strcmp would stop at the NUL. */
	assert_introspection_refused("{\"active\":true,\"client_id\":\"pam-host\\u0000x\"}");
}

static void test_introspection_our_client_id_or_none_is_accepted(void **state)
{
	(void)state;
	assert_introspection_accepted("{\"active\":true,\"client_id\":\"pam-host\"}");
	assert_introspection_accepted("{\"active\":true}");
}

static void test_introspection_expired_beyond_leeway_is_refused(void **state)
{
	(void)state;
	char body[128];
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW - LEEWAY - 1);
	assert_introspection_refused(body);
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW - LEEWAY);
	assert_introspection_refused(body);
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW - 86400L);
	assert_introspection_refused(body);
}

static void test_introspection_expired_within_leeway_is_accepted(void **state)
{
	(void)state;
	char body[128];
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW - LEEWAY + 1);
	assert_introspection_accepted(body);
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW);
	assert_introspection_accepted(body);
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld}", NOW + 3600);
	assert_introspection_accepted(body);
}

static void test_introspection_exp_that_is_not_a_time_is_refused(void **state)
{
	(void)state;
	char body[128];
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":\"%ld\"}", NOW + 3600);
	assert_introspection_refused(body);
	snprintf(body, sizeof(body), "{\"active\":true,\"exp\":%ld.5}", NOW + 3600);
	assert_introspection_refused(body);
	assert_introspection_refused("{\"active\":true,\"exp\":true}");
	assert_introspection_refused("{\"active\":true,\"exp\":[1]}");
	assert_introspection_refused("{\"active\":true,\"exp\":-1}");
}

static void test_introspection_scope_with_invalid_characters_is_refused(void **state)
{
	(void)state;
	assert_introspection_refused("{\"active\":true,\"scope\":\"openid \\\"sudo\\\"\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":\"open\\\\id\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":\"openid\\tsudo\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":\"openid\\u001b[31m\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":\"openid\\u0000sudo\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":\"caf\\u00e9\"}");
	assert_introspection_refused("{\"active\":true,\"scope\":[\"openid\"]}");
}

static void test_introspection_body_that_is_not_a_json_object_is_refused(void **state)
{
	(void)state;
	const char *bodies[] = {
		"", "not json", "{\"active\":true", "[{\"active\":true}]", "true", "{\"active\":true} trailing",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_introspection_refused(bodies[i]);
}

static void test_introspection_claims_hold_the_whole_object(void **state)
{
	(void)state;
	struct json_object *claims = NULL;
	const char *scope = NULL;
	assert_int_equal(introspect("{\"active\":true,\"sub\":\"u-1\",\"username\":\"alice\",\"scope\":\"openid\"}",
				    &claims, &scope),
			 0);
	assert_non_null(claims);
	assert_string_equal(identity_string_claim(claims, "sub"), "u-1");
	assert_string_equal(identity_string_claim(claims, "username"), "alice");
	json_object_put(claims);
}

/* ---- provider_metadata (OIDC Discovery §4.3, RFC 8414 §3.3) ---- */

#define ISSUER "https://idp.example"

static const char *const endpoint_names[] = {
	"device_authorization_endpoint", "token_endpoint", "userinfo_endpoint", "introspection_endpoint", "jwks_uri",
};
#define ENDPOINT_COUNT (sizeof(endpoint_names) / sizeof(endpoint_names[0]))

/* A full document for ISSUER into OUT, with endpoint REPLACED (or none) set to VALUE (raw JSON). */
static void metadata_document(const char *issuer_json, const char *replaced, const char *value, char *out, size_t size)
{
	size_t used = (size_t)snprintf(out, size, "{\"issuer\":%s", issuer_json);
	for (size_t i = 0; i < ENDPOINT_COUNT; i++) {
		bool swap = replaced != NULL && strcmp(replaced, endpoint_names[i]) == 0;
		char url[128];
		snprintf(url, sizeof(url), "\"" ISSUER "/%s\"", endpoint_names[i]);
		used += (size_t)snprintf(out + used, size - used, ",\"%s\":%s", endpoint_names[i], swap ? value : url);
	}
	snprintf(out + used, size - used, "}");
}

static int parse_metadata(const char *body, const char *expected, struct provider_metadata *metadata)
{
	const char *why = NULL;
	int rc = provider_metadata_parse(body, strlen(body), expected, metadata, &why);
	if (rc != 0) {
		assert_non_null(why);
		assert_null(metadata->issuer);
		assert_null(metadata->token_endpoint);
	}
	return rc;
}

static void assert_metadata_refused(const char *body, const char *expected)
{
	struct provider_metadata metadata;
	if (parse_metadata(body, expected, &metadata) == 0) {
		provider_metadata_clear(&metadata);
		fail_msg("metadata accepted for %s: %s", expected, body);
	}
}

static void test_metadata_valid_document_fills_every_endpoint(void **state)
{
	(void)state;
	char body[1024];
	metadata_document("\"" ISSUER "\"", NULL, NULL, body, sizeof(body));
	struct provider_metadata metadata;
	assert_int_equal(parse_metadata(body, ISSUER, &metadata), 0);
	assert_string_equal(metadata.issuer, ISSUER);
	assert_string_equal(metadata.device_authorization_endpoint, ISSUER "/device_authorization_endpoint");
	assert_string_equal(metadata.token_endpoint, ISSUER "/token_endpoint");
	assert_string_equal(metadata.userinfo_endpoint, ISSUER "/userinfo_endpoint");
	assert_string_equal(metadata.introspection_endpoint, ISSUER "/introspection_endpoint");
	assert_string_equal(metadata.jwks_uri, ISSUER "/jwks_uri");
	provider_metadata_clear(&metadata);
	assert_null(metadata.issuer);
	assert_null(metadata.jwks_uri);
}

static void test_metadata_issuer_differing_in_any_way_is_refused(void **state)
{
	(void)state;
	const char *issuers[] = {
		"\"" ISSUER "/\"",           "\"https://IDP.example\"",
		"\"http://idp.example\"",    "\"https://idp.example.evil\"",
		"\"https://idp.example/x\"", "\"HTTPS://idp.example\"",
	};
	for (size_t i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		char body[1024];
		metadata_document(issuers[i], NULL, NULL, body, sizeof(body));
		assert_metadata_refused(body, ISSUER);
	}
	/* The other way round: a configured trailing slash is not dropped either. */
	char body[1024];
	metadata_document("\"" ISSUER "\"", NULL, NULL, body, sizeof(body));
	assert_metadata_refused(body, ISSUER "/");
}

static void test_metadata_without_issuer_is_refused(void **state)
{
	(void)state;
	assert_metadata_refused("{\"token_endpoint\":\"" ISSUER "/token\"}", ISSUER);
	const char *issuers[] = { "null", "42", "\"\"", "[\"" ISSUER "\"]" };
	for (size_t i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		char body[1024];
		metadata_document(issuers[i], NULL, NULL, body, sizeof(body));
		assert_metadata_refused(body, ISSUER);
	}
}

static void test_metadata_endpoint_that_is_not_https_is_refused(void **state)
{
	(void)state;
	const char *values[] = {
		"\"http://idp.example/x\"",
		"\"javascript:alert(1)\"",
		"\"https:///x\"",
		"\"https://\"",
		"\"/relative/path\"",
		"\"\"",
		"42",
		"[\"https://idp.example/x\"]",
	};
	for (size_t e = 0; e < ENDPOINT_COUNT; e++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			char body[1024];
			metadata_document("\"" ISSUER "\"", endpoint_names[e], values[v], body, sizeof(body));
			assert_metadata_refused(body, ISSUER);
		}
	}
}

static void test_metadata_absent_endpoints_are_null(void **state)
{
	(void)state;
	struct provider_metadata metadata;
	assert_int_equal(parse_metadata("{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"" ISSUER "/t\","
					"\"userinfo_endpoint\":null}",
					ISSUER, &metadata),
			 0);
	assert_string_equal(metadata.token_endpoint, ISSUER "/t");
	assert_null(metadata.device_authorization_endpoint);
	assert_null(metadata.userinfo_endpoint);
	assert_null(metadata.introspection_endpoint);
	assert_null(metadata.jwks_uri);
	provider_metadata_clear(&metadata);
}

static void test_metadata_that_is_not_a_json_object_is_refused(void **state)
{
	(void)state;
	assert_metadata_refused("", ISSUER);
	assert_metadata_refused("<html>", ISSUER);
	assert_metadata_refused("[{\"issuer\":\"" ISSUER "\"}]", ISSUER);
	assert_metadata_refused("{\"issuer\":\"" ISSUER "\"} {}", ISSUER);
}

/* Frees URL before comparing, so that a failing test leaks nothing under valgrind. */
static void assert_url(char *url, const char *want)
{
	assert_non_null(url);
	char got[METADATA_URL_MAX];
	snprintf(got, sizeof(got), "%s", url);
	free(url);
	assert_string_equal(got, want);
}

static void test_openid_url_appends_the_well_known_path(void **state)
{
	(void)state;
	assert_url(provider_metadata_openid_url("https://idp"), "https://idp/.well-known/openid-configuration");
}

static void test_openid_url_drops_a_trailing_slash(void **state)
{
	(void)state;
	assert_url(provider_metadata_openid_url("https://idp/"), "https://idp/.well-known/openid-configuration");
	assert_url(provider_metadata_openid_url("https://idp/tenant1/"),
		   "https://idp/tenant1/.well-known/openid-configuration");
}

static void test_openid_url_keeps_the_issuer_path_before_the_well_known_part(void **state)
{
	(void)state;
	assert_url(provider_metadata_openid_url("https://idp/tenant1"),
		   "https://idp/tenant1/.well-known/openid-configuration");
}

static void test_rfc8414_url_appends_the_well_known_path(void **state)
{
	(void)state;
	assert_url(provider_metadata_rfc8414_url("https://idp"), "https://idp/.well-known/oauth-authorization-server");
	assert_url(provider_metadata_rfc8414_url("https://idp:8443"),
		   "https://idp:8443/.well-known/oauth-authorization-server");
}

static void test_rfc8414_url_puts_the_issuer_path_after_the_well_known_part(void **state)
{
	(void)state;
	assert_url(provider_metadata_rfc8414_url("https://idp/tenant1"),
		   "https://idp/.well-known/oauth-authorization-server/tenant1");
	assert_url(provider_metadata_rfc8414_url("https://idp/a/b"),
		   "https://idp/.well-known/oauth-authorization-server/a/b");
}

static void test_rfc8414_url_of_a_root_issuer_has_no_trailing_slash(void **state)
{
	(void)state;
	assert_url(provider_metadata_rfc8414_url("https://idp/"), "https://idp/.well-known/oauth-authorization-server");
}

static void test_rfc8414_url_drops_the_trailing_slash_of_an_issuer_path(void **state)
{
	(void)state;
	/* RFC 8414 §3.1: "any terminating '/' MUST be removed" before inserting the well-known part. */
	assert_url(provider_metadata_rfc8414_url("https://idp/tenant1/"),
		   "https://idp/.well-known/oauth-authorization-server/tenant1");
}

/* ---- source_select ---- */

/* The availability of bit pattern BITS: 1 audience, 2 introspection, 4 id_token, 8 userinfo. */
static struct source_availability availability(unsigned bits)
{
	struct source_availability available = { 0 };
	available.audience_set = (bits & 1) != 0;
	available.introspection_usable = (bits & 2) != 0;
	available.id_token_usable = (bits & 4) != 0;
	available.userinfo_known = (bits & 8) != 0;
	return available;
}

static void test_scope_source_explicit_choice_is_kept(void **state)
{
	(void)state;
	const enum scope_source explicit_choices[] = { SCOPE_SOURCE_RESPONSE, SCOPE_SOURCE_INTROSPECTION,
						       SCOPE_SOURCE_JWT };
	for (unsigned bits = 0; bits < 16; bits++) {
		struct source_availability available = availability(bits);
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(scope_source_resolve(explicit_choices[i], &available), explicit_choices[i]);
	}
}

static void test_scope_source_auto_is_jwt_with_an_audience(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits < 16; bits++) {
		struct source_availability available = availability(bits | 1);
		assert_int_equal(scope_source_resolve(SCOPE_SOURCE_AUTO, &available), SCOPE_SOURCE_JWT);
	}
}

static void test_scope_source_auto_is_introspection_without_audience_when_usable(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits < 16; bits++) {
		struct source_availability available = availability((bits & ~1u) | 2);
		assert_int_equal(scope_source_resolve(SCOPE_SOURCE_AUTO, &available), SCOPE_SOURCE_INTROSPECTION);
	}
}

static void test_scope_source_auto_is_response_otherwise(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits < 16; bits++) {
		struct source_availability available = availability(bits & ~3u);
		assert_int_equal(scope_source_resolve(SCOPE_SOURCE_AUTO, &available), SCOPE_SOURCE_RESPONSE);
	}
}

static void test_identity_order_explicit_choice_gives_that_one_source(void **state)
{
	(void)state;
	const enum identity_source explicit_choices[] = { IDENTITY_SOURCE_ID_TOKEN, IDENTITY_SOURCE_JWT,
							  IDENTITY_SOURCE_INTROSPECTION, IDENTITY_SOURCE_USERINFO };
	for (unsigned bits = 0; bits < 16; bits++) {
		struct source_availability available = availability(bits);
		for (size_t i = 0; i < 4; i++) {
			enum identity_source order[4] = { IDENTITY_SOURCE_AUTO, IDENTITY_SOURCE_AUTO,
							  IDENTITY_SOURCE_AUTO, IDENTITY_SOURCE_AUTO };
			assert_int_equal(
			    identity_source_order(explicit_choices[i], &available, SCOPE_SOURCE_RESPONSE, order), 1);
			assert_int_equal(order[0], explicit_choices[i]);
		}
	}
}

static void test_identity_order_auto_tries_every_available_source_best_first(void **state)
{
	(void)state;
	struct source_availability available = availability(15);
	enum identity_source order[4];
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_JWT, order), 4);
	assert_int_equal(order[0], IDENTITY_SOURCE_ID_TOKEN);
	assert_int_equal(order[1], IDENTITY_SOURCE_JWT);
	assert_int_equal(order[2], IDENTITY_SOURCE_INTROSPECTION);
	assert_int_equal(order[3], IDENTITY_SOURCE_USERINFO);
}

static void test_identity_order_auto_leaves_out_what_is_not_available(void **state)
{
	(void)state;
	enum identity_source order[4];
	struct source_availability available = availability(4); /* id_token only */
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 1);
	assert_int_equal(order[0], IDENTITY_SOURCE_ID_TOKEN);
	available = availability(2); /* introspection only */
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_INTROSPECTION, order), 1);
	assert_int_equal(order[0], IDENTITY_SOURCE_INTROSPECTION);
	available = availability(8); /* userinfo only */
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 1);
	assert_int_equal(order[0], IDENTITY_SOURCE_USERINFO);
	available = availability(4 | 8);
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 2);
	assert_int_equal(order[0], IDENTITY_SOURCE_ID_TOKEN);
	assert_int_equal(order[1], IDENTITY_SOURCE_USERINFO);
	available = availability(2 | 8);
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 2);
	assert_int_equal(order[0], IDENTITY_SOURCE_INTROSPECTION);
	assert_int_equal(order[1], IDENTITY_SOURCE_USERINFO);
}

static void test_identity_order_auto_has_jwt_only_when_scopes_come_from_the_jwt(void **state)
{
	(void)state;
	enum identity_source order[4];
	/* An audience alone does not make the access token a source: the scope source must be jwt. */
	struct source_availability available = availability(1 | 8);
	const enum scope_source others[] = { SCOPE_SOURCE_AUTO, SCOPE_SOURCE_RESPONSE, SCOPE_SOURCE_INTROSPECTION };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, others[i], order), 1);
		assert_int_equal(order[0], IDENTITY_SOURCE_USERINFO);
	}
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_JWT, order), 2);
	assert_int_equal(order[0], IDENTITY_SOURCE_JWT);
	assert_int_equal(order[1], IDENTITY_SOURCE_USERINFO);
}

static void test_identity_order_auto_with_nothing_available_is_empty(void **state)
{
	(void)state;
	enum identity_source order[4];
	struct source_availability available = availability(0);
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 0);
	available = availability(1); /* an audience, but scopes read elsewhere */
	assert_int_equal(identity_source_order(IDENTITY_SOURCE_AUTO, &available, SCOPE_SOURCE_RESPONSE, order), 0);
}

static void test_source_names_match_the_config_choices(void **state)
{
	(void)state;
	assert_string_equal(scope_source_name(SCOPE_SOURCE_AUTO), "auto");
	assert_string_equal(scope_source_name(SCOPE_SOURCE_RESPONSE), "response");
	assert_string_equal(scope_source_name(SCOPE_SOURCE_INTROSPECTION), "introspection");
	assert_string_equal(scope_source_name(SCOPE_SOURCE_JWT), "jwt");
	assert_string_equal(identity_source_name(IDENTITY_SOURCE_AUTO), "auto");
	assert_string_equal(identity_source_name(IDENTITY_SOURCE_ID_TOKEN), "id_token");
	assert_string_equal(identity_source_name(IDENTITY_SOURCE_JWT), "jwt");
	assert_string_equal(identity_source_name(IDENTITY_SOURCE_INTROSPECTION), "introspection");
	assert_string_equal(identity_source_name(IDENTITY_SOURCE_USERINFO), "userinfo");
}

static void test_source_names_of_unknown_values_are_a_placeholder(void **state)
{
	(void)state;
	assert_string_equal(scope_source_name((enum scope_source)4), "?");
	assert_string_equal(scope_source_name((enum scope_source) - 1), "?");
	assert_string_equal(identity_source_name((enum identity_source)5), "?");
	assert_string_equal(identity_source_name((enum identity_source) - 1), "?");
}

/* ---- is_https_url ---- */

static void test_https_url_accepts_a_host(void **state)
{
	(void)state;
	assert_true(is_https_url("https://host"));
	assert_true(is_https_url("https://idp.example/realms/x/protocol/openid-connect/token"));
}

static void test_https_url_accepts_a_host_with_port_path_and_query(void **state)
{
	(void)state;
	assert_true(is_https_url("https://host:8443/path?q"));
	assert_true(is_https_url("https://host:8443/path?q=1&r=2#frag"));
}

static void test_https_url_refuses_other_schemes(void **state)
{
	(void)state;
	assert_false(is_https_url("http://host/"));
	assert_false(is_https_url("javascript:alert(1)"));
	assert_false(is_https_url("ftp://host/"));
	assert_false(is_https_url("https:/host"));
	assert_false(is_https_url("httpsx://host"));
	assert_false(is_https_url(""));
}

static void test_https_url_refuses_a_missing_host(void **state)
{
	(void)state;
	assert_false(is_https_url("https://"));
	assert_false(is_https_url("https:///x"));
	assert_false(is_https_url("https://?x"));
	assert_false(is_https_url("https://#x"));
	assert_false(is_https_url("https://:443/"));
}

static void test_https_url_refuses_spaces_controls_and_non_ascii(void **state)
{
	(void)state;
	assert_false(is_https_url("https://host/a b"));
	assert_false(is_https_url("https:// host"));
	assert_false(is_https_url("https://host/\t"));
	assert_false(is_https_url("https://host/\n"));
	assert_false(is_https_url("https://host/\x1b[31m"));
	assert_false(is_https_url("https://host/\x7f"));
	assert_false(is_https_url("https://h\xc3\xa9st/"));
	assert_false(is_https_url("https://host/caf\xc3\xa9"));
}

/* ---- files: a mkdtemp directory per test ---- */

struct fixture {
	char dir[64];
	char path[PATH_SIZE];        /* DIR/file: the file under test */
	char config_path[PATH_SIZE]; /* DIR/pam_oauth2.conf */
	char map_path[PATH_SIZE];    /* DIR/users.map */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	if (scratch_dir_create(f->dir, sizeof(f->dir), "test_trust_rules") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	snprintf(f->config_path, sizeof(f->config_path), "%s/pam_oauth2.conf", f->dir);
	snprintf(f->map_path, sizeof(f->map_path), "%s/users.map", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = scratch_dir_remove(f->dir);
	free(f);
	return rc;
}

/* ---- trusted_file_read ---- */

#define NOT_WRITABLE_BY_OTHERS (S_IWGRP | S_IWOTH)

static int read_trusted(const char *path, uid_t owner, size_t max_size, char **content)
{
	const char *why = NULL;
	int rc = trusted_file_read(path, owner, NOT_WRITABLE_BY_OTHERS, max_size, content, &why);
	if (rc != 0) {
		assert_null(*content);
		assert_non_null(why);
	}
	return rc;
}

static void assert_trusted_refused(const char *path, uid_t owner, size_t max_size)
{
	char *content = NULL;
	if (read_trusted(path, owner, max_size, &content) == 0) {
		secret_free(content);
		fail_msg("trusted_file_read accepted %s", path);
	}
}

static void test_trusted_file_0644_is_read_whole(void **state)
{
	struct fixture *f = *state;
	write_file(f->path, "alice deploy\nbob db\n", 0644);
	char *content = NULL;
	assert_int_equal(read_trusted(f->path, getuid(), 4096, &content), 0);
	assert_string_equal(content, "alice deploy\nbob db\n");
	secret_free(content);
}

static void test_trusted_file_writable_by_group_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->path, "alice deploy\n", 0664);
	assert_trusted_refused(f->path, getuid(), 4096);
}

static void test_trusted_file_writable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->path, "alice deploy\n", 0646);
	assert_trusted_refused(f->path, getuid(), 4096);
}

static void test_trusted_file_symlink_is_refused(void **state)
{
	struct fixture *f = *state;
	char target[PATH_SIZE];
	snprintf(target, sizeof(target), "%s/real", f->dir);
	write_file(target, "alice deploy\n", 0644);
	assert_int_equal(symlink(target, f->path), 0);
	assert_trusted_refused(f->path, getuid(), 4096);
}

static void test_trusted_file_of_another_owner_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->path, "alice deploy\n", 0644);
	assert_trusted_refused(f->path, getuid() + 1, 4096);
}

static void test_trusted_file_that_is_a_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_trusted_refused(f->path, getuid(), 4096);
}

static void test_trusted_file_that_is_missing_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_trusted_refused(f->path, getuid(), 4096);
}

/* A file of LEN 'x' bytes at F's path. */
static void write_sized_file(const struct fixture *f, size_t len)
{
	char *text = malloc(len + 1);
	assert_non_null(text);
	memset(text, 'x', len);
	write_bytes(f->path, text, len, 0644);
	free(text);
}

static void test_trusted_file_of_exactly_max_size_is_accepted(void **state)
{
	struct fixture *f = *state;
	const size_t sizes[] = { 10, 4096, 10000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_sized_file(f, sizes[i]);
		char *content = NULL;
		assert_int_equal(read_trusted(f->path, getuid(), sizes[i], &content), 0);
		assert_int_equal(strlen(content), sizes[i]);
		secret_free(content);
	}
}

static void test_trusted_file_one_byte_over_max_size_is_refused(void **state)
{
	struct fixture *f = *state;
	const size_t sizes[] = { 10, 4096, 10000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_sized_file(f, sizes[i] + 1);
		assert_trusted_refused(f->path, getuid(), sizes[i]);
	}
}

static void test_trusted_file_with_a_nul_byte_is_refused(void **state)
{
	struct fixture *f = *state;
	write_bytes(f->path, "alice deploy\0root root\n", 23, 0644);
	assert_trusted_refused(f->path, getuid(), 4096);
}

static void test_trusted_file_that_is_empty_gives_an_empty_string(void **state)
{
	struct fixture *f = *state;
	write_file(f->path, "", 0644);
	char *content = NULL;
	assert_int_equal(read_trusted(f->path, getuid(), 4096, &content), 0);
	assert_non_null(content);
	assert_string_equal(content, "");
	secret_free(content);
}

/* ---- oauth2_config_load: the trust rules ---- */

#define ISSUER_ONLY                                                                                                    \
	"issuer = https://idp.example\n"                                                                               \
	"client_id = pam-host\n"

#define ENDPOINTS_ONLY                                                                                                 \
	"device_authorization_endpoint = https://idp.example/device/auth\n"                                            \
	"token_endpoint = https://idp.example/token\n"                                                                 \
	"client_id = pam-host\n"

/* Writes TEXT as the config file and loads it; returns the loader's result. */
static int load_text(struct fixture *f, const char *text, struct oauth2_config *config, char *error, size_t error_size)
{
	write_file(f->config_path, text, 0644);
	error[0] = '\0';
	return oauth2_config_load(config, 0, NULL, f->config_path, getuid(), error, error_size);
}

static void load_ok(struct fixture *f, const char *text, struct oauth2_config *config)
{
	char error[512];
	if (load_text(f, text, config, error, sizeof(error)) != 0)
		fail_msg("load failed: %s\n--- config ---\n%s", error, text);
}

/* The load must fail, and ERROR mention NEEDLE (when not NULL). */
static void load_fails(struct fixture *f, const char *text, const char *needle)
{
	struct oauth2_config config;
	char error[512];
	if (load_text(f, text, &config, error, sizeof(error)) == 0) {
		oauth2_config_free(&config);
		fail_msg("load succeeded\n--- config ---\n%s", text);
	}
	assert_true(strlen(error) > 0);
	if (needle != NULL)
		assert_mentions(error, needle);
}

static void test_config_issuer_alone_loads_and_leaves_endpoints_unset(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY, &config);
	assert_string_equal(config.issuer, "https://idp.example");
	assert_null(config.device_authorization_endpoint);
	assert_null(config.token_endpoint);
	assert_null(config.userinfo_endpoint);
	assert_null(config.introspection_endpoint);
	assert_null(config.jwks_uri);
	oauth2_config_free(&config);
}

static void test_config_without_issuer_or_both_endpoints_is_refused(void **state)
{
	struct fixture *f = *state;
	load_fails(f, "client_id = pam-host\n", "issuer");
	load_fails(f, "client_id = pam-host\ntoken_endpoint = https://idp.example/token\n", "issuer");
	load_fails(f, "client_id = pam-host\ndevice_authorization_endpoint = https://idp.example/d\n", "issuer");
	load_fails(f, "client_id = pam-host\nuserinfo_endpoint = https://idp.example/me\n", "issuer");
}

static void test_config_both_endpoints_without_issuer_load(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, ENDPOINTS_ONLY, &config);
	assert_null(config.issuer);
	oauth2_config_free(&config);
}

static void test_config_allowed_algs_with_an_unsupported_entry_is_refused(void **state)
{
	struct fixture *f = *state;
	const char *lines[] = {
		"allowed_algs = none\n",        "allowed_algs = HS256\n",       "allowed_algs = RS256 none\n",
		"allowed_algs = RS256 HS512\n", "allowed_algs = RS256 XS999\n", "allowed_algs = rs256\n",
		"allowed_algs = RS2560\n",      "allowed_algs = RS25\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), ISSUER_ONLY "%s", lines[i]);
		load_fails(f, text, "allowed_algs");
	}
}

static void test_config_allowed_algs_subset_is_accepted(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY "allowed_algs = ES256  RS256 EdDSA\n", &config);
	assert_string_equal(config.allowed_algs, "ES256  RS256 EdDSA");
	oauth2_config_free(&config);
}

static void test_config_scope_source_jwt_needs_audience_and_issuer(void **state)
{
	struct fixture *f = *state;
	load_fails(f, ISSUER_ONLY "scope_source = jwt\n", "audience");
	load_fails(f, ENDPOINTS_ONLY "scope_source = jwt\naudience = https://api.example\n", "issuer");
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY "scope_source = jwt\naudience = https://api.example\n", &config);
	assert_int_equal(config.scope_source, SCOPE_SOURCE_JWT);
	assert_string_equal(config.audience, "https://api.example");
	oauth2_config_free(&config);
}

static void test_config_audience_with_auto_sources_needs_issuer(void **state)
{
	/* scope_source=auto resolves to jwt with an audience: without an issuer, iss could not be checked. */
	struct fixture *f = *state;
	load_fails(f, ENDPOINTS_ONLY "audience = https://api.example\n", "issuer");
	struct oauth2_config config;
	load_ok(f, ENDPOINTS_ONLY "audience = https://api.example\nscope_source = introspection\n", &config);
	oauth2_config_free(&config);
}

static void test_config_identity_source_jwt_needs_audience_and_issuer(void **state)
{
	struct fixture *f = *state;
	load_fails(f, ISSUER_ONLY "identity_source = jwt\n", "audience");
	load_fails(f, ENDPOINTS_ONLY "identity_source = jwt\naudience = https://api.example\n", "issuer");
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY "identity_source = jwt\naudience = https://api.example\n", &config);
	assert_int_equal(config.identity_source, IDENTITY_SOURCE_JWT);
	oauth2_config_free(&config);
}

static void test_config_identity_source_id_token_needs_issuer_and_openid(void **state)
{
	struct fixture *f = *state;
	load_fails(f, ENDPOINTS_ONLY "identity_source = id_token\n", "id_token");
	load_fails(f, ISSUER_ONLY "identity_source = id_token\nscope = profile ssh:login\n", "openid");
	load_fails(f, ISSUER_ONLY "identity_source = id_token\nscope = openid2 xopenid\n", "openid");
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY "identity_source = id_token\nscope = profile openid\n", &config);
	assert_int_equal(config.identity_source, IDENTITY_SOURCE_ID_TOKEN);
	oauth2_config_free(&config);
}

static void test_config_audience_must_be_an_absolute_uri(void **state)
{
	struct fixture *f = *state;
	load_fails(f, ISSUER_ONLY "audience = api.example\n", "audience");
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY "audience = urn:example:api\n", &config);
	assert_string_equal(config.audience, "urn:example:api");
	oauth2_config_free(&config);
}

/* Into OUT: ISSUER_ONLY and a username_map line naming F's map file. */
static void config_with_map(const struct fixture *f, char *out, size_t size)
{
	snprintf(out, size, ISSUER_ONLY "username_map = %s\n", f->map_path);
}

static void test_config_username_map_is_read_into_its_content(void **state)
{
	struct fixture *f = *state;
	const char *map = "# map\nalice alice,deploy\nbob db\n";
	write_file(f->map_path, map, 0600);
	char text[512];
	config_with_map(f, text, sizeof(text));
	struct oauth2_config config;
	load_ok(f, text, &config);
	assert_string_equal(config.username_map, f->map_path);
	assert_string_equal(config.username_map_content, map);
	oauth2_config_free(&config);
	assert_null(config.username_map_content);
}

static void test_config_username_map_bad_line_is_named_by_path_and_line(void **state)
{
	struct fixture *f = *state;
	write_file(f->map_path, "# map\nalice alice\n\nbob a,,b\n", 0644);
	char text[512], where[PATH_SIZE + 8];
	config_with_map(f, text, sizeof(text));
	snprintf(where, sizeof(where), "%s:4", f->map_path);
	load_fails(f, text, where);
}

static void test_config_username_map_writable_by_group_or_others_is_refused(void **state)
{
	struct fixture *f = *state;
	char text[512];
	config_with_map(f, text, sizeof(text));
	write_file(f->map_path, "alice alice\n", 0664);
	load_fails(f, text, f->map_path);
	write_file(f->map_path, "alice alice\n", 0646);
	load_fails(f, text, f->map_path);
}

static void test_config_username_map_readable_by_others_is_accepted(void **state)
{
	struct fixture *f = *state;
	write_file(f->map_path, "alice alice\n", 0644);
	char text[512];
	config_with_map(f, text, sizeof(text));
	struct oauth2_config config;
	load_ok(f, text, &config);
	assert_string_equal(config.username_map_content, "alice alice\n");
	oauth2_config_free(&config);
}

static void test_config_username_map_that_is_missing_or_a_symlink_is_refused(void **state)
{
	struct fixture *f = *state;
	char text[512], target[PATH_SIZE];
	config_with_map(f, text, sizeof(text));
	load_fails(f, text, f->map_path);
	snprintf(target, sizeof(target), "%s/real.map", f->dir);
	write_file(target, "alice alice\n", 0644);
	assert_int_equal(symlink(target, f->map_path), 0);
	load_fails(f, text, f->map_path);
}

static void test_config_without_username_map_has_no_map_content(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY, &config);
	assert_null(config.username_map);
	assert_null(config.username_map_content);
	oauth2_config_free(&config);
}

static void test_config_defaults_of_the_trust_keys(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, ISSUER_ONLY, &config);
	assert_int_equal(config.leeway, 60);
	assert_int_equal(config.scope_source, SCOPE_SOURCE_AUTO);
	assert_int_equal(config.identity_source, IDENTITY_SOURCE_AUTO);
	assert_string_equal(config.groups_claim, "groups");
	assert_string_equal(config.require_group, "");
	assert_int_equal(config.username_case, USERNAME_CASE_SENSITIVE);
	assert_true(config.export_claims);
	assert_string_equal(config.allowed_algs, JWS_SUPPORTED_ALGS);
	assert_string_equal(config.allowed_algs, "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA");
	assert_null(config.audience);
	assert_null(config.username_suffix);
	oauth2_config_free(&config);
}

#define FILE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_claim_equal_to_the_user_is_allowed),
		cmocka_unit_test(test_identity_other_value_is_a_mismatch_named_in_the_detail),
		cmocka_unit_test(test_identity_reads_the_configured_claim_only),
		cmocka_unit_test(test_identity_username_claim_may_be_any_string_claim),
		cmocka_unit_test(test_identity_case_difference_is_a_mismatch_by_default),
		cmocka_unit_test(test_identity_case_difference_is_allowed_with_ignore_case),
		cmocka_unit_test(test_identity_prefix_or_extension_is_a_mismatch),
		cmocka_unit_test(test_identity_mismatch_detail_is_sanitized),
		cmocka_unit_test(test_identity_long_claim_is_shown_cut_with_an_ellipsis),
		cmocka_unit_test(test_identity_detail_fits_a_small_buffer),
		cmocka_unit_test(test_identity_missing_claim_is_claim_missing),
		cmocka_unit_test(test_identity_claim_of_wrong_type_is_claim_missing),
		cmocka_unit_test(test_identity_whole_number_claim_compares_as_decimal_text),
		cmocka_unit_test(test_identity_empty_claim_is_claim_missing),
		cmocka_unit_test(test_identity_claims_that_are_not_an_object_are_claim_missing),
		cmocka_unit_test(test_identity_nul_inside_claim_is_claim_missing),
		cmocka_unit_test(test_identity_claim_longer_than_the_maximum_is_claim_missing),
		cmocka_unit_test(test_identity_claim_of_the_maximum_length_is_compared),
		cmocka_unit_test(test_identity_string_claim_returns_the_value_or_null),
		cmocka_unit_test(test_suffix_is_required_and_stripped),
		cmocka_unit_test(test_suffix_stripped_identity_must_still_equal_the_user),
		cmocka_unit_test(test_suffix_of_another_domain_is_suffix_mismatch),
		cmocka_unit_test(test_suffix_alone_is_suffix_mismatch),
		cmocka_unit_test(test_suffix_followed_by_more_text_is_suffix_mismatch),
		cmocka_unit_test(test_suffix_compare_is_case_sensitive_by_default),
		cmocka_unit_test(test_suffix_compare_ignores_case_with_ignore_case),
		cmocka_unit_test(test_email_identity_needs_email_verified_true),
		cmocka_unit_test(test_email_verified_matters_only_for_the_email_claim),
		cmocka_unit_test(test_email_claims_without_email_verified_are_not_sufficient),
		cmocka_unit_test(test_map_allows_a_listed_pair),
		cmocka_unit_test(test_map_refuses_an_unlisted_user_as_not_mapped),
		cmocka_unit_test(test_map_replaces_the_identity_equals_user_rule),
		cmocka_unit_test(test_map_line_may_list_several_users),
		cmocka_unit_test(test_map_lines_for_one_identity_add_up),
		cmocka_unit_test(test_map_entry_for_another_identity_does_not_help),
		cmocka_unit_test(test_map_identity_compares_ignoring_case_only_with_ignore_case),
		cmocka_unit_test(test_map_local_user_compares_exactly_even_with_ignore_case),
		cmocka_unit_test(test_map_with_suffix_looks_up_the_stripped_identity),
		cmocka_unit_test(test_group_one_of_several_required_is_enough),
		cmocka_unit_test(test_group_none_of_the_required_is_group_missing),
		cmocka_unit_test(test_group_checked_only_after_the_identity),
		cmocka_unit_test(test_group_claim_may_be_one_string),
		cmocka_unit_test(test_group_array_skips_items_that_are_not_strings),
		cmocka_unit_test(test_group_claim_absent_is_group_missing),
		cmocka_unit_test(test_group_claim_of_wrong_type_is_group_missing),
		cmocka_unit_test(test_group_with_a_nul_inside_is_not_that_group),
		cmocka_unit_test(test_map_lines_that_are_not_valid_grant_nothing),
		cmocka_unit_test(test_group_object_names_its_groups_by_its_members),
		cmocka_unit_test(test_required_claims_must_hold_exactly),
		cmocka_unit_test(test_groups_claim_name_is_configurable),
		cmocka_unit_test(test_no_required_group_ignores_the_groups_claim),
		cmocka_unit_test(test_claims_sufficient_needs_the_username_claim),
		cmocka_unit_test(test_claims_sufficient_needs_groups_only_when_groups_are_required),
		cmocka_unit_test(test_map_comments_blank_lines_tabs_and_crlf_are_valid),
		cmocka_unit_test(test_map_crlf_is_not_part_of_the_user),
		cmocka_unit_test(test_map_comment_lines_grant_nothing),
		cmocka_unit_test(test_map_identity_alone_is_a_bad_line),
		cmocka_unit_test(test_map_empty_user_in_the_list_is_a_bad_line),
		cmocka_unit_test(test_map_three_fields_is_a_bad_line),
		cmocka_unit_test(test_map_control_character_is_a_bad_line),
		cmocka_unit_test(test_map_del_character_is_a_bad_line),
		cmocka_unit_test(test_map_first_bad_line_is_reported),
		cmocka_unit_test(test_map_last_line_without_newline_is_read),
		cmocka_unit_test(test_map_empty_is_valid_and_allows_nobody),
		cmocka_unit_test(test_introspection_active_token_gives_its_scope),
		cmocka_unit_test(test_introspection_without_scope_gives_no_scope),
		cmocka_unit_test(test_introspection_inactive_token_is_refused),
		cmocka_unit_test(test_introspection_token_of_another_client_is_refused),
		cmocka_unit_test(test_introspection_client_id_with_nul_inside_is_another_client),
		cmocka_unit_test(test_introspection_our_client_id_or_none_is_accepted),
		cmocka_unit_test(test_introspection_expired_beyond_leeway_is_refused),
		cmocka_unit_test(test_introspection_expired_within_leeway_is_accepted),
		cmocka_unit_test(test_introspection_exp_that_is_not_a_time_is_refused),
		cmocka_unit_test(test_introspection_scope_with_invalid_characters_is_refused),
		cmocka_unit_test(test_introspection_body_that_is_not_a_json_object_is_refused),
		cmocka_unit_test(test_introspection_claims_hold_the_whole_object),
		cmocka_unit_test(test_metadata_valid_document_fills_every_endpoint),
		cmocka_unit_test(test_metadata_issuer_differing_in_any_way_is_refused),
		cmocka_unit_test(test_metadata_without_issuer_is_refused),
		cmocka_unit_test(test_metadata_endpoint_that_is_not_https_is_refused),
		cmocka_unit_test(test_metadata_absent_endpoints_are_null),
		cmocka_unit_test(test_metadata_that_is_not_a_json_object_is_refused),
		cmocka_unit_test(test_openid_url_appends_the_well_known_path),
		cmocka_unit_test(test_openid_url_drops_a_trailing_slash),
		cmocka_unit_test(test_openid_url_keeps_the_issuer_path_before_the_well_known_part),
		cmocka_unit_test(test_rfc8414_url_appends_the_well_known_path),
		cmocka_unit_test(test_rfc8414_url_puts_the_issuer_path_after_the_well_known_part),
		cmocka_unit_test(test_rfc8414_url_of_a_root_issuer_has_no_trailing_slash),
		cmocka_unit_test(test_rfc8414_url_drops_the_trailing_slash_of_an_issuer_path),
		cmocka_unit_test(test_scope_source_explicit_choice_is_kept),
		cmocka_unit_test(test_scope_source_auto_is_jwt_with_an_audience),
		cmocka_unit_test(test_scope_source_auto_is_introspection_without_audience_when_usable),
		cmocka_unit_test(test_scope_source_auto_is_response_otherwise),
		cmocka_unit_test(test_identity_order_explicit_choice_gives_that_one_source),
		cmocka_unit_test(test_identity_order_auto_tries_every_available_source_best_first),
		cmocka_unit_test(test_identity_order_auto_leaves_out_what_is_not_available),
		cmocka_unit_test(test_identity_order_auto_has_jwt_only_when_scopes_come_from_the_jwt),
		cmocka_unit_test(test_identity_order_auto_with_nothing_available_is_empty),
		cmocka_unit_test(test_source_names_match_the_config_choices),
		cmocka_unit_test(test_source_names_of_unknown_values_are_a_placeholder),
		cmocka_unit_test(test_https_url_accepts_a_host),
		cmocka_unit_test(test_https_url_accepts_a_host_with_port_path_and_query),
		cmocka_unit_test(test_https_url_refuses_other_schemes),
		cmocka_unit_test(test_https_url_refuses_a_missing_host),
		cmocka_unit_test(test_https_url_refuses_spaces_controls_and_non_ascii),
		FILE_TEST(test_trusted_file_0644_is_read_whole),
		FILE_TEST(test_trusted_file_writable_by_group_is_refused),
		FILE_TEST(test_trusted_file_writable_by_others_is_refused),
		FILE_TEST(test_trusted_file_symlink_is_refused),
		FILE_TEST(test_trusted_file_of_another_owner_is_refused),
		FILE_TEST(test_trusted_file_that_is_a_directory_is_refused),
		FILE_TEST(test_trusted_file_that_is_missing_is_refused),
		FILE_TEST(test_trusted_file_of_exactly_max_size_is_accepted),
		FILE_TEST(test_trusted_file_one_byte_over_max_size_is_refused),
		FILE_TEST(test_trusted_file_with_a_nul_byte_is_refused),
		FILE_TEST(test_trusted_file_that_is_empty_gives_an_empty_string),
		FILE_TEST(test_config_issuer_alone_loads_and_leaves_endpoints_unset),
		FILE_TEST(test_config_without_issuer_or_both_endpoints_is_refused),
		FILE_TEST(test_config_both_endpoints_without_issuer_load),
		FILE_TEST(test_config_allowed_algs_with_an_unsupported_entry_is_refused),
		FILE_TEST(test_config_allowed_algs_subset_is_accepted),
		FILE_TEST(test_config_scope_source_jwt_needs_audience_and_issuer),
		FILE_TEST(test_config_audience_with_auto_sources_needs_issuer),
		FILE_TEST(test_config_identity_source_jwt_needs_audience_and_issuer),
		FILE_TEST(test_config_identity_source_id_token_needs_issuer_and_openid),
		FILE_TEST(test_config_audience_must_be_an_absolute_uri),
		FILE_TEST(test_config_username_map_is_read_into_its_content),
		FILE_TEST(test_config_username_map_bad_line_is_named_by_path_and_line),
		FILE_TEST(test_config_username_map_writable_by_group_or_others_is_refused),
		FILE_TEST(test_config_username_map_readable_by_others_is_accepted),
		FILE_TEST(test_config_username_map_that_is_missing_or_a_symlink_is_refused),
		FILE_TEST(test_config_without_username_map_has_no_map_content),
		FILE_TEST(test_config_defaults_of_the_trust_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
