/* Files that hold secrets or decide who may log in (the client secret, the username
 * map): refused unless they are what an admin meant, a root-owned regular file that
 * others cannot change (nor, for a secret, read). */
#ifndef PAM_OAUTH2_TRUSTED_FILE_H
#define PAM_OAUTH2_TRUSTED_FILE_H

#include <stddef.h>
#include <sys/types.h>

#define SECRET_FILE_MAX 4096

/* Opens PATH without following a symlink and checks that it is a regular file owned by
 * OWNER (root in production) with none of the FORBIDDEN_MODE bits, at most MAX_SIZE
 * bytes and without NUL bytes. On success *CONTENT is its whole text (secret_free it).
 * Returns 0, or -1 with a fixed reason in *WHY. */
int trusted_file_read(const char *path, uid_t owner, mode_t forbidden_mode, size_t max_size, char **content,
		      const char **why);

/* Checks, without reading it, that PATH (symlinks followed: CA bundles often are links) is
 * a regular file of OWNER without FORBIDDEN_MODE bits. Returns 0, or -1 with *WHY. */
int trusted_file_check_following(const char *path, uid_t owner, mode_t forbidden_mode, const char **why);

/* Which file PATH names now, as "DEV:INODE:SIZE:MTIME_NS" in OUT (symlinks followed): it
 * changes when the file is replaced or rewritten. Returns 0, or -1 when PATH cannot be
 * examined. */
int trusted_file_identity(const char *path, char *out, size_t size);

/* trusted_file_read with no permission bits for group or others, for a file of one
 * line: *SECRET is that line without its newline (secret_free it). */
int secret_file_read(const char *path, uid_t owner, char **secret, const char **why);

#endif
