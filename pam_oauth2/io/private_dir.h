/* Root-only directories of small files (the disk cache, remembered approvals): the
 * directory must be OWNER's with no group or other permissions, every entry a regular
 * file of OWNER with none either, read without following a symlink, and written whole or
 * not at all (a temporary file renamed over the entry). Whoever could write there could
 * feed us keys or approvals. Names are the caller's, of [0-9a-z.] only. */
#ifndef PAM_OAUTH2_PRIVATE_DIR_H
#define PAM_OAUTH2_PRIVATE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Checks DIR (creating it 0700 when CREATE and it is missing; its parent must exist).
 * Returns 0, or -1 with a fixed reason in *WHY. */
int private_dir_check(const char *dir, uid_t owner, bool create, const char **why);

/* The whole entry NAME of DIR in a new string (secret_free it: entries may hold secrets),
 * at most MAX_SIZE bytes, no NUL. Returns 0, or -1 with *WHY (absent, unsafe, too large). */
int private_dir_read(const char *dir, const char *name, uid_t owner, size_t max_size, char **content, const char **why);

/* Replaces entry NAME of DIR with LEN bytes of DATA (mode 0600), atomically. Returns 0,
 * or -1 with *WHY. The directory is checked, and created when missing. */
int private_dir_replace(const char *dir, const char *name, uid_t owner, const char *data, size_t len, const char **why);

/* Removes entry NAME of DIR; an absent entry is fine. Returns 0 or -1. */
int private_dir_remove(const char *dir, const char *name);

/* Takes the exclusive lock of entry NAME (created 0600 when missing), without waiting:
 * a descriptor, or -1 with *BUSY set when another holder has it (another process, or
 * another PAM handle in this one), or with *WHY when it cannot be taken. The lock ends
 * with private_dir_unlock, or when its holder dies. */
int private_dir_lock(const char *dir, const char *name, uid_t owner, bool *busy, const char **why);
void private_dir_unlock(int fd);
/* Removes lock NAME while holding it (FD), then lets go: a login that opened the old file
 * and takes its lock afterwards sees that the name is another file now, and tries again. */
void private_dir_unlock_remove(const char *dir, const char *name, int fd);

/* Which file entry NAME is now, as text ("" when absent): it changes when the entry is
 * replaced or removed. Returns 0, or -1 when it cannot be examined. */
int private_dir_identity(const char *dir, const char *name, char *out, size_t size);

/* Removes OWNER's entries of DIR older than MAX_AGE(NAME) seconds at NOW (0: keep it): the
 * leftovers of logins that ended or were killed. A lock is removed only when it can be
 * taken. */
void private_dir_sweep(const char *dir, uid_t owner, long long now, long (*max_age)(const char *name));

/* Calls VISIT for each entry of DIR whose name ends in SUFFIX, until it returns nonzero.
 * Returns 0, or -1 when DIR is unsafe or cannot be read (*WHY). */
int private_dir_each(const char *dir, uid_t owner, const char *suffix, int (*visit)(const char *name, void *data),
		     void *data, const char **why);

#endif
