#include "config.h"

#include "rules/scope_set.h"

#include <stdio.h>
#include <string.h>

/* Advances *CURSOR past spaces and returns the next token's start and length; false at the end. */
static bool next_scope(const char **cursor, const char **token, size_t *len)
{
	const char *p = *cursor;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return false;
	const char *end = p;
	while (*end != '\0' && *end != ' ')
		end++;
	*token = p;
	*len = (size_t)(end - p);
	*cursor = end;
	return true;
}

bool scope_set_contains(const char *scopes, const char *token, size_t token_len)
{
	const char *cursor = scopes, *candidate;
	size_t len;
	while (next_scope(&cursor, &candidate, &len)) {
		if (len == token_len && memcmp(candidate, token, len) == 0)
			return true;
	}
	return false;
}

bool scope_set_contains_all(const char *granted, const char *required, char *missing, size_t missing_size)
{
	const char *cursor = required, *token;
	size_t len;
	while (next_scope(&cursor, &token, &len)) {
		if (!scope_set_contains(granted, token, len)) {
			if (missing != NULL && missing_size > 0)
				snprintf(missing, missing_size, "%.*s", (int)len, token);
			return false;
		}
	}
	return true;
}

bool scope_set_is_valid(const char *text)
{
	/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
			return false;
	}
	return true;
}
