/* SHA-256 as 64 lowercase hex digits: the names of cache entries and remembered
 * approvals, and the fingerprint of a configuration. */
#ifndef PAM_OAUTH2_SHA256_HEX_H
#define PAM_OAUTH2_SHA256_HEX_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* The digest of COUNT parts, one after the other (the caller makes them unambiguous).
 * Returns 0, or -1 when OpenSSL fails. */
int sha256_hex(const char *const *parts, size_t count, char out[SHA256_HEX_LEN + 1]);

#endif
