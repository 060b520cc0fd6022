/* base64url without padding (RFC 7515 §2, RFC 4648 §5), as JOSE uses it. */
#ifndef PAM_OAUTH2_BASE64URL_H
#define PAM_OAUTH2_BASE64URL_H

#include <stddef.h>

/* Decodes LEN characters of IN into a new buffer *OUT (*OUT_LEN bytes, plus a NUL
 * not counted). Strict: only the base64url alphabet, no padding, no white space, and
 * the unused low bits of the last character must be zero (one text per value).
 * Returns 0, or -1 on bad input or when memory runs out. */
int base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);

#endif
