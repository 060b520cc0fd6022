#include "config.h"

#include "io/disk_cache.h"

#include "rules/cache_policy.h"
#include "io/http_client.h"
#include "io/private_dir.h"
#include "util/sha256_hex.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry's name: SHA-256 of KIND and URL, so any URL maps to a safe file name. */
static bool entry_hash(const char *kind, const char *url, char hex[CACHE_URL_HASH_HEX + 1])
{
	const char *parts[] = { kind, "\n", url };
	return sha256_hex(parts, 3, hex) == 0;
}

char *disk_cache_load(const char *dir, uid_t owner, const char *kind, const char *url, int64_t now, size_t *len,
		      const char **why)
{
	char hash[CACHE_URL_HASH_HEX + 1];
	char *entry = NULL, *body_copy = NULL;
	const char *body;
	size_t body_len;
	*len = 0;
	if (!entry_hash(kind, url, hash)) {
		*why = "out of memory";
		return NULL;
	}
	if (private_dir_read(dir, hash, owner, HTTP_BODY_MAX + 128, &entry, why) != 0)
		return NULL;
	if (cache_entry_parse(entry, strlen(entry), hash, now, &body, &body_len) != 0) {
		*why = "cache entry expired or malformed";
	} else if ((body_copy = strndup(body, body_len)) == NULL) {
		*why = "out of memory";
	} else {
		*len = body_len;
	}
	free(entry);
	return body_copy;
}

int disk_cache_store(const char *dir, uid_t owner, const char *kind, const char *url, const char *body, size_t len,
		     long lifetime, int64_t now, const char **why)
{
	char hash[CACHE_URL_HASH_HEX + 1], header[128];
	if (lifetime <= 0) {
		*why = "response may not be cached";
		return -1;
	}
	if (!entry_hash(kind, url, hash)) {
		*why = "out of memory";
		return -1;
	}
	int header_len = cache_header_format(header, sizeof(header), now + lifetime, hash);
	struct strbuf entry;
	strbuf_init(&entry, 0);
	int rc = -1;
	if (header_len < 0 || strbuf_append(&entry, header, (size_t)header_len) != 0 ||
	    strbuf_append(&entry, body, len) != 0)
		*why = "out of memory";
	else
		rc = private_dir_replace(dir, hash, owner, entry.data, entry.len, why);
	strbuf_wipe_free(&entry);
	return rc;
}
