/* libFuzzer target: a userinfo or introspection answer (RFC 7662 §2.2) checked by
 * introspection_check, then its claims judged by identity_decide under two fixed rule
 * sets, one with a suffix, a username map, required groups and case folding. */
#include "fuzz_common.h"

#include "rules/identity_rules.h"
#include "idp/introspection.h"
#include "rules/scope_set.h"

#define NOW 1700000000

static const char map[] = "# identity  local users\n"
			  "alice       alice,admin\n"
			  "Bob.Smith   bob\n"
			  "carol\tcarol\r\n";

static const struct identity_rules strict_rules = {
	.username_claim = "preferred_username",
	.username_suffix = "@example.com",
	.username_map = map,
	.require_group = "admins ssh-users",
	.groups_claim = "groups",
	.ignore_case = true,
};

static const struct identity_rules plain_rules = {
	.username_claim = "sub",
	.username_suffix = NULL,
	.username_map = NULL,
	.require_group = NULL,
	.groups_claim = "groups",
	.ignore_case = false,
};

static const char *const local_users[] = { "alice", "admin", "bob", "carol", "root" };

static void judge(struct json_object *claims, const struct identity_rules *rules)
{
	char detail[256];
	(void)identity_claims_sufficient(claims, rules);
	const char *name = identity_string_claim(claims, rules->username_claim);
	FUZZ_ASSERT(name == NULL || (strlen(name) >= 1 && strlen(name) <= IDENTITY_CLAIM_MAX));
	for (size_t i = 0; i < sizeof(local_users) / sizeof(local_users[0]); i++) {
		memset(detail, 'x', sizeof(detail));
		enum identity_verdict verdict = identity_decide(claims, rules, local_users[i], detail, sizeof(detail));
		FUZZ_ASSERT(verdict >= IDENTITY_ALLOWED && verdict <= IDENTITY_GROUP_MISSING);
		FUZZ_ASSERT(memchr(detail, '\0', sizeof(detail)) != NULL);
		FUZZ_ASSERT(fuzz_terminal_safe(detail));
		if (verdict == IDENTITY_ALLOWED)
			FUZZ_ASSERT(name != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *claims = NULL;
	const char *scope = NULL;
	const char *why = NULL;
	if (introspection_check((const char *)data, size, "ssh-login", NOW, 60, &claims, &scope, &why) != 0) {
		FUZZ_ASSERT(why != NULL);
		FUZZ_ASSERT(claims == NULL);
		return 0;
	}
	FUZZ_ASSERT(claims != NULL && scope != NULL);
	char missing[32];
	(void)scope_set_contains_all(scope, "openid ssh:login", missing, sizeof(missing));
	judge(claims, &strict_rules);
	judge(claims, &plain_rules);
	json_object_put(claims);
	return 0;
}
