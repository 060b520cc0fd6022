/* What the local account database says about a PAM user: the one file that reads it. */
#ifndef PAM_OAUTH2_LOCAL_ACCOUNT_H
#define PAM_OAUTH2_LOCAL_ACCOUNT_H

#include <stdbool.h>

/* True when USER is an account with uid 0 (root, or an alias of it). An unknown user, or
 * a lookup that fails, is not: such a login is refused at the account stage anyway. */
bool local_account_is_superuser(const char *user);

#endif
