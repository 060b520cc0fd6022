#include "config.h"

#include "rules/source_select.h"

enum scope_source scope_source_resolve(enum scope_source configured, const struct source_availability *available)
{
	if (configured != SCOPE_SOURCE_AUTO)
		return configured;
	if (available->audience_set)
		return SCOPE_SOURCE_JWT;
	return available->introspection_usable ? SCOPE_SOURCE_INTROSPECTION : SCOPE_SOURCE_RESPONSE;
}

size_t identity_source_order(enum identity_source configured, const struct source_availability *available,
			     enum scope_source scope_source, enum identity_source order[4])
{
	if (configured != IDENTITY_SOURCE_AUTO) {
		order[0] = configured;
		return 1;
	}
	/* Claims from a verified token first: they cost no request. */
	size_t count = 0;
	if (available->id_token_usable)
		order[count++] = IDENTITY_SOURCE_ID_TOKEN;
	if (scope_source == SCOPE_SOURCE_JWT)
		order[count++] = IDENTITY_SOURCE_JWT;
	if (available->introspection_usable)
		order[count++] = IDENTITY_SOURCE_INTROSPECTION;
	if (available->userinfo_known)
		order[count++] = IDENTITY_SOURCE_USERINFO;
	return count;
}

const char *const scope_source_names[] = { "auto", "response", "introspection", "jwt", NULL };
const char *const identity_source_names[] = { "auto", "id_token", "jwt", "introspection", "userinfo", NULL };

const char *scope_source_name(enum scope_source source)
{
	return (unsigned)source <= SCOPE_SOURCE_JWT ? scope_source_names[source] : "?";
}

const char *identity_source_name(enum identity_source source)
{
	return (unsigned)source <= IDENTITY_SOURCE_USERINFO ? identity_source_names[source] : "?";
}
