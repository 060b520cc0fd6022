/* The disk cache as the IdP layer uses it: discovery documents and JWKS, keyed by URL and
 * by the CA bundle that vouched for the answer. A cached body is only a candidate: the
 * caller validates it exactly as a fresh response. */
#ifndef PAM_OAUTH2_IDP_CACHE_H
#define PAM_OAUTH2_IDP_CACHE_H

#include "io/http_client.h"

#include <stddef.h>

struct idp;

/* A cached copy of KIND for URL in a new string (*LEN bytes; free it), or NULL when the
 * cache is off or has none (the reason logged at debug level). */
char *idp_cache_lookup(struct idp *idp, const char *kind, const char *url, size_t *len);

/* Keeps a validated RESPONSE for later logins, for as long as the IdP allows. */
void idp_cache_keep(struct idp *idp, const char *kind, const char *url, const struct http_response *response);

#endif
