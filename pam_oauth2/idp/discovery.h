/* Discovery: the request that finds the IdP's endpoints from its issuer (OpenID Connect
 * Discovery 1.0 §4, else RFC 8414 §3), and the choice of endpoints to use. */
#ifndef PAM_OAUTH2_IDP_DISCOVERY_H
#define PAM_OAUTH2_IDP_DISCOVERY_H

#include "idp/status.h"

struct idp;

/* Sets IDP->endpoints: the configuration's, else those discovered from the issuer (from
 * the disk cache when a valid copy is there). A document for another issuer, or none at
 * all, is IDP_MISCONFIGURED. Once resolved, later calls in the same login do nothing. */
enum idp_status idp_resolve_endpoints(struct idp *idp);

#endif
