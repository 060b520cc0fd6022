/* The IdP layer's own status, returned by every request of idp/: what a request came to,
 * as far as the IdP layer can tell. The login layer turns it into a login result, once
 * (login/result.c), knowing whether someone had approved by then. */
#ifndef PAM_OAUTH2_IDP_STATUS_H
#define PAM_OAUTH2_IDP_STATUS_H

/* What a request to the IdP came to, as far as the IdP layer can tell. */
enum idp_status {
	IDP_OK,            /* the step worked */
	IDP_UNAVAILABLE,   /* network, TLS, timeout, 5xx/429, a malformed answer: the IdP's trouble */
	IDP_MISCONFIGURED, /* our configuration, or the IdP refusing our client */
	IDP_REFUSED,       /* the IdP refused this login's token (userinfo 401/403) */
	IDP_INVALID,       /* an answer that failed verification (signature, claims, types) */
	IDP_DEADLINE,      /* the login's own timeout cut the request short */
	IDP_NO_MEMORY
};

#endif
