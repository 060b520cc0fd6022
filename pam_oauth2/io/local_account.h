/* What the local account database says about a PAM user: the one file that reads it. */
#ifndef PAM_OAUTH2_LOCAL_ACCOUNT_H
#define PAM_OAUTH2_LOCAL_ACCOUNT_H

#include <stdbool.h>

/* True when USER is an account with uid 0 (root, or an alias of it), and also when the
 * account database cannot answer (an NSS error, no descriptor left, an entry too large):
 * the caller then matches names exactly, which fails closed. An unknown user is not. */
bool local_account_is_superuser(const char *user);

#endif
