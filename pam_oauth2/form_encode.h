/* application/x-www-form-urlencoded bodies and HTTP Basic client credentials. */
#ifndef PAM_OAUTH2_FORM_ENCODE_H
#define PAM_OAUTH2_FORM_ENCODE_H

#include "strbuf.h"

/* Appends "NAME=VALUE" (with a leading '&' unless BODY is empty), both encoded as
 * RFC 6749 Appendix B asks. Returns 0 or -1. */
int form_append_field(struct strbuf *body, const char *name, const char *value);

/* Appends TEXT form-urlencoded: alphanumerics and "-._~" stay, space becomes '+',
 * every other byte %XX. Returns 0 or -1. */
int form_urlencode(struct strbuf *out, const char *text);

/* Returns "Basic " + base64(urlencode(CLIENT_ID) ":" urlencode(SECRET)) as RFC 6749
 * §2.3.1 requires, in memory the caller wipes (secret_free). NULL when memory runs out. */
char *basic_auth_header_value(const char *client_id, const char *client_secret);

/* Standard base64 with padding (RFC 4648 §4). Returns 0 or -1. */
int base64_encode(struct strbuf *out, const unsigned char *data, size_t len);

#endif
