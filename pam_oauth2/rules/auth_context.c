#include "config.h"

#include "rules/auth_context.h"

#include "rules/scope_set.h"
#include "util/sanitize.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An amr value or an acr: RFC 8176's are short; anything longer is no method we name. */
#define AUTH_CONTEXT_VALUE_MAX 256

static bool set(const char *text)
{
	return text != NULL && text[0] != '\0';
}

bool auth_context_required(const struct auth_context_rules *rules)
{
	return set(rules->require_amr) || set(rules->require_acr) || rules->max_auth_age > 0;
}

/* A usable string value: 1..AUTH_CONTEXT_VALUE_MAX bytes, no NUL inside. */
static const char *value_text(struct json_object *value)
{
	if (!json_object_is_type(value, json_type_string))
		return NULL;
	const char *text = json_object_get_string(value);
	size_t len = (size_t)json_object_get_string_len(value);
	return len > 0 && len <= AUTH_CONTEXT_VALUE_MAX && strlen(text) == len ? text : NULL;
}

/* True when the amr array holds the method NAME (LEN bytes). */
static bool amr_has(struct json_object *amr, const char *name, size_t len)
{
	for (size_t i = 0; i < json_object_array_length(amr); i++) {
		const char *method = value_text(json_object_array_get_idx(amr, i));
		if (method != NULL && strlen(method) == len && memcmp(method, name, len) == 0)
			return true;
	}
	return false;
}

/* "[pwd otp]", sanitized, for the log; NULL on no memory. */
static char *amr_shown(struct json_object *amr)
{
	struct strbuf text;
	strbuf_init(&text, 0);
	int rc = strbuf_append(&text, "[", 1);
	/* Only names value_text accepted get here; at most 16 of them are shown. */
	for (size_t i = 0; rc == 0 && i < json_object_array_length(amr) && i < 16; i++) {
		const char *method = value_text(json_object_array_get_idx(amr, i));
		char *shown = sanitize_for_terminal(method, strlen(method), 32);
		if (shown == NULL || (i > 0 && strbuf_append(&text, " ", 1) != 0) ||
		    strbuf_append(&text, shown, strlen(shown)) != 0)
			rc = -1;
		secret_free(shown);
	}
	if (rc != 0 || strbuf_append(&text, "]", 1) != 0) {
		strbuf_wipe_free(&text);
		return NULL;
	}
	return strbuf_release(&text);
}

static enum auth_context_verdict decide_amr(struct json_object *claims, const struct auth_context_rules *rules,
					    char *detail, size_t detail_size)
{
	struct json_object *amr;
	/* OIDC Core §2: amr is a JSON array of strings. */
	if (!json_object_object_get_ex(claims, "amr", &amr) || !json_object_is_type(amr, json_type_array)) {
		snprintf(detail, detail_size, "amr is missing or not an array (require_amr %s)", rules->require_amr);
		return AUTH_CONTEXT_AMR_INVALID;
	}
	for (size_t i = 0; i < json_object_array_length(amr); i++) {
		if (value_text(json_object_array_get_idx(amr, i)) == NULL) {
			snprintf(detail, detail_size, "amr holds a value that is not a method name");
			return AUTH_CONTEXT_AMR_INVALID;
		}
	}
	size_t found = 0, wanted = 0;
	for (const char *cursor = rules->require_amr; *cursor != '\0';) {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		if (len > 0) {
			wanted++;
			found += amr_has(amr, cursor + skip, len) ? 1 : 0;
		}
		cursor += skip + len;
	}
	if (rules->amr_all ? found == wanted : found > 0)
		return AUTH_CONTEXT_OK;
	char *shown = amr_shown(amr);
	snprintf(detail, detail_size, "amr %s lacks %s of [%s]%s", shown != NULL ? shown : "?",
		 rules->amr_all ? "some" : "any", rules->require_amr, rules->amr_all ? " (require_amr_mode=all)" : "");
	secret_free(shown);
	return AUTH_CONTEXT_AMR_LACKING;
}

static enum auth_context_verdict decide_acr(struct json_object *claims, const struct auth_context_rules *rules,
					    char *detail, size_t detail_size)
{
	struct json_object *field;
	const char *acr = json_object_object_get_ex(claims, "acr", &field) ? value_text(field) : NULL;
	if (acr == NULL) {
		snprintf(detail, detail_size, "acr is missing or not a string (require_acr %s)", rules->require_acr);
		return AUTH_CONTEXT_ACR_INVALID;
	}
	if (scope_set_contains(rules->require_acr, acr, strlen(acr)))
		return AUTH_CONTEXT_OK;
	char *shown = sanitize_for_terminal(acr, strlen(acr), 96);
	snprintf(detail, detail_size, "acr '%s' is none of [%s]", shown != NULL ? shown : "?", rules->require_acr);
	secret_free(shown);
	return AUTH_CONTEXT_ACR_MISMATCH;
}

static enum auth_context_verdict decide_auth_time(struct json_object *claims, const struct auth_context_rules *rules,
						  char *detail, size_t detail_size)
{
	struct json_object *field;
	/* OIDC Core §2: a JSON number of seconds; json-c saturates at INT64_MAX. */
	if (!json_object_object_get_ex(claims, "auth_time", &field) || !json_object_is_type(field, json_type_int) ||
	    json_object_get_int64(field) <= 0 || json_object_get_int64(field) == INT64_MAX) {
		snprintf(detail, detail_size, "auth_time is missing or not a number (max_auth_age %ld)",
			 rules->max_auth_age);
		return AUTH_CONTEXT_TIME_INVALID;
	}
	int64_t auth_time = json_object_get_int64(field);
	if (auth_time > rules->now + rules->leeway) {
		snprintf(detail, detail_size, "auth_time is %lld s in the future", (long long)(auth_time - rules->now));
		return AUTH_CONTEXT_TIME_INVALID;
	}
	int64_t age = rules->now - auth_time;
	if (age > rules->max_auth_age) {
		snprintf(detail, detail_size, "auth_time is %lld s old, max_auth_age %ld", (long long)age,
			 rules->max_auth_age);
		return AUTH_CONTEXT_TIME_TOO_OLD;
	}
	return AUTH_CONTEXT_OK;
}

enum auth_context_verdict auth_context_decide(struct json_object *claims, const struct auth_context_rules *rules,
					      char *detail, size_t detail_size)
{
	snprintf(detail, detail_size, "-");
	if (claims == NULL || !json_object_is_type(claims, json_type_object)) {
		snprintf(detail, detail_size, "no verified ID token to read amr, acr and auth_time from");
		return set(rules->require_amr)   ? AUTH_CONTEXT_AMR_INVALID
		       : set(rules->require_acr) ? AUTH_CONTEXT_ACR_INVALID
						 : AUTH_CONTEXT_TIME_INVALID;
	}
	enum auth_context_verdict verdict = AUTH_CONTEXT_OK;
	if (set(rules->require_amr))
		verdict = decide_amr(claims, rules, detail, detail_size);
	if (verdict == AUTH_CONTEXT_OK && set(rules->require_acr))
		verdict = decide_acr(claims, rules, detail, detail_size);
	if (verdict == AUTH_CONTEXT_OK && rules->max_auth_age > 0)
		verdict = decide_auth_time(claims, rules, detail, detail_size);
	return verdict;
}
