/* The username map file: which IdP identities may log in as which local users.
 * Lines "IDENTITY  LOCALUSER[,LOCALUSER...]"; '#' starts a comment line. */
#ifndef PAM_OAUTH2_USERNAME_MAP_H
#define PAM_OAUTH2_USERNAME_MAP_H

#include <stdbool.h>
#include <stddef.h>

#define USERNAME_MAP_MAX (256 * 1024)

/* Checks that CONTENT is a well-formed map. Returns 0, or -1 with the 1-based number of
 * the first bad line in *BAD_LINE and a reason in *WHY. */
int username_map_validate(const char *content, unsigned *bad_line, const char **why);

/* True when a line of the (validated) map CONTENT lists LOCAL_USER for IDENTITY.
 * Identities compare case-insensitively (ASCII) when IGNORE_CASE; local users always
 * compare exactly. Several lines for one identity add up. */
bool username_map_allows(const char *content, const char *identity, const char *local_user, bool ignore_case);

#endif
