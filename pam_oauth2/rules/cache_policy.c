#include "config.h"

#include "rules/cache_policy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_MAGIC "pam_oauth2-cache 1 "

/* Finds DIRECTIVE (case-insensitive) as a whole token in a Cache-Control value; *VALUE
 * points after its '=' when it has one. */
static bool has_directive(const char *cache_control, const char *directive, const char **value)
{
	size_t len = strlen(directive);
	for (const char *p = cache_control; *p != '\0';) {
		p += strspn(p, " \t,");
		const char *end = p + strcspn(p, ",");
		if (strncasecmp(p, directive, len) == 0 &&
		    (p[len] == '=' || p[len] == ',' || p[len] == ' ' || p[len] == '\t' || p[len] == '\0')) {
			if (value != NULL)
				*value = p[len] == '=' ? p + len + 1 : NULL;
			return true;
		}
		p = end;
	}
	return false;
}

long cache_lifetime(const char *cache_control, int64_t expires_at, int64_t now, long default_ttl)
{
	long lifetime = default_ttl;
	const char *value = NULL;
	if (cache_control != NULL &&
	    (has_directive(cache_control, "no-store", NULL) || has_directive(cache_control, "no-cache", NULL)))
		return 0;
	if (cache_control != NULL && has_directive(cache_control, "max-age", &value)) {
		char *end;
		long seconds = value != NULL ? strtol(value, &end, 10) : -1;
		/* A malformed max-age means the response must not be reused (RFC 9111 §4.2.1). */
		if (value == NULL || end == value || seconds < 0)
			return 0;
		lifetime = seconds;
	} else if (expires_at > 0) {
		int64_t left = expires_at - now;
		lifetime = left > 0 ? (left > default_ttl ? default_ttl : (long)left) : 0;
	}
	if (lifetime > default_ttl)
		lifetime = default_ttl;
	return lifetime > 0 ? lifetime : 0;
}

int cache_header_format(char *line, size_t size, int64_t expires, const char *url_hash)
{
	int written = snprintf(line, size, CACHE_MAGIC "%lld %s\n", (long long)expires, url_hash);
	return written > 0 && (size_t)written < size ? written : -1;
}

int cache_entry_parse(const char *entry, size_t len, const char *url_hash, int64_t now, const char **body,
		      size_t *body_len)
{
	const char *newline = memchr(entry, '\n', len < 128 ? len : 128);
	size_t magic_len = strlen(CACHE_MAGIC);
	if (newline == NULL || (size_t)(newline - entry) < magic_len || memcmp(entry, CACHE_MAGIC, magic_len) != 0)
		return -1;
	char header[128];
	memcpy(header, entry + magic_len, (size_t)(newline - entry) - magic_len);
	header[(size_t)(newline - entry) - magic_len] = '\0';
	char *end;
	long long expires = strtoll(header, &end, 10);
	if (end == header || *end != ' ' || strlen(end + 1) != CACHE_URL_HASH_HEX || strcmp(end + 1, url_hash) != 0)
		return -1;
	if (expires <= now)
		return -1;
	*body = newline + 1;
	*body_len = len - (size_t)(newline + 1 - entry);
	return 0;
}
