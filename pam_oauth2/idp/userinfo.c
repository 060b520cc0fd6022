#include "config.h"

#include "idp/userinfo.h"

#include "idp/idp.h"
#include "util/json_fields.h"

enum idp_status idp_fetch_userinfo(struct idp *idp, const char *access_token, struct json_object **claims)
{
	*claims = NULL;
	const char *url = idp->endpoints.userinfo;
	if (url == NULL)
		return idp_fail(idp, IDP_MISCONFIGURED, "identity from userinfo, but no userinfo_endpoint is known");
	struct http_response response;
	enum idp_status status = idp_exchange(idp, "userinfo request", url, NULL, access_token, &response, NULL);
	const char *why = NULL;
	if (status != IDP_OK)
		goto done;
	if (response.status_code == 401 || response.status_code == 403)
		status =
		    idp_fail(idp, IDP_REFUSED, "userinfo refused the access token: HTTP %ld", response.status_code);
	else if (response.status_code != 200)
		status = idp_fail(idp, IDP_UNAVAILABLE, "userinfo: HTTP %ld", response.status_code);
	else if ((*claims = json_parse_object(response.body.data, response.body.len, &why)) == NULL)
		status = idp_fail(idp, IDP_UNAVAILABLE, "userinfo response: %s", why);
done:
	http_response_clear(&response);
	return status;
}
