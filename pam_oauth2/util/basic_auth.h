/* HTTP Basic client credentials (RFC 6749 §2.3.1) and the base64 they are written in. */
#ifndef PAM_OAUTH2_BASIC_AUTH_H
#define PAM_OAUTH2_BASIC_AUTH_H

#include "util/strbuf.h"

#include <stddef.h>

/* Returns "Basic " + base64(urlencode(CLIENT_ID) ":" urlencode(SECRET)) as RFC 6749
 * §2.3.1 requires, in memory the caller wipes (secret_free). NULL when memory runs out. */
char *basic_auth_header_value(const char *client_id, const char *client_secret);

/* Standard base64 with padding (RFC 4648 §4). Returns 0 or -1. */
int base64_encode(struct strbuf *out, const unsigned char *data, size_t len);

#endif
