/* The disk cache of discovery documents and JWKS: a root-only directory of entries, each
 * written atomically. A cached body is only a candidate: the caller validates it exactly
 * as a fresh response before using it. */
#ifndef PAM_OAUTH2_DISK_CACHE_H
#define PAM_OAUTH2_DISK_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The body cached for KIND and URL in DIR, unexpired at NOW, in a new string (*LEN
 * bytes; free it); NULL on a miss, with *WHY saying why (absent, expired, unsafe or
 * malformed). The directory must be owned by OWNER with no group/other permissions,
 * and so must the entry. */
char *disk_cache_load(const char *dir, uid_t owner, const char *kind, const char *url, int64_t now, size_t *len,
		      const char **why);

/* Stores BODY for KIND and URL, valid for LIFETIME seconds from NOW, creating DIR (mode
 * 0700) when missing. Written to a temporary file and renamed over the entry, so a
 * reader sees the old entry or the new one, never part of one. Returns 0 or -1 (*WHY). */
int disk_cache_store(const char *dir, uid_t owner, const char *kind, const char *url, const char *body, size_t len,
		     long lifetime, int64_t now, const char **why);

#endif
