#include "config.h"

#include "io/disk_cache.h"

#include "rules/cache_policy.h"
#include "io/http_client.h"
#include "io/trusted_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The entry's name: SHA-256 of KIND and URL, so any URL maps to a safe file name. */
static bool entry_hash(const char *kind, const char *url, char hex[CACHE_URL_HASH_HEX + 1])
{
	unsigned char digest[32];
	unsigned int digest_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(ctx, kind, strlen(kind)) == 1 && EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
		  EVP_DigestUpdate(ctx, url, strlen(url)) == 1 && EVP_DigestFinal_ex(ctx, digest, &digest_len) == 1 &&
		  digest_len == sizeof(digest);
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; ok && i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return ok;
}

/* The directory must be ours alone: whoever can write it can feed us keys. */
static bool directory_is_safe(const char *dir, uid_t owner, bool create, const char **why)
{
	struct stat st;
	if (lstat(dir, &st) != 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*why = "cache directory cannot be created";
			return false;
		}
	}
	if (lstat(dir, &st) != 0) {
		*why = "cache directory is missing";
		return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != owner || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*why = "cache directory is not a directory of root's with mode 0700";
		return false;
	}
	return true;
}

char *disk_cache_load(const char *dir, uid_t owner, const char *kind, const char *url, int64_t now, size_t *len,
		      const char **why)
{
	char hash[CACHE_URL_HASH_HEX + 1], path[4096];
	char *entry = NULL, *body_copy = NULL;
	const char *body;
	size_t body_len;
	*len = 0;
	if (!directory_is_safe(dir, owner, false, why) || !entry_hash(kind, url, hash))
		return NULL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, hash) >= (int)sizeof(path)) {
		*why = "cache path too long";
		return NULL;
	}
	if (trusted_file_read(path, owner, S_IRWXG | S_IRWXO, HTTP_BODY_MAX + 128, &entry, why) != 0)
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

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t written = write(fd, data, len);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return false;
		data += written;
		len -= (size_t)written;
	}
	return true;
}

int disk_cache_store(const char *dir, uid_t owner, const char *kind, const char *url, const char *body, size_t len,
		     long lifetime, int64_t now, const char **why)
{
	char hash[CACHE_URL_HASH_HEX + 1], path[4096], temporary[4096], header[128];
	if (lifetime <= 0) {
		*why = "response may not be cached";
		return -1;
	}
	if (!directory_is_safe(dir, owner, true, why) || !entry_hash(kind, url, hash))
		return -1;
	int header_len = cache_header_format(header, sizeof(header), now + lifetime, hash);
	if (header_len < 0 || snprintf(path, sizeof(path), "%s/%s", dir, hash) >= (int)sizeof(path) ||
	    snprintf(temporary, sizeof(temporary), "%s/.%s.XXXXXX", dir, hash) >= (int)sizeof(temporary)) {
		*why = "cache path too long";
		return -1;
	}
	/* mkstemp creates the file 0600 with O_EXCL: nobody else's file is ever written. */
	int fd = mkstemp(temporary);
	if (fd < 0) {
		*why = "cannot create a cache file";
		return -1;
	}
	bool ok = write_all(fd, header, (size_t)header_len) && write_all(fd, body, len) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(temporary, path) != 0) {
		unlink(temporary);
		*why = "cannot write the cache file";
		return -1;
	}
	return 0;
}
