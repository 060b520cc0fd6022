/* Which IdP identity may become which local user: the claim that names the person,
 * an optional domain suffix, an optional map file, case rules and required groups.
 * Pure: the claims come in as a JSON object from a verified token or a TLS response. */
#ifndef PAM_OAUTH2_IDENTITY_RULES_H
#define PAM_OAUTH2_IDENTITY_RULES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define IDENTITY_CLAIM_MAX 256

struct identity_rules {
	const char *username_claim;
	const char *username_suffix; /* NULL: none; else required and stripped ("@example.com") */
	const char *username_map;    /* content of the map file; NULL: the identity must equal the user */
	const char *require_group;   /* space separated, one must be present; NULL or "": none */
	const char *groups_claim;
	const char *require_claim; /* "NAME=VALUE ...": each claim must equal its value; NULL or "": none */
	bool ignore_case;          /* username_case = insensitive */
};

enum identity_verdict {
	IDENTITY_ALLOWED,
	IDENTITY_CLAIM_MISSING,    /* no string claim of that name */
	IDENTITY_SUFFIX_MISMATCH,  /* the claim does not end in the required suffix */
	IDENTITY_NOT_MAPPED,       /* the map lists no such pair */
	IDENTITY_EMAIL_UNVERIFIED, /* the identity is an email address not marked verified */
	IDENTITY_MISMATCH,         /* the identity is not the local user */
	IDENTITY_GROUP_MISSING,    /* none of the required groups */
	IDENTITY_CLAIM_MISMATCH    /* a required claim is absent or has another value */
};

/* Decides whether CLAIMS may log in as LOCAL_USER. DETAIL gets a line for the log
 * (the claim's value sanitized, and what failed). */
enum identity_verdict identity_decide(struct json_object *claims, const struct identity_rules *rules,
				      const char *local_user, char *detail, size_t detail_size);

/* True when CLAIMS has what RULES need (the username claim, and the groups claim when
 * groups are required): lets the caller fall back to a fuller source. */
bool identity_claims_sufficient(struct json_object *claims, const struct identity_rules *rules);

/* The string claim NAME (1..IDENTITY_CLAIM_MAX bytes, no NUL inside), or NULL. */
const char *identity_string_claim(struct json_object *claims, const char *name);

/* Room for a claim as text: a string claim, or a whole number written in decimal. */
#define IDENTITY_NUMBER_TEXT 24

/* The claim NAME as text: a string claim (as identity_string_claim), or a non-negative
 * JSON integer written in decimal into NUMBER (GitHub's stable user id is a number:
 * "id": 583231 compares as "583231"). NULL for anything else. */
const char *identity_claim_text(struct json_object *claims, const char *name, char number[IDENTITY_NUMBER_TEXT]);

/* True when CLAIM is a name its owner or an admin can change, or that gets reused
 * (preferred_username, email, upn, name, nickname, login, ...): OIDC Core §5.7 says
 * only sub (with the issuer) is stable and never reassigned. */
bool identity_claim_is_mutable(const char *claim);

/* True when CLAIMS has a member NAME that is not JSON null, whatever its type or value:
 * tells "absent" from "there, but unusable". */
bool identity_claim_present(struct json_object *claims, const char *name);

#endif
