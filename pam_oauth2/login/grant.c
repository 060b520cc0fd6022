/* The grant judgement: which scopes were really granted (the response, introspection or
 * a verified JWT), and who really approved (ID token, JWT, introspection or userinfo)
 * under the identity rules. */
#include "config.h"

#include "login/grant.h"

#include "idp/github.h"
#include "idp/introspection.h"
#include "idp/keys.h"
#include "idp/userinfo.h"
#include "login/session.h"
#include "rules/identity_rules.h"
#include "rules/scope_set.h"
#include "rules/source_select.h"
#include "util/json_fields.h"
#include "util/sanitize.h"

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

enum login_result login_judge_grant(struct login *login, const struct token_grant *grant)
{
	const struct oauth2_config *config = login->config;
	struct source_availability available = availability(login);
	struct evidence evidence = { 0 };
	enum scope_source scope_source = scope_source_resolve(config->scope_source, &available);
	enum login_result result = establish_scopes(login, grant, scope_source, &evidence);
	if (result != LOGIN_CONTINUE)
		goto done;
	char *shown_scope = sanitize_for_terminal(evidence.scope, strlen(evidence.scope), 256);
	idp_debug(&login->idp, "granted scopes (scope_source=%s): '%s'", scope_source_name(scope_source),
		  shown_scope != NULL ? shown_scope : "?");
	free(shown_scope);
	char missing[128];
	if (!scope_set_contains_all(evidence.scope, config->require_scope, missing, sizeof(missing))) {
		result = login_fail(login, LOGIN_NOT_AUTHORIZED, "required scope '%s' not granted (scope_source=%s)",
				    missing, scope_source_name(scope_source));
		goto done;
	}

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
	enum identity_source order[4];
	size_t count = identity_source_order(config->identity_source, &available, scope_source, order);
	if (count == 0) {
		result = login_fail(login, LOGIN_CONFIG_ERROR, "no identity source is available");
		goto done;
	}
	struct json_object *claims = NULL;
	size_t used = 0;
	for (; used < count; used++) {
		bool absent = false, last = used + 1 == count;
		result = identity_claims(login, grant, order[used], &evidence, &claims, &absent);
		/* In auto mode an absent ID token, or a source without the claims the rules
		 * need, hands over to the next source; a token that fails verification never does. */
		if (absent && !last && config->identity_source == IDENTITY_SOURCE_AUTO)
			continue;
		if (result != LOGIN_CONTINUE)
			goto done;
		if (!last && config->identity_source == IDENTITY_SOURCE_AUTO &&
		    !identity_claims_sufficient(claims, &rules))
			continue;
		break;
	}
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
	char detail[320];
	enum identity_verdict verdict = identity_decide(claims, &rules, login->context->user, detail, sizeof(detail));
	if (verdict != IDENTITY_ALLOWED) {
		result = login_fail(login, LOGIN_NOT_AUTHORIZED, "%s (identity_source=%s)", detail,
				    identity_source_name(order[used]));
		goto done;
	}
	idp_debug(&login->idp, "identity (identity_source=%s): %s", identity_source_name(order[used]), detail);
	keep_identity(login, claims);
	snprintf(login->reason, login->reason_size, "%s scope_source=%s identity_source=%s", detail,
		 scope_source_name(scope_source), identity_source_name(order[used]));
	result = LOGIN_APPROVED;
done:
	evidence_clear(&evidence);
	return result;
}
