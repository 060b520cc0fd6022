/* How long a fetched discovery document or JWKS may be reused, and the cache entry's
 * format. Pure. */
#ifndef PAM_OAUTH2_CACHE_POLICY_H
#define PAM_OAUTH2_CACHE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_URL_HASH_HEX 64 /* SHA-256 in hex */

/* Seconds a response may be reused: Cache-Control no-store/no-cache/max-age=0 give 0;
 * max-age=N gives N; else an Expires time (EXPIRES_AT, 0 when absent or unparsable)
 * gives EXPIRES_AT - NOW; else DEFAULT_TTL. Never more than DEFAULT_TTL (the admin's
 * bound on staleness), never negative. CACHE_CONTROL may be NULL. */
long cache_lifetime(const char *cache_control, int64_t expires_at, int64_t now, long default_ttl);

/* The first line of an entry: "pam_oauth2-cache 1 EXPIRES URL_HASH\n". Returns its length
 * written into LINE (which must hold 128 bytes), or -1. */
int cache_header_format(char *line, size_t size, int64_t expires, const char *url_hash);

/* Checks ENTRY's header against URL_HASH and NOW. On success *BODY and *BODY_LEN point
 * at the cached response body inside ENTRY and 0 is returned; -1 when the entry is
 * malformed, for another URL, or expired. */
int cache_entry_parse(const char *entry, size_t len, const char *url_hash, int64_t now, const char **body,
		      size_t *body_len);

#endif
