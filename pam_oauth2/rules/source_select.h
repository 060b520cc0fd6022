/* Where granted scopes and the approver's identity are read from: the configured
 * choice, or for "auto" the strongest source this setup has. Pure. */
#ifndef PAM_OAUTH2_SOURCE_SELECT_H
#define PAM_OAUTH2_SOURCE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

enum scope_source { SCOPE_SOURCE_AUTO, SCOPE_SOURCE_RESPONSE, SCOPE_SOURCE_INTROSPECTION, SCOPE_SOURCE_JWT };

enum identity_source {
	IDENTITY_SOURCE_AUTO,
	IDENTITY_SOURCE_ID_TOKEN,
	IDENTITY_SOURCE_JWT,
	IDENTITY_SOURCE_INTROSPECTION,
	IDENTITY_SOURCE_USERINFO
};

/* What this setup offers. */
struct source_availability {
	bool audience_set;         /* JWT access tokens expected */
	bool introspection_usable; /* an introspection endpoint and a client that can authenticate */
	bool id_token_usable;      /* openid requested, an issuer and a jwks_uri known */
	bool userinfo_known;
};

/* auto: jwt when an audience is set, else introspection when usable, else response. */
enum scope_source scope_source_resolve(enum scope_source configured, const struct source_availability *available);

/* Fills ORDER with the identity sources to try, best first, and returns how many:
 * one for an explicit choice; for auto id_token, jwt, introspection, userinfo, each
 * only when this setup offers it (jwt only when the scope source is jwt: then the
 * access token is verified anyway). */
size_t identity_source_order(enum identity_source configured, const struct source_availability *available,
			     enum scope_source scope_source, enum identity_source order[4]);

/* The names of each choice, index = value, NULL-terminated: the configuration's choice
 * lists and the log's words. */
extern const char *const scope_source_names[];
extern const char *const identity_source_names[];

const char *scope_source_name(enum scope_source source);
const char *identity_source_name(enum identity_source source);

#endif
