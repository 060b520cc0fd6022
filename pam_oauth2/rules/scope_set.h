/* OAuth scope strings (RFC 6749 §3.3): space-delimited, case-sensitive, order-free. */
#ifndef PAM_OAUTH2_SCOPE_SET_H
#define PAM_OAUTH2_SCOPE_SET_H

#include <stdbool.h>
#include <stddef.h>

/* True when SCOPES (space-separated) lists TOKEN exactly. */
bool scope_set_contains(const char *scopes, const char *token, size_t token_len);

/* True when every scope in REQUIRED is in GRANTED. When one is missing, its name is
 * copied (truncated to fit) into MISSING, which may be NULL. */
bool scope_set_contains_all(const char *granted, const char *required, char *missing, size_t missing_size);

/* True when TEXT is a valid scope list: tokens of %x21 / %x23-5B / %x5D-7E, one space apart
 * (extra spaces are tolerated). The empty list is valid. */
bool scope_set_is_valid(const char *text);

#endif
