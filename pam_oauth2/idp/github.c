#include "config.h"

#include "idp/github.h"

#include "idp/idp.h"
#include "util/json_fields.h"
#include "util/json_text.h"
#include "util/sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GitHub pages lists; 100 is the most per page. Ten pages are a thousand memberships. */
#define PER_PAGE 100
#define MAX_PAGES 10
/* GitHub logins are at most 39 characters, team slugs at most 100 or so. */
#define GITHUB_NAME_MAX 128

/* A login or slug: visible ASCII without '/' (it separates ORG and TEAM). */
static const char *github_name(struct json_object *obj, const char *key)
{
	struct json_object *field;
	if (!json_object_object_get_ex(obj, key, &field) || !json_object_is_type(field, json_type_string))
		return NULL;
	const char *text = json_object_get_string(field);
	size_t len = (size_t)json_object_get_string_len(field);
	if (len == 0 || len > GITHUB_NAME_MAX || strlen(text) != len || !is_visible_ascii(text, len) ||
	    strchr(text, '/') != NULL)
		return NULL;
	return text;
}

/* Appends one page of KIND ("orgs" or "teams") to GROUPS; *COUNT gets its length. */
static enum idp_status fetch_page(struct idp *idp, const char *access_token, const char *kind, int page,
				  struct json_object *groups, size_t *count)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s/%s?per_page=%d&page=%d", idp->endpoints.userinfo, kind, PER_PAGE, page);
	char what[32];
	snprintf(what, sizeof(what), "GitHub %s", kind);
	struct http_response response;
	enum idp_status status = idp_exchange(idp, what, url, NULL, access_token, &response, NULL);
	struct json_object *list = NULL;
	if (status != IDP_OK)
		goto done;
	if (response.status_code == 401 || response.status_code == 403) {
		status = idp_fail(idp, IDP_REFUSED, "%s refused the access token: HTTP %ld (is read:org granted?)",
				  what, response.status_code);
		goto done;
	}
	const char *why = "not a JSON array";
	if (response.status_code != 200) {
		status = idp_fail(idp, IDP_UNAVAILABLE, "%s: HTTP %ld", what, response.status_code);
		goto done;
	}
	/* The same strict check as every other answer (json_text.h): grammar, UTF-8, depth, and
	 * the whole body (json_tokener_parse alone would stop at a NUL and take what came before). */
	const char *bad = json_text_check(response.body.data, response.body.len, JSON_MAX_DEPTH);
	if (bad != NULL) {
		status = idp_fail(idp, IDP_UNAVAILABLE, "%s: %s", what, bad);
		goto done;
	}
	list = json_tokener_parse(response.body.data);
	if (list == NULL || !json_object_is_type(list, json_type_array) || json_object_array_length(list) > PER_PAGE) {
		status = idp_fail(idp, IDP_UNAVAILABLE, "%s: %s", what, why);
		goto done;
	}
	*count = json_object_array_length(list);
	for (size_t i = 0; i < *count; i++) {
		struct json_object *item = json_object_array_get_idx(list, i), *org = NULL;
		const char *org_login, *slug = NULL;
		char name[2 * GITHUB_NAME_MAX + 2];
		if (strcmp(kind, "orgs") == 0) {
			org_login = github_name(item, "login");
		} else {
			json_object_object_get_ex(item, "organization", &org);
			org_login = org != NULL ? github_name(org, "login") : NULL;
			slug = github_name(item, "slug");
		}
		/* An entry of another shape names no group: skipped, never guessed at. */
		if (org_login == NULL || (strcmp(kind, "teams") == 0 && slug == NULL))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", org_login, slug != NULL ? "/" : "", slug != NULL ? slug : "");
		if (json_object_array_add(groups, json_object_new_string(name)) != 0) {
			status = idp_fail(idp, IDP_NO_MEMORY, "out of memory");
			goto done;
		}
	}
done:
	json_object_put(list);
	http_response_clear(&response);
	return status;
}

enum idp_status idp_github_groups(struct idp *idp, const char *access_token, struct json_object *claims,
				  const char *groups_claim)
{
	if (idp->endpoints.userinfo == NULL)
		return idp_fail(idp, IDP_MISCONFIGURED, "groups_source=github needs the userinfo_endpoint");
	struct json_object *groups = json_object_new_array();
	if (groups == NULL)
		return idp_fail(idp, IDP_NO_MEMORY, "out of memory");
	static const char *const kinds[] = { "orgs", "teams" };
	enum idp_status status = IDP_OK;
	for (size_t k = 0; k < 2 && status == IDP_OK; k++) {
		size_t count = PER_PAGE;
		for (int page = 1; status == IDP_OK && count == PER_PAGE && page <= MAX_PAGES; page++)
			status = fetch_page(idp, access_token, kinds[k], page, groups, &count);
	}
	if (status != IDP_OK) {
		json_object_put(groups);
		return status;
	}
	idp_debug(idp, "GitHub memberships: %zu", json_object_array_length(groups));
	json_object_object_add(claims, groups_claim, groups);
	return IDP_OK;
}
