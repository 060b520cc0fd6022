/* application/x-www-form-urlencoded bodies (RFC 6749 Appendix B). */
#ifndef PAM_OAUTH2_FORM_ENCODE_H
#define PAM_OAUTH2_FORM_ENCODE_H

#include "util/strbuf.h"

/* Appends "NAME=VALUE" (with a leading '&' unless BODY is empty), both encoded as
 * RFC 6749 Appendix B asks. Returns 0 or -1. */
int form_append_field(struct strbuf *body, const char *name, const char *value);

/* Appends TEXT form-urlencoded: alphanumerics and "-._~" stay, space becomes '+',
 * every other byte %XX. Returns 0 or -1. */
int form_urlencode(struct strbuf *out, const char *text);

#endif
