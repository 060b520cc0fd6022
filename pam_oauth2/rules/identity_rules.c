#include "config.h"

#include "rules/identity_rules.h"

#include "util/sanitize.h"
#include "util/strbuf.h"
#include "rules/scope_set.h"
#include "rules/username_map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *identity_string_claim(struct json_object *claims, const char *name)
{
	struct json_object *field;
	if (claims == NULL || !json_object_object_get_ex(claims, name, &field) ||
	    !json_object_is_type(field, json_type_string))
		return NULL;
	const char *text = json_object_get_string(field);
	size_t len = (size_t)json_object_get_string_len(field);
	/* A NUL inside would let "alice\0x" compare as "alice". */
	if (len == 0 || len > IDENTITY_CLAIM_MAX || strlen(text) != len)
		return NULL;
	return text;
}

const char *identity_claim_text(struct json_object *claims, const char *name, char number[IDENTITY_NUMBER_TEXT])
{
	struct json_object *field;
	if (claims != NULL && json_object_object_get_ex(claims, name, &field) &&
	    json_object_is_type(field, json_type_int)) {
		/* json-c saturates at INT64_MAX: a number that large is no id anyone has. */
		int64_t value = json_object_get_int64(field);
		if (value < 0 || value == INT64_MAX)
			return NULL;
		snprintf(number, IDENTITY_NUMBER_TEXT, "%lld", (long long)value);
		return number;
	}
	return identity_string_claim(claims, name);
}

bool identity_claim_is_mutable(const char *claim)
{
	/* OIDC Core §5.1's names and the common IdPs' own (Entra upn and unique_name, GitHub
	 * login): each can be renamed, and a freed one handed to someone else. */
	static const char *const mutable_claims[] = {
		"preferred_username", "email", "upn",      "unique_name",  "name",    "nickname", "given_name",
		"family_name",        "login", "username", "phone_number", "website", "profile",
	};
	for (size_t i = 0; i < sizeof(mutable_claims) / sizeof(mutable_claims[0]); i++) {
		if (strcmp(claim, mutable_claims[i]) == 0)
			return true;
	}
	return false;
}

bool identity_claim_present(struct json_object *claims, const char *name)
{
	struct json_object *field = NULL;
	return claims != NULL && json_object_object_get_ex(claims, name, &field) && field != NULL;
}

static bool has_group(struct json_object *claims, const char *groups_claim, const char *required)
{
	struct json_object *groups;
	if (!json_object_object_get_ex(claims, groups_claim, &groups))
		return false;
	/* One group may come as a plain string; several as an array of strings; or as an
	 * object whose member names are the groups (ZITADEL's roles claim:
	 * {"role": {"org id": "org domain"}}). */
	if (json_object_is_type(groups, json_type_string))
		return scope_set_contains(required, json_object_get_string(groups),
					  (size_t)json_object_get_string_len(groups));
	if (json_object_is_type(groups, json_type_object)) {
		json_object_object_foreach(groups, name, value)
		{
			(void)value;
			if (name[0] != '\0' && scope_set_contains(required, name, strlen(name)))
				return true;
		}
		return false;
	}
	if (!json_object_is_type(groups, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		struct json_object *group = json_object_array_get_idx(groups, i);
		if (!json_object_is_type(group, json_type_string))
			continue;
		const char *name = json_object_get_string(group);
		size_t len = (size_t)json_object_get_string_len(group);
		if (strlen(name) == len && len > 0 && scope_set_contains(required, name, len))
			return true;
	}
	return false;
}

/* OIDC Core §5.1: an address names a person only when the IdP says it verified it. */
static bool names_an_email(const struct identity_rules *rules)
{
	return strcmp(rules->username_claim, "email") == 0;
}

/* email_verified must be the JSON boolean true, in the same claims as the address. */
static bool email_verified(struct json_object *claims)
{
	struct json_object *field;
	return json_object_object_get_ex(claims, "email_verified", &field) &&
	       json_object_is_type(field, json_type_boolean) && json_object_get_boolean(field);
}

/* Each NAME=VALUE of REQUIRE (space separated) must be a claim of exactly that value, as
 * text (Google Workspace's hd=example.com, Entra's tid=...). DETAIL names the first that
 * fails. True when all hold, or none is required. */
static bool required_claims_hold(struct json_object *claims, const char *require, char *detail, size_t detail_size)
{
	const char *cursor = require != NULL ? require : "";
	while (*cursor != '\0') {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		const char *pair = cursor + skip;
		cursor += skip + len;
		const char *equals = memchr(pair, '=', len);
		if (len == 0)
			continue;
		char name[IDENTITY_CLAIM_MAX + 1], number[IDENTITY_NUMBER_TEXT];
		size_t name_len = equals != NULL ? (size_t)(equals - pair) : len;
		if (equals == NULL || name_len == 0 || name_len > IDENTITY_CLAIM_MAX) {
			snprintf(detail, detail_size, "require_claim '%.*s' is not NAME=VALUE",
				 (int)(len < 64 ? len : 64), pair);
			return false;
		}
		memcpy(name, pair, name_len);
		name[name_len] = '\0';
		const char *want = equals + 1;
		size_t want_len = len - name_len - 1;
		const char *value = identity_claim_text(claims, name, number);
		if (value == NULL || strlen(value) != want_len || memcmp(value, want, want_len) != 0) {
			char *shown = value != NULL ? sanitize_for_terminal(value, strlen(value), 96) : NULL;
			snprintf(detail, detail_size, "claim '%s' is %s%s%s, not '%.*s' (require_claim)", name,
				 value != NULL ? "'" : "absent", value != NULL ? (shown != NULL ? shown : "?") : "",
				 value != NULL ? "'" : "", (int)want_len, want);
			secret_free(shown);
			return false;
		}
	}
	return true;
}

/* True when every claim REQUIRE names is present (so auto may look elsewhere when not). */
static bool required_claims_present(struct json_object *claims, const char *require)
{
	const char *cursor = require != NULL ? require : "";
	while (*cursor != '\0') {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		const char *pair = cursor + skip, *equals = memchr(pair, '=', len);
		cursor += skip + len;
		if (len == 0 || equals == NULL || equals == pair || (size_t)(equals - pair) > IDENTITY_CLAIM_MAX)
			continue;
		char name[IDENTITY_CLAIM_MAX + 1];
		memcpy(name, pair, (size_t)(equals - pair));
		name[equals - pair] = '\0';
		if (!identity_claim_present(claims, name))
			return false;
	}
	return true;
}

bool identity_claims_sufficient(struct json_object *claims, const struct identity_rules *rules)
{
	if (!required_claims_present(claims, rules->require_claim))
		return false;
	char number[IDENTITY_NUMBER_TEXT];
	if (identity_claim_text(claims, rules->username_claim, number) == NULL)
		return false;
	if (names_an_email(rules) && !identity_claim_present(claims, "email_verified"))
		return false;
	bool groups_needed = rules->require_group != NULL && rules->require_group[0] != '\0';
	return !groups_needed || (claims != NULL && json_object_object_get_ex(claims, rules->groups_claim, NULL));
}

static bool ends_with(const char *text, size_t len, const char *suffix, size_t suffix_len, bool ignore_case)
{
	if (len <= suffix_len)
		return false;
	const char *tail = text + len - suffix_len;
	return ignore_case ? ascii_equal_ignoring_case(tail, suffix, suffix_len)
			   : memcmp(tail, suffix, suffix_len) == 0;
}

/* Whether the identity VALUE (SHOWN for the log) may become LOCAL_USER: the email rule,
 * the suffix, the map or equality. */
static enum identity_verdict bind_to_user(struct json_object *claims, const struct identity_rules *rules,
					  const char *value, const char *shown, const char *local_user, char *detail,
					  size_t detail_size)
{
	enum identity_verdict verdict = IDENTITY_ALLOWED;
	char *identity = NULL;
	if (names_an_email(rules) && !email_verified(claims)) {
		snprintf(detail, detail_size, "email='%s' is not verified (email_verified is not true)",
			 shown ? shown : "?");
		verdict = IDENTITY_EMAIL_UNVERIFIED;
		goto done;
	}
	/* The identity as compared: the claim, less the required suffix. */
	size_t identity_len = strlen(value);
	if (rules->username_suffix != NULL) {
		size_t suffix_len = strlen(rules->username_suffix);
		if (!ends_with(value, identity_len, rules->username_suffix, suffix_len, rules->ignore_case)) {
			snprintf(detail, detail_size, "%s='%s' lacks the suffix '%s'", rules->username_claim,
				 shown ? shown : "?", rules->username_suffix);
			verdict = IDENTITY_SUFFIX_MISMATCH;
			goto done;
		}
		identity_len -= suffix_len;
	}
	identity = strndup(value, identity_len);
	if (identity == NULL) {
		snprintf(detail, detail_size, "out of memory");
		verdict = IDENTITY_MISMATCH;
		goto done;
	}
	if (rules->username_map != NULL) {
		if (!username_map_allows(rules->username_map, identity, local_user, rules->ignore_case)) {
			snprintf(detail, detail_size, "%s='%s': the username map has no entry for this user",
				 rules->username_claim, shown ? shown : "?");
			verdict = IDENTITY_NOT_MAPPED;
			goto done;
		}
	} else if (strlen(identity) != strlen(local_user) ||
		   !(rules->ignore_case ? ascii_equal_ignoring_case(identity, local_user, strlen(local_user))
					: memcmp(identity, local_user, strlen(local_user)) == 0)) {
		snprintf(detail, detail_size, "approved by %s='%s', not the PAM user", rules->username_claim,
			 shown ? shown : "?");
		verdict = IDENTITY_MISMATCH;
		goto done;
	}
done:
	secret_free(identity);
	return verdict;
}

enum identity_verdict identity_decide(struct json_object *claims, const struct identity_rules *rules,
				      const char *local_user, char *detail, size_t detail_size)
{
	char number[IDENTITY_NUMBER_TEXT];
	const char *value = identity_claim_text(claims, rules->username_claim, number);
	if (value == NULL) {
		snprintf(detail, detail_size, "claim '%s' missing or not a string", rules->username_claim);
		return IDENTITY_CLAIM_MISSING;
	}
	char *shown = sanitize_for_terminal(value, strlen(value), 96);
	enum identity_verdict verdict =
	    rules->any_user ? IDENTITY_ALLOWED
			    : bind_to_user(claims, rules, value, shown, local_user, detail, detail_size);
	if (verdict != IDENTITY_ALLOWED)
		goto done;
	if (!required_claims_hold(claims, rules->require_claim, detail, detail_size)) {
		verdict = IDENTITY_CLAIM_MISMATCH;
		goto done;
	}
	if (rules->require_group != NULL && rules->require_group[0] != '\0' &&
	    !has_group(claims, rules->groups_claim, rules->require_group)) {
		snprintf(detail, detail_size, "%s='%s' is in none of the groups '%s' (claim '%s')",
			 rules->username_claim, shown ? shown : "?", rules->require_group, rules->groups_claim);
		verdict = IDENTITY_GROUP_MISSING;
		goto done;
	}
	/* Which rule let this identity in, for the log and the check tool. */
	snprintf(detail, detail_size, "%s='%s'", rules->username_claim, shown ? shown : "?");
	if (rules->any_user)
		snprintf(detail + strlen(detail), detail_size - strlen(detail), " (%s)",
			 rules->require_group != NULL && rules->require_group[0] != '\0' ? "in an approver group"
											 : "any identity");
	else if (rules->username_map != NULL || rules->username_suffix != NULL ||
		 (rules->require_group != NULL && rules->require_group[0] != '\0'))
		snprintf(detail + strlen(detail), detail_size - strlen(detail), " (%s%s%s)",
			 rules->username_suffix != NULL ? "suffix stripped, " : "",
			 rules->username_map != NULL ? "listed in the username map" : "equals the user",
			 rules->require_group != NULL && rules->require_group[0] != '\0' ? ", in a required group"
											 : "");
done:
	secret_free(shown);
	return verdict;
}
