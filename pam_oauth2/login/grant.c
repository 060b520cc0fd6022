/* The grant judgement: which scopes were really granted (the response, introspection or
 * a verified JWT), and who really approved (ID token, JWT, introspection or userinfo)
 * under the identity rules. */
#include "config.h"

#include "login/grant.h"

#include "idp/github.h"
#include "idp/introspection.h"
#include "idp/keys.h"
#include "idp/userinfo.h"
#include "io/clock.h"
#include "login/session.h"
#include "rules/auth_context.h"
#include "rules/identity_rules.h"
#include "rules/scope_set.h"
#include "rules/source_select.h"
#include "util/json_fields.h"
#include "util/sanitize.h"
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Claims gathered for this login, each from one source; NULL when not (yet) obtained. */
struct evidence {
	struct json_object *access_token; /* verified JWT access token */
	struct json_object *introspection;
	struct json_object *id_token;
	struct json_object *userinfo;
	const char *scope; /* the authoritative granted scopes */
};

static void evidence_clear(struct evidence *evidence)
{
	/* Claims about the person and the grant: wiped like the tokens they came from. */
	json_object_wipe_put(evidence->access_token);
	json_object_wipe_put(evidence->introspection);
	json_object_wipe_put(evidence->id_token);
	json_object_wipe_put(evidence->userinfo);
}

static struct source_availability availability(const struct login *login)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = {
		.audience_set = config->audience != NULL,
		.introspection_usable =
		    login->idp.endpoints.introspection != NULL && config->client_auth != CLIENT_AUTH_NONE,
		.id_token_usable = config->issuer != NULL && login->idp.endpoints.jwks_uri != NULL &&
				   scope_set_contains(config->scope, "openid", 6),
		.userinfo_known = login->idp.endpoints.userinfo != NULL,
	};
	return available;
}

static enum login_result establish_scopes(struct login *login, const struct token_grant *grant,
					  enum scope_source source, struct evidence *evidence)
{
	switch (source) {
	case SCOPE_SOURCE_JWT: {
		enum login_result result = login_step(
		    login, idp_verify_access_token(&login->idp, grant->access_token, &evidence->access_token));
		if (result != LOGIN_CONTINUE)
			return result;
		/* RFC 9068 §2.2.3: the scope claim; none means nothing was granted. */
		struct json_object *scope;
		evidence->scope = "";
		if (json_object_object_get_ex(evidence->access_token, "scope", &scope)) {
			if (!json_object_is_type(scope, json_type_string) ||
			    !scope_set_is_valid(json_object_get_string(scope)))
				return login_fail(login, LOGIN_TOKEN_INVALID,
						  "access token's scope claim is not a scope string");
			evidence->scope = json_object_get_string(scope);
		}
		return LOGIN_CONTINUE;
	}
	case SCOPE_SOURCE_INTROSPECTION:
		if (login->idp.endpoints.introspection == NULL)
			return login_fail(login, LOGIN_CONFIG_ERROR,
					  "scope_source=introspection, but no endpoint is known");
		return login_step(login, idp_introspect(&login->idp, grant->access_token, &evidence->introspection,
							&evidence->scope));
	default:
		/* RFC 6749 §5.1: the response may leave scope out when it equals the request. */
		evidence->scope = grant->scope != NULL ? grant->scope : login->config->scope;
		return LOGIN_CONTINUE;
	}
}

/* Obtains the claims of SOURCE into *CLAIMS (borrowed from EVIDENCE). *ABSENT is set
 * when the source simply has nothing for this login (no ID token came back). */
static enum login_result identity_claims(struct login *login, const struct token_grant *grant,
					 enum identity_source source, struct evidence *evidence,
					 struct json_object **claims, bool *absent)
{
	enum login_result result = LOGIN_CONTINUE;
	*absent = false;
	switch (source) {
	case IDENTITY_SOURCE_ID_TOKEN:
		if (grant->id_token == NULL) {
			*absent = true;
			return login_fail(login, LOGIN_TOKEN_INVALID, "no id_token in the token response");
		}
		if (evidence->id_token == NULL)
			result =
			    login_step(login, idp_verify_id_token(&login->idp, grant->id_token, &evidence->id_token));
		*claims = evidence->id_token;
		break;
	case IDENTITY_SOURCE_JWT:
		if (evidence->access_token == NULL)
			result = login_step(
			    login, idp_verify_access_token(&login->idp, grant->access_token, &evidence->access_token));
		*claims = evidence->access_token;
		break;
	case IDENTITY_SOURCE_INTROSPECTION:
		if (evidence->introspection == NULL) {
			const char *scope;
			if (login->idp.endpoints.introspection == NULL)
				return login_fail(login, LOGIN_CONFIG_ERROR,
						  "identity from introspection, but no endpoint");
			result = login_step(
			    login, idp_introspect(&login->idp, grant->access_token, &evidence->introspection, &scope));
		}
		*claims = evidence->introspection;
		break;
	default:
		if (evidence->userinfo == NULL)
			result = login_step(login,
					    idp_fetch_userinfo(&login->idp, grant->access_token, &evidence->userinfo));
		*claims = evidence->userinfo;
		break;
	}
	return result;
}

/* OIDC Core §5.3.2: claims about the same login must be about the same subject. A sub
 * that is there but unusable (not a string, empty, too long, a NUL inside) refuses the
 * login: read as "absent" it would skip the comparison. identity_string_claim returns
 * only NUL-free strings, so strcmp compares them whole. */
static enum login_result check_same_subject(struct login *login, const struct evidence *evidence,
					    struct json_object *claims)
{
	struct json_object *sources[] = { claims, evidence->id_token, evidence->access_token, evidence->introspection,
					  evidence->userinfo };
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (identity_claim_present(sources[i], "sub") && identity_string_claim(sources[i], "sub") == NULL)
			return login_fail(login, LOGIN_TOKEN_INVALID,
					  "a sub claim is not a string of 1-%d bytes without NUL", IDENTITY_CLAIM_MAX);
	}
	const char *sub = identity_string_claim(claims, "sub");
	for (size_t i = 1; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const char *other = identity_string_claim(sources[i], "sub");
		if (sources[i] != claims && other != NULL && (sub == NULL || strcmp(sub, other) != 0))
			return login_fail(login, LOGIN_TOKEN_INVALID, "identity sources disagree on sub");
	}
	return LOGIN_CONTINUE;
}

static void keep_identity(struct login *login, struct json_object *claims)
{
	char number[IDENTITY_NUMBER_TEXT];
	const char *values[] = { identity_string_claim(claims, "sub"),
				 identity_claim_text(claims, login->config->username_claim, number) };
	char *fields[] = { login->identity->sub, login->identity->username };
	for (size_t i = 0; i < 2; i++) {
		fields[i][0] = '\0';
		/* Only plain visible text goes into the PAM environment. */
		if (values[i] != NULL && strlen(values[i]) < LOGIN_IDENTITY_MAX &&
		    is_visible_ascii(values[i], strlen(values[i])))
			memcpy(fields[i], values[i], strlen(values[i]) + 1);
	}
}

/* The granted scopes, from the configured source, must hold every required scope. */
static enum login_result check_scopes(struct login *login, const struct token_grant *grant, struct evidence *evidence,
				      enum scope_source *scope_source)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = availability(login);
	*scope_source = scope_source_resolve(config->scope_source, &available);
	enum login_result result = establish_scopes(login, grant, *scope_source, evidence);
	if (result != LOGIN_CONTINUE)
		return result;
	char *shown_scope = sanitize_for_terminal(evidence->scope, strlen(evidence->scope), 256);
	idp_debug(&login->idp, "granted scopes (scope_source=%s): '%s'", scope_source_name(*scope_source),
		  shown_scope != NULL ? shown_scope : "?");
	secret_free(shown_scope); /* copies of claims are wiped like the claims */
	char missing[128];
	if (!scope_set_contains_all(evidence->scope, config->require_scope, missing, sizeof(missing)))
		return login_fail(login, LOGIN_NOT_AUTHORIZED, "required scope '%s' not granted (scope_source=%s)",
				  missing, scope_source_name(*scope_source));
	return LOGIN_CONTINUE;
}

/* The identity rules of ROLE: the requester must be allowed to become the PAM user; the
 * four-eyes approver must be in approver_group, whoever they are. */
static struct identity_rules rules_for(const struct login *login, enum grant_role role)
{
	const struct oauth2_config *config = login->config;
	struct identity_rules rules = {
		.username_claim = config->username_claim,
		.username_suffix = config->username_suffix,
		.username_map = config->username_map_content,
		.require_group = config->require_group,
		.groups_claim = config->groups_claim,
		.require_claim = config->require_claim,
		/* uid 0 is matched exactly: an IdP account "Root" must not become root. */
		.ignore_case = config->username_case == USERNAME_CASE_INSENSITIVE && !login->context->user_is_superuser,
	};
	if (role == GRANT_APPROVER) {
		rules.username_suffix = NULL;
		rules.username_map = NULL;
		rules.require_group = config->approver_group;
		rules.any_user = true;
	}
	return rules;
}

/* The claims of the first configured identity source that has what RULES need (auto),
 * into *CLAIMS; *USED names the source. */
static enum login_result choose_identity(struct login *login, const struct token_grant *grant,
					 enum scope_source scope_source, const struct identity_rules *rules,
					 struct evidence *evidence, struct json_object **claims,
					 enum identity_source *used)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = availability(login);
	enum identity_source order[4];
	size_t count = identity_source_order(config->identity_source, &available, scope_source, order);
	if (count == 0)
		return login_fail(login, LOGIN_CONFIG_ERROR, "no identity source is available");
	enum login_result result = LOGIN_CONTINUE;
	for (size_t i = 0; i < count; i++) {
		bool absent = false, last = i + 1 == count;
		*used = order[i];
		result = identity_claims(login, grant, order[i], evidence, claims, &absent);
		/* In auto mode an absent ID token, or a source without the claims the rules
		 * need, hands over to the next source; a token that fails verification never does. */
		if (absent && !last && config->identity_source == IDENTITY_SOURCE_AUTO)
			continue;
		if (result != LOGIN_CONTINUE)
			return result;
		if (!last && config->identity_source == IDENTITY_SOURCE_AUTO &&
		    !identity_claims_sufficient(*claims, rules))
			continue;
		break;
	}
	return result;
}

/* require_amr, require_acr, max_auth_age: how the approver signed in, from the verified
 * ID token whatever source named them (its sub is then compared with the others'). */
static enum login_result check_auth_context(struct login *login, const struct token_grant *grant,
					    struct evidence *evidence)
{
	const struct oauth2_config *config = login->config;
	struct auth_context_rules rules = {
		.require_amr = config->require_amr,
		.amr_all = config->require_amr_mode == AMR_MODE_ALL,
		.require_acr = config->require_acr,
		.max_auth_age = config->max_auth_age,
		.now = clock_wall_seconds(),
		.leeway = config->leeway,
	};
	if (!auth_context_required(&rules))
		return LOGIN_CONTINUE;
	if (grant->id_token == NULL)
		return login_fail(login, LOGIN_NOT_AUTHORIZED,
				  "no id_token in the token response to read amr, acr and auth_time from");
	struct json_object *claims = NULL;
	bool absent;
	enum login_result result = identity_claims(login, grant, IDENTITY_SOURCE_ID_TOKEN, evidence, &claims, &absent);
	if (result != LOGIN_CONTINUE)
		return result;
	char detail[320];
	if (auth_context_decide(claims, &rules, detail, sizeof(detail)) != AUTH_CONTEXT_OK)
		return login_fail(login, LOGIN_NOT_AUTHORIZED, "%s (id_token)", detail);
	idp_debug(&login->idp, "sign-in context accepted (id_token)");
	return LOGIN_CONTINUE;
}

/* Four-eyes: the approver is someone else than the requester (OIDC Core §5.7: sub is the
 * one stable name); NAME gets the approver's name for the log. */
static enum login_result check_other_person(struct login *login, struct json_object *claims, char *name,
					    size_t name_size)
{
	const char *sub = identity_string_claim(claims, "sub");
	if (sub == NULL || login->requester_sub[0] == '\0')
		return login_fail(login, LOGIN_NOT_AUTHORIZED, "four-eyes approval needs a sub for both approvals");
	char number[IDENTITY_NUMBER_TEXT];
	const char *value = identity_claim_text(claims, login->config->username_claim, number);
	/* Visible ASCII only (no spaces): "approved_by=X for=Y" stays two words. */
	snprintf(name, name_size, "%s", value != NULL && is_visible_ascii(value, strlen(value)) ? value : "?");
	if (strcmp(sub, login->requester_sub) == 0)
		return login_fail(login, LOGIN_NOT_AUTHORIZED,
				  "four-eyes: the requester approved their own second code (same sub); approved_by=%s "
				  "for=%s",
				  name, login->identity->username);
	return LOGIN_CONTINUE;
}

enum login_result login_judge_grant(struct login *login, const struct token_grant *grant, enum grant_role role)
{
	const struct oauth2_config *config = login->config;
	struct evidence evidence = { 0 };
	enum scope_source scope_source;
	enum login_result result = check_scopes(login, grant, &evidence, &scope_source);
	if (result != LOGIN_CONTINUE)
		goto done;
	struct identity_rules rules = rules_for(login, role);
	struct json_object *claims = NULL;
	enum identity_source used = IDENTITY_SOURCE_AUTO;
	result = choose_identity(login, grant, scope_source, &rules, &evidence, &claims, &used);
	if (result == LOGIN_CONTINUE)
		result = check_auth_context(login, grant, &evidence);
	if (result == LOGIN_CONTINUE)
		result = check_same_subject(login, &evidence, claims);
	if (result != LOGIN_CONTINUE)
		goto done;
	/* GitHub has no groups claim: its memberships come from its REST API, with the same token. */
	if (config->groups_source == GROUPS_SOURCE_GITHUB && rules.require_group != NULL &&
	    rules.require_group[0] != '\0') {
		result = login_step(login,
				    idp_github_groups(&login->idp, grant->access_token, claims, config->groups_claim));
		if (result != LOGIN_CONTINUE)
			goto done;
	}
	char detail[320], approver[LOGIN_IDENTITY_MAX];
	/* The same person approving twice is refused as that, whatever their groups. */
	if (role == GRANT_APPROVER) {
		result = check_other_person(login, claims, approver, sizeof(approver));
		if (result != LOGIN_CONTINUE)
			goto done;
	}
	enum identity_verdict verdict = identity_decide(claims, &rules, login->context->user, detail, sizeof(detail));
	if (verdict != IDENTITY_ALLOWED) {
		result = login_fail(login, LOGIN_NOT_AUTHORIZED, "%s%s (identity_source=%s)",
				    role == GRANT_APPROVER ? "four-eyes approver: " : "", detail,
				    identity_source_name(used));
		goto done;
	}
	idp_debug(&login->idp, "identity (identity_source=%s): %s", identity_source_name(used), detail);
	if (role == GRANT_APPROVER) {
		snprintf(login->reason, login->reason_size,
			 "approved_by=%s for=%s (%s scope_source=%s identity_source=%s)", approver,
			 login->identity->username, detail, scope_source_name(scope_source),
			 identity_source_name(used));
	} else {
		keep_identity(login, claims);
		const char *sub = identity_string_claim(claims, "sub");
		snprintf(login->requester_sub, sizeof(login->requester_sub), "%s", sub != NULL ? sub : "");
		snprintf(login->reason, login->reason_size, "%s scope_source=%s identity_source=%s", detail,
			 scope_source_name(scope_source), identity_source_name(used));
	}
	result = LOGIN_APPROVED;
done:
	evidence_clear(&evidence);
	return result;
}
