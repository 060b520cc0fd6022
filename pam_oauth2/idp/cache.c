#include "config.h"

#include "idp/cache.h"

#include "idp/idp.h"
#include "io/clock.h"
#include "io/disk_cache.h"
#include "io/trusted_file.h"
#include "rules/cache_policy.h"

#include <stdio.h>
#include <stdlib.h>

/* Two configurations trusting different CAs never share what they fetched, and an entry
 * outlives neither a change of the CA bundle (a rotated or replaced CA; the system CAs
 * once trusted beside it) nor its replacement: the key names the bundle's path and its
 * identity (device, inode, size, modification time). NULL: no caching this time. */
static char *cache_key(const struct idp *idp, const char *url)
{
	char *key = NULL;
	const char *ca = idp->config->ca_file;
	if (ca == NULL)
		return asprintf(&key, "%s\n(system store)", url) < 0 ? NULL : key;
	char identity[128];
	if (trusted_file_identity(ca, identity, sizeof(identity)) != 0)
		return NULL;
	return asprintf(&key, "%s\n%s\n%s", url, ca, identity) < 0 ? NULL : key;
}

char *idp_cache_lookup(struct idp *idp, const char *kind, const char *url, size_t *len)
{
	char *key = idp->config->cache ? cache_key(idp, url) : NULL;
	if (key == NULL)
		return NULL;
	const char *why = NULL;
	char *body = disk_cache_load(idp->config->cache_dir, TRUSTED_OWNER, kind, key, clock_wall_seconds(), len, &why);
	free(key);
	idp_debug(idp, "cache %s for %s: %s", body != NULL ? "hit" : "miss", kind, body != NULL ? "valid" : why);
	return body;
}

void idp_cache_keep(struct idp *idp, const char *kind, const char *url, const struct http_response *response)
{
	char *key = idp->config->cache ? cache_key(idp, url) : NULL;
	if (key == NULL)
		return;
	int64_t now = clock_wall_seconds();
	long lifetime = cache_lifetime(response->cache_control, response->expires_at, now, idp->config->cache_ttl);
	const char *why = NULL;
	if (disk_cache_store(idp->config->cache_dir, TRUSTED_OWNER, kind, key, response->body.data, response->body.len,
			     lifetime, now, &why) != 0)
		idp_debug(idp, "not caching %s: %s", kind, why);
	free(key);
}
