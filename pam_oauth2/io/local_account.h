/* What the local account database says about a PAM user: the one file that reads it. */
#ifndef PAM_OAUTH2_LOCAL_ACCOUNT_H
#define PAM_OAUTH2_LOCAL_ACCOUNT_H

#include <stdbool.h>
#include <sys/types.h>

/* True when USER is an account with uid 0 (root, or an alias of it), and also when the
 * account database cannot answer (an NSS error, no descriptor left, an entry too large):
 * the caller then matches names exactly, which fails closed. An unknown user is not. */
bool local_account_is_superuser(const char *user);

/* True, with *UID, when USER is a local account (getpwnam_r found it); false when it is
 * not, or when the database cannot answer. */
bool local_account_uid(const char *user, uid_t *uid);

#endif
