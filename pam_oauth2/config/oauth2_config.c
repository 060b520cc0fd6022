#include "config.h"

#include "config/oauth2_config.h"

#include "jose/jws.h"
#include "util/sanitize.h"
#include "rules/remember_record.h"
#include "rules/scope_set.h"
#include "rules/source_select.h"
#include "rules/username_map.h"
#include "io/trusted_file.h"
#include "util/sha256_hex.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const client_auth_names[] = { "none", "basic", "post", NULL };
static const char *const prompt_names[] = { "enter", "none", NULL };
static const char *const bool_names[] = { "off", "on", NULL };
static const char *const username_case_names[] = { "sensitive", "insensitive", NULL };
static const char *const audience_param_names[] = { "resource", "audience", NULL };
static const char *const groups_source_names[] = { "claims", "github", NULL };
static const char *const amr_mode_names[] = { "any", "all", NULL };

#define FIELD(name) offsetof(struct oauth2_config, name)

const struct config_key oauth2_config_keys[] = {
	{ .name = "issuer",
	  .type = CONFIG_URL,
	  .offset = FIELD(issuer),
	  .help =
	      "the IdP's issuer URL: its endpoints and keys are discovered from /.well-known/openid-configuration "
	      "(else RFC 8414's oauth-authorization-server), whose issuer must equal this exactly; signed tokens must "
	      "carry it as iss" },
	{ .name = "device_authorization_endpoint",
	  .type = CONFIG_URL,
	  .offset = FIELD(device_authorization_endpoint),
	  .help = "https URL of the device authorization endpoint (RFC 8628 section 3.1); required without issuer" },
	{ .name = "token_endpoint",
	  .type = CONFIG_URL,
	  .offset = FIELD(token_endpoint),
	  .help = "https URL of the token endpoint; required without issuer" },
	{ .name = "userinfo_endpoint",
	  .type = CONFIG_URL,
	  .offset = FIELD(userinfo_endpoint),
	  .help = "https URL of the OpenID Connect userinfo endpoint" },
	{ .name = "introspection_endpoint",
	  .type = CONFIG_URL,
	  .offset = FIELD(introspection_endpoint),
	  .help = "https URL of the token introspection endpoint (RFC 7662)" },
	{ .name = "jwks_uri",
	  .type = CONFIG_URL,
	  .offset = FIELD(jwks_uri),
	  .help = "https URL of the IdP's signing keys (JWKS)" },
	{ .name = "client_id",
	  .type = CONFIG_STRING,
	  .offset = FIELD(client_id),
	  .required = true,
	  .help = "the OAuth client identifier" },
	{ .name = "client_secret_file",
	  .type = CONFIG_PATH,
	  .offset = FIELD(client_secret_file),
	  .help =
	      "file holding the client secret (root-owned, mode 0600 or stricter, not a symlink); unset for a public "
	      "client" },
	{ .name = "client_auth",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(client_auth),
	  .choices = client_auth_names,
	  .help = "how the client authenticates: none, basic (HTTP Basic, RFC 6749 section 2.3.1) or post (in the form "
		  "body); default basic with a secret, else none" },
	{ .name = "scope",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(scope),
	  .default_value = "openid",
	  .help = "scopes requested, space separated; when unset, openid plus every require_scope" },
	{ .name = "require_scope",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(require_scope),
	  .default_value = "",
	  .help = "scopes that must all be granted, space separated; each must also be in scope" },
	{ .name = "username_claim",
	  .type = CONFIG_STRING,
	  .offset = FIELD(username_claim),
	  .default_value = "preferred_username",
	  .help = "userinfo claim that must equal the PAM user name exactly" },
	{ .name = "ca_file",
	  .type = CONFIG_PATH,
	  .offset = FIELD(ca_file),
	  .help = "CA bundle to verify the IdP's TLS certificate (default: the system store)" },
	{ .name = "timeout",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(timeout),
	  .default_value = "300",
	  .min = 5,
	  .max = 3600,
	  .help = "seconds one login may take at most, waiting for approval included",
	  .outside_policy = true },
	{ .name = "http_timeout",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(http_timeout),
	  .default_value = "10",
	  .min = 1,
	  .max = 120,
	  .help = "seconds one HTTP request may take at most",
	  .outside_policy = true },
	{ .name = "qr",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(qr),
	  .default_value = "utf8",
	  .choices = qr_mode_names,
	  .help = "QR code of the verification URL: utf8 (half blocks), ascii or off",
	  .outside_policy = true },
	{ .name = "prompt",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(prompt),
	  .default_value = "enter",
	  .choices = prompt_names,
	  .help =
	      "enter: show everything in one prompt and wait for Enter before polling (works with sshd); none: show, "
	      "then poll",
	  .outside_policy = true },
	{ .name = "debug",
	  .type = CONFIG_BOOL,
	  .offset = FIELD(debug),
	  .default_value = "off",
	  .choices = bool_names,
	  .help = "log each step at LOG_DEBUG (never a secret)",
	  .outside_policy = true },
	{ .name = "audience",
	  .type = CONFIG_STRING,
	  .offset = FIELD(audience),
	  .help =
	      "the resource (an absolute URI, RFC 8707) that access tokens are for: it is requested as resource, and "
	      "JWT access tokens must name it in aud" },
	{ .name = "audience_param",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(audience_param),
	  .default_value = "resource",
	  .choices = audience_param_names,
	  .help = "the device authorization field that carries audience: resource (RFC 8707) or audience (Auth0)" },
	{ .name = "allowed_algs",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(allowed_algs),
	  .default_value = JWS_SUPPORTED_ALGS,
	  .help = "signature algorithms accepted on tokens, space separated; none and HMAC are always refused" },
	{ .name = "leeway",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(leeway),
	  .default_value = "60",
	  .min = 0,
	  .max = 600,
	  .help = "seconds of clock skew allowed when checking exp, nbf and iat" },
	{ .name = "scope_source",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(scope_source),
	  .default_value = "auto",
	  .choices = scope_source_names,
	  .help = "where granted scopes are read: response, introspection, jwt, or auto (jwt with an audience, else "
		  "introspection when possible, else response)" },
	{ .name = "identity_source",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(identity_source),
	  .default_value = "auto",
	  .choices = identity_source_names,
	  .help =
	      "where the approver's identity is read: id_token, jwt, introspection, userinfo, or auto (the first of "
	      "these available that carries the needed claims)" },
	{ .name = "username_suffix",
	  .type = CONFIG_STRING,
	  .offset = FIELD(username_suffix),
	  .help = "a suffix the identity claim must end with, removed before comparing (e.g. @example.com)" },
	{ .name = "username_map",
	  .type = CONFIG_PATH,
	  .offset = FIELD(username_map),
	  .help = "file of 'IDENTITY LOCALUSER[,LOCALUSER...]' lines; when set, only listed pairs may log in" },
	{ .name = "require_group",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(require_group),
	  .default_value = "",
	  .help = "groups, space separated, of which the user must be in at least one" },
	{ .name = "groups_claim",
	  .type = CONFIG_STRING,
	  .offset = FIELD(groups_claim),
	  .default_value = "groups",
	  .help = "the claim listing the user's groups" },
	{ .name = "require_claim",
	  .type = CONFIG_STRING,
	  .offset = FIELD(require_claim),
	  .help = "claims the identity must carry with exactly these values, as NAME=VALUE pairs separated by "
		  "spaces (e.g. hd=example.com for a Google Workspace domain, tid=TENANT for Entra)" },
	{ .name = "groups_source",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(groups_source),
	  .default_value = "claims",
	  .choices = groups_source_names,
	  .help = "where require_group looks: claims (groups_claim of the identity), or github (the organisations "
		  "and teams of GitHub's REST API, as ORG and ORG/TEAM; needs scope read:org and identity from "
		  "userinfo)" },
	{ .name = "require_amr",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(require_amr),
	  .default_value = "",
	  .help = "authentication methods (RFC 8176 amr values, space separated, e.g. mfa otp hwk) of which the "
		  "verified ID token's amr must hold one (require_amr_mode=any) or all (require_amr_mode=all)" },
	{ .name = "require_amr_mode",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(require_amr_mode),
	  .default_value = "any",
	  .choices = amr_mode_names,
	  .help = "any (one value of require_amr suffices) or all (every value is needed)" },
	{ .name = "require_acr",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(require_acr),
	  .default_value = "",
	  .help = "authentication context classes, space separated, of which the verified ID token's acr must be one" },
	{ .name = "max_auth_age",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(max_auth_age),
	  .default_value = "0",
	  .min = 0,
	  .max = 31536000,
	  .help = "seconds: the verified ID token's auth_time may be no older (0: off); also sent as max_age to ask "
		  "the IdP for a fresh sign-in (OIDC Core 3.1.2.1)" },
	{ .name = "approver_group",
	  .type = CONFIG_SCOPES,
	  .offset = FIELD(approver_group),
	  .default_value = "",
	  .help = "four-eyes approval: groups, space separated; after the user's own approval a second code is shown, "
		  "which another person (another sub) in one of these groups (groups_claim) must approve" },
	{ .name = "username_case",
	  .type = CONFIG_CHOICE,
	  .offset = FIELD(username_case),
	  .default_value = "sensitive",
	  .choices = username_case_names,
	  .help = "sensitive, or insensitive (ASCII) when comparing the identity with the user or the map" },
	{ .name = "export_claims",
	  .type = CONFIG_BOOL,
	  .offset = FIELD(export_claims),
	  .default_value = "on",
	  .choices = bool_names,
	  .help = "put OAUTH2_SUB, OAUTH2_USERNAME and OAUTH2_ISSUER into the PAM environment for the session",
	  .outside_policy = true },
	{ .name = "cache",
	  .type = CONFIG_BOOL,
	  .offset = FIELD(cache),
	  .default_value = "on",
	  .choices = bool_names,
	  .help = "keep discovery documents and signing keys on disk between logins (validated like fresh ones on "
		  "every use)",
	  .outside_policy = true },
	{ .name = "cache_dir",
	  .type = CONFIG_PATH,
	  .offset = FIELD(cache_dir),
	  .default_value = CACHEDIR,
	  .help = "the cache directory: created mode 0700, and ignored unless root-owned with no group/other access",
	  .outside_policy = true },
	{ .name = "cache_ttl",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(cache_ttl),
	  .default_value = "3600",
	  .min = 0,
	  .max = 86400,
	  .help = "seconds a cached entry is kept at most (less when the IdP's Cache-Control or Expires says so)",
	  .outside_policy = true },
	{ .name = "remember",
	  .type = CONFIG_SECONDS,
	  .offset = FIELD(remember),
	  .default_value = "0",
	  .min = 0,
	  .max = REMEMBER_SECONDS_MAX,
	  .help = "seconds an approval is remembered for the same service, user, remote host and SSH key (0: off); "
		  "with a refresh token (ask for offline_access) each reuse is revalidated at the IdP",
	  .outside_policy = true },
	{ .name = "remember_dir",
	  .type = CONFIG_PATH,
	  .offset = FIELD(remember_dir),
	  .default_value = REMEMBER_DIR_DEFAULT,
	  .help = "where remembered approvals are kept: created mode 0700 (keep it on tmpfs), and ignored unless "
		  "root-owned with no group/other access",
	  .outside_policy = true },
	{ .name = NULL },
};

/* One value per key, as read, with where it came from for error messages. */
struct raw_value {
	char *text;
	char origin[96];
};

#define KEY_COUNT (sizeof(oauth2_config_keys) / sizeof(oauth2_config_keys[0]) - 1)

/* Where problems go: the first into ERROR (what the module logs), and each to REPORT when
 * one is given (the check tool), in which case the loader goes on to find the others. */
struct problems {
	char *error;
	size_t error_size;
	config_problem_report report;
	void *data;
	unsigned count;
};

static void problem(struct problems *problems, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct problems *problems, const char *format, ...)
{
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	/* Problems quote paths and file names as written, which may hold any bytes. */
	char *safe = sanitize_for_terminal(line, strlen(line), sizeof(line) - 1);
	const char *text = safe != NULL ? safe : "unprintable problem";
	if (problems->count == 0)
		snprintf(problems->error, problems->error_size, "%s", text);
	if (problems->report != NULL)
		problems->report(problems->data, text);
	problems->count++;
	free(safe);
}

/* Whether to look for more problems after one. */
static bool keep_going(const struct problems *problems)
{
	return problems->report != NULL;
}

static const struct config_key *find_key(const char *name, size_t len, size_t *index)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (strlen(oauth2_config_keys[i].name) == len && memcmp(oauth2_config_keys[i].name, name, len) == 0) {
			*index = i;
			return &oauth2_config_keys[i];
		}
	}
	return NULL;
}

/* What the file or the arguments said for key NAME; NULL when neither did. */
static const char *raw_text(const struct raw_value *raw, const char *name)
{
	size_t index = 0;
	return find_key(name, strlen(name), &index) != NULL ? raw[index].text : NULL;
}

static char *trim(char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t len = strlen(text);
	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		text[--len] = '\0';
	return text;
}

/* A name that is not a key is echoed in errors only when it looks like one (a short run
 * of letters, digits and '_'): a config= pointed at the secret file by mistake must not
 * put the secret into syslog. */
static void printable_name(const char *name, size_t len, char *out, size_t out_size)
{
	bool looks_like_key = len > 0 && len < 40 && len < out_size;
	for (size_t i = 0; looks_like_key && i < len; i++) {
		char c = name[i];
		looks_like_key = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
	}
	snprintf(out, out_size, "%.*s", looks_like_key ? (int)len : 0, looks_like_key ? name : "");
	if (!looks_like_key)
		snprintf(out, out_size, "(not shown)");
}

/* Stores one "key=value" setting. A later source overrides an earlier one; within
 * one source a key may appear once. */
static int store_setting(struct raw_value *raw, bool *seen_here, const char *key, size_t key_len, const char *value,
			 const char *origin, struct problems *problems)
{
	size_t index;
	char name[64];
	if (find_key(key, key_len, &index) == NULL) {
		printable_name(key, key_len, name, sizeof(name));
		problem(problems, "%s: unknown key '%s'", origin, name);
		return -1;
	}
	if (seen_here[index]) {
		problem(problems, "%s: '%s' is set twice", origin, oauth2_config_keys[index].name);
		return -1;
	}
	if (value[0] == '\0') {
		problem(problems, "%s: '%s' has an empty value", origin, oauth2_config_keys[index].name);
		return -1;
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		problem(problems, "out of memory");
		return -1;
	}
	free(raw[index].text);
	raw[index].text = copy;
	snprintf(raw[index].origin, sizeof(raw[index].origin), "%s", origin);
	seen_here[index] = true;
	return 0;
}

static int check_config_file(FILE *file, const char *path, uid_t file_owner, struct problems *problems)
{
	struct stat st;
	if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
		problem(problems, "%s: not a regular file", path);
		return -1;
	}
	/* Whoever can write this file decides which IdP may log people in. */
	if (st.st_uid != file_owner || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		problem(problems, "%s: must be owned by root and not writable by group or others", path);
		return -1;
	}
	return 0;
}

static int read_config_file(const char *path, bool must_exist, uid_t file_owner, struct raw_value *raw,
			    struct problems *problems)
{
	FILE *file = fopen(path, "re");
	if (file == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		problem(problems, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	int rc = check_config_file(file, path, file_owner, problems);
	bool seen[KEY_COUNT] = { false };
	char line[CONFIG_LINE_MAX + 2];
	char origin[sizeof(raw[0].origin)];
	for (unsigned number = 1; (rc == 0 || keep_going(problems)) && fgets(line, sizeof(line), file) != NULL;
	     number++) {
		snprintf(origin, sizeof(origin), "%.80s:%u", path, number);
		if (strchr(line, '\n') == NULL && !feof(file)) {
			/* The rest of an overlong line would read as lines of its own: stop here. */
			problem(problems, "%s: line longer than %d bytes", origin, CONFIG_LINE_MAX);
			rc = -1;
			break;
		}
		char *text = trim(line);
		if (text[0] == '\0' || text[0] == '#')
			continue;
		char *equals = strchr(text, '=');
		if (equals == NULL) {
			problem(problems, "%s: expected 'key = value'", origin);
			rc = -1;
			continue;
		}
		*equals = '\0';
		char *key = trim(text);
		if (store_setting(raw, seen, key, strlen(key), trim(equals + 1), origin, problems) != 0)
			rc = -1;
	}
	if (rc == 0 && ferror(file)) {
		problem(problems, "%s: read error", path);
		rc = -1;
	}
	explicit_bzero(line, sizeof(line));
	fclose(file);
	return rc;
}

static int choice_index(const char *const *choices, const char *value)
{
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) == 0)
			return i;
	}
	return -1;
}

static bool has_control_character(const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return true;
	}
	return false;
}

/* Converts and checks one value into its field. */
static int convert_value(struct oauth2_config *config, const struct config_key *key, const char *value,
			 const char *origin, struct problems *problems)
{
	void *field = (char *)config + key->offset;
	switch (key->type) {
	case CONFIG_URL:
		if (!is_https_url(value)) {
			problem(problems, "%s: %s must be an https URL", origin, key->name);
			return -1;
		}
		break;
	case CONFIG_SCOPES:
		if (!scope_set_is_valid(value)) {
			problem(problems, "%s: %s holds a character not allowed in a scope", origin, key->name);
			return -1;
		}
		break;
	case CONFIG_PATH:
		if (value[0] != '/') {
			problem(problems, "%s: %s must be an absolute path", origin, key->name);
			return -1;
		}
		/* A path is echoed in errors and logs, so it obeys the string rule too. */
		if (has_control_character(value)) {
			problem(problems, "%s: %s holds a control character", origin, key->name);
			return -1;
		}
		break;
	case CONFIG_STRING:
		if (has_control_character(value)) {
			problem(problems, "%s: %s holds a control character", origin, key->name);
			return -1;
		}
		break;
	case CONFIG_SECONDS: {
		char *end;
		errno = 0;
		long seconds = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || seconds < key->min || seconds > key->max) {
			problem(problems, "%s: %s must be a whole number of seconds from %ld to %ld", origin, key->name,
				key->min, key->max);
			return -1;
		}
		*(long *)field = seconds;
		return 0;
	}
	case CONFIG_CHOICE:
	case CONFIG_BOOL: {
		int index = choice_index(key->choices, value);
		if (key->type == CONFIG_BOOL && index < 0) {
			static const char *const yes[] = { "yes", "true", "1", NULL }, *const no[] = { "no", "false",
												       "0", NULL };
			index = choice_index(yes, value) >= 0 ? 1 : choice_index(no, value) >= 0 ? 0 : -1;
		}
		if (index < 0) {
			char names[64] = "";
			for (size_t i = 0; key->choices[i] != NULL; i++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
					 key->choices[i]);
			problem(problems, "%s: %s must be one of: %s", origin, key->name, names);
			return -1;
		}
		if (key->type == CONFIG_BOOL)
			*(bool *)field = index == 1;
		else
			*(int *)field = index;
		return 0;
	}
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		problem(problems, "out of memory");
		return -1;
	}
	*(char **)field = copy;
	return 0;
}

/* Rules between keys, checked once every key has its value. */
/* An unset scope asks for openid and whatever require_scope needs: a required scope
 * that is never requested could never be granted. */
static int default_scope_covers_required(struct oauth2_config *config, struct problems *problems)
{
	struct strbuf scope;
	strbuf_init(&scope, 0);
	int rc = strbuf_append_str(&scope, config->scope);
	const char *cursor = config->require_scope;
	while (rc == 0 && *cursor != '\0') {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		if (len > 0 && !scope_set_contains(scope.data, cursor + skip, len))
			rc = strbuf_appendf(&scope, " %.*s", (int)len, cursor + skip);
		cursor += skip + len;
	}
	if (rc != 0) {
		strbuf_wipe_free(&scope);
		problem(problems, "out of memory");
		return -1;
	}
	free(config->scope);
	config->scope = strbuf_release(&scope);
	return 0;
}

/* ---- rules between keys: each checked once every key has its value; the loader stops
 * at the first that fails, check mode (pam_oauth2-check --config) runs them all ---- */

static int rule_endpoints(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->issuer == NULL &&
	    (config->device_authorization_endpoint == NULL || config->token_endpoint == NULL)) {
		problem(problems, "set issuer, or both device_authorization_endpoint and token_endpoint");
		return -1;
	}
	return 0;
}

static int rule_allowed_algs(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	const char *cursor = config->allowed_algs;
	while (*cursor != '\0') {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		if (len > 0 && !jws_alg_supported(cursor + skip, len)) {
			problem(problems, "allowed_algs: '%.*s' is not supported (only %s)", (int)len, cursor + skip,
				JWS_SUPPORTED_ALGS);
			return -1;
		}
		cursor += skip + len;
	}
	return 0;
}

static int rule_jwt_sources(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	/* With an audience, scope_source=auto means jwt: the issuer is needed to check iss. */
	bool jwt_used = config->scope_source == SCOPE_SOURCE_JWT || config->identity_source == IDENTITY_SOURCE_JWT ||
			(config->audience != NULL && config->scope_source == SCOPE_SOURCE_AUTO);
	if (jwt_used && (config->audience == NULL || config->issuer == NULL)) {
		problem(problems, "JWT access tokens (audience, or a jwt source) need audience and issuer");
		return -1;
	}
	return 0;
}

static int rule_id_token_source(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->identity_source == IDENTITY_SOURCE_ID_TOKEN &&
	    (config->issuer == NULL || !scope_set_contains(config->scope, "openid", 6))) {
		problem(problems, "identity_source=id_token needs issuer and openid in scope");
		return -1;
	}
	return 0;
}

static int rule_audience(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->audience != NULL && strchr(config->audience, ':') == NULL) {
		problem(problems, "audience must be an absolute URI (RFC 8707)");
		return -1;
	}
	return 0;
}

static int rule_client_auth(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->client_auth == CLIENT_AUTH_UNSET)
		config->client_auth = config->client_secret_file != NULL ? CLIENT_AUTH_BASIC : CLIENT_AUTH_NONE;
	if (config->client_auth != CLIENT_AUTH_NONE && config->client_secret_file == NULL) {
		problem(problems, "client_auth=%s needs client_secret_file", client_auth_names[config->client_auth]);
		return -1;
	}
	if (config->client_auth == CLIENT_AUTH_NONE && config->client_secret_file != NULL) {
		problem(problems, "client_secret_file is set but client_auth=none would not use it");
		return -1;
	}
	return 0;
}

static int rule_required_scopes(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	char missing[128];
	if (!scope_set_contains_all(config->scope, config->require_scope, missing, sizeof(missing))) {
		problem(problems, "require_scope '%s' is not requested in scope", missing);
		return -1;
	}
	return 0;
}

static int rule_timeouts(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->http_timeout >= config->timeout) {
		problem(problems, "http_timeout must be shorter than timeout");
		return -1;
	}
	return 0;
}

static int rule_ca_file(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	if (config->ca_file == NULL)
		return 0;
	/* Whoever can write the CA bundle can impersonate the IdP. Checked, not read: curl
	 * reads it, and a system bundle is large to read on every login. */
	const char *why;
	if (trusted_file_check_following(config->ca_file, file_owner, S_IWGRP | S_IWOTH, &why) != 0) {
		problem(problems, "ca_file %s %s", config->ca_file, why);
		return -1;
	}
	return 0;
}

static int rule_username_map(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	if (config->username_map == NULL)
		return 0;
	const char *why;
	unsigned line;
	if (trusted_file_read(config->username_map, file_owner, S_IWGRP | S_IWOTH, USERNAME_MAP_MAX,
			      &config->username_map_content, &why) != 0) {
		problem(problems, "username_map %s %s", config->username_map, why);
		return -1;
	}
	if (username_map_validate(config->username_map_content, &line, &why) != 0) {
		problem(problems, "%s:%u: %s", config->username_map, line, why);
		return -1;
	}
	return 0;
}

static int rule_client_secret(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	if (config->client_secret_file == NULL)
		return 0;
	const char *why;
	if (secret_file_read(config->client_secret_file, file_owner, &config->client_secret, &why) != 0) {
		problem(problems, "client_secret_file %s %s", config->client_secret_file, why);
		return -1;
	}
	return 0;
}

static int rule_require_claim(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	const char *cursor = config->require_claim != NULL ? config->require_claim : "";
	while (*cursor != '\0') {
		size_t skip = strspn(cursor, " "), len = strcspn(cursor + skip, " ");
		const char *equals = memchr(cursor + skip, '=', len);
		if (len > 0 && (equals == NULL || equals == cursor + skip || (size_t)(equals - cursor - skip) > 256)) {
			problem(problems, "require_claim: '%.*s' is not NAME=VALUE", (int)(len < 64 ? len : 64),
				cursor + skip);
			return -1;
		}
		cursor += skip + len;
	}
	return 0;
}

static int rule_groups_source(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	/* GitHub's memberships are read next to its user endpoint, with the same token. */
	if (config->groups_source == GROUPS_SOURCE_GITHUB &&
	    (config->userinfo_endpoint == NULL || config->identity_source != IDENTITY_SOURCE_USERINFO)) {
		problem(problems, "groups_source=github needs userinfo_endpoint and identity_source=userinfo");
		return -1;
	}
	return 0;
}

static int rule_auth_context(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	/* amr, acr and auth_time are read from the verified ID token only. */
	bool wanted = config->require_amr[0] != '\0' || config->require_acr[0] != '\0' || config->max_auth_age > 0;
	bool id_token =
	    config->issuer != NULL && scope_set_contains(config->scope, "openid", 6) &&
	    (config->identity_source == IDENTITY_SOURCE_ID_TOKEN || config->identity_source == IDENTITY_SOURCE_AUTO);
	if (wanted && !id_token) {
		problem(problems, "require_amr, require_acr and max_auth_age are read from the verified ID token: they "
				  "need issuer, openid in scope and identity_source id_token or auto");
		return -1;
	}
	return 0;
}

static int rule_approver_group(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->approver_group[0] != '\0' && config->groups_source != GROUPS_SOURCE_CLAIMS) {
		problem(problems, "approver_group is read from groups_claim: it needs groups_source=claims");
		return -1;
	}
	return 0;
}

/* A remembered approval would stand in for both people's: the second person's approval
 * is asked for on every login. */
static int rule_remember(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	(void)file_owner;
	if (config->remember > 0 && config->approver_group[0] != '\0') {
		problem(problems, "remember cannot be used with approver_group: a four-eyes approval is for one login");
		return -1;
	}
	return 0;
}

/* In order: client_auth's default is settled before the secret is read. */
static const struct {
	const char *name;
	int (*check)(struct oauth2_config *config, uid_t file_owner, struct problems *problems);
} cross_key_rules[] = {
	{ "endpoints", rule_endpoints },
	{ "allowed_algs", rule_allowed_algs },
	{ "jwt sources", rule_jwt_sources },
	{ "id_token source", rule_id_token_source },
	{ "audience", rule_audience },
	{ "groups_source", rule_groups_source },
	{ "require_claim", rule_require_claim },
	{ "auth context", rule_auth_context },
	{ "approver_group", rule_approver_group },
	{ "remember", rule_remember },
	{ "client authentication", rule_client_auth },
	{ "required scopes", rule_required_scopes },
	{ "timeouts", rule_timeouts },
	{ "ca_file", rule_ca_file },
	{ "username_map", rule_username_map },
	{ "client secret", rule_client_secret },
};

static int check_combination(struct oauth2_config *config, uid_t file_owner, struct problems *problems)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof(cross_key_rules) / sizeof(cross_key_rules[0]); i++) {
		if (cross_key_rules[i].check(config, file_owner, problems) != 0) {
			rc = -1;
			if (!keep_going(problems))
				break;
		}
	}
	return rc;
}

static int load(struct oauth2_config *config, int argc, const char **argv, const char *default_path, uid_t file_owner,
		struct problems *problems)
{
	memset(config, 0, sizeof(*config));
	config->client_auth = CLIENT_AUTH_UNSET; /* its default depends on client_secret_file */
	struct raw_value raw[KEY_COUNT];
	memset(raw, 0, sizeof(raw));
	int rc = -1;

	/* The file first, so that arguments override it. */
	const char *path = default_path;
	bool path_given = false;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0) {
			if (path_given || argv[i][7] != '/') {
				problem(problems, "argument config= must be given once, as an absolute path");
				goto done;
			}
			path = argv[i] + 7;
			path_given = true;
		}
	}
	if (read_config_file(path, path_given, file_owner, raw, problems) != 0 && !keep_going(problems))
		goto done;

	bool seen_in_args[KEY_COUNT] = { false };
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "config=", 7) == 0)
			continue;
		/* Linux-PAM's flag style: a bare "debug" means debug=on. */
		const char *equals = strchr(arg, '=');
		const char *value = equals != NULL ? equals + 1 : (strcmp(arg, "debug") == 0 ? "on" : "");
		size_t key_len = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
		char origin[64];
		char name[40];
		printable_name(arg, key_len, name, sizeof(name));
		snprintf(origin, sizeof(origin), "argument '%s'", name);
		if (equals == NULL && value[0] == '\0') {
			problem(problems, "%s: expected key=value", origin);
			if (!keep_going(problems))
				goto done;
			continue;
		}
		if (store_setting(raw, seen_in_args, arg, key_len, value, origin, problems) != 0 &&
		    !keep_going(problems))
			goto done;
	}

	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct config_key *key = &oauth2_config_keys[i];
		const char *value = raw[i].text != NULL ? raw[i].text : key->default_value;
		if (value == NULL) {
			if (key->required) {
				problem(problems, "required key '%s' is not set", key->name);
				if (!keep_going(problems))
					goto done;
			}
			continue;
		}
		const char *origin = raw[i].text != NULL ? raw[i].origin : "default";
		if (convert_value(config, key, value, origin, problems) != 0 && !keep_going(problems))
			goto done;
	}
	/* Rules between keys need every value: they wait until each one is sound. */
	if (problems->count > 0)
		goto done;
	if (raw_text(raw, "scope") == NULL && default_scope_covers_required(config, problems) != 0)
		goto done;
	rc = check_combination(config, file_owner, problems);
done:
	for (size_t i = 0; i < KEY_COUNT; i++)
		free(raw[i].text);
	if (rc != 0 || problems->count > 0) {
		oauth2_config_free(config);
		rc = -1;
	}
	return rc;
}

int oauth2_config_load(struct oauth2_config *config, int argc, const char **argv, const char *default_path,
		       uid_t file_owner, char *error, size_t error_size)
{
	struct problems problems = { error, error_size, NULL, NULL, 0 };
	return load(config, argc, argv, default_path, file_owner, &problems);
}

int oauth2_config_check(struct oauth2_config *config, int argc, const char **argv, const char *default_path,
			uid_t file_owner, config_problem_report report, void *data)
{
	char first[512];
	struct problems problems = { first, sizeof(first), report, data, 0 };
	return load(config, argc, argv, default_path, file_owner, &problems);
}

void oauth2_config_free(struct oauth2_config *config)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct config_key *key = &oauth2_config_keys[i];
		if (key->type == CONFIG_URL || key->type == CONFIG_STRING || key->type == CONFIG_SCOPES ||
		    key->type == CONFIG_PATH) {
			char **field = (char **)((char *)config + key->offset);
			free(*field);
			*field = NULL;
		}
	}
	secret_free(config->client_secret);
	config->client_secret = NULL;
	free(config->username_map_content);
	config->username_map_content = NULL;
}

int oauth2_config_fingerprint(const struct oauth2_config *config, char out[CONFIG_FINGERPRINT_HEX + 1])
{
	struct strbuf text;
	strbuf_init(&text, 0);
	int rc = strbuf_append_str(&text, "pam_oauth2 policy 1\n");
	for (size_t i = 0; rc == 0 && i < KEY_COUNT; i++) {
		const struct config_key *key = &oauth2_config_keys[i];
		const void *field = (const char *)config + key->offset;
		if (key->outside_policy)
			continue;
		switch (key->type) {
		case CONFIG_SECONDS:
			rc = strbuf_appendf(&text, "%s=%ld\n", key->name, *(const long *)field);
			break;
		case CONFIG_CHOICE:
			rc = strbuf_appendf(&text, "%s=%d\n", key->name, *(const int *)field);
			break;
		case CONFIG_BOOL:
			rc = strbuf_appendf(&text, "%s=%d\n", key->name, *(const bool *)field ? 1 : 0);
			break;
		default: {
			/* Values hold no control characters (convert_value): a newline ends each. */
			const char *value = *(char *const *)field;
			rc = strbuf_appendf(&text, "%s%s%s\n", key->name, value != NULL ? "=" : " unset",
					    value != NULL ? value : "");
		}
		}
	}
	/* The map's content, not only its path: an edited map may admit other people. */
	if (rc == 0 && config->username_map_content != NULL)
		rc = strbuf_appendf(&text, "username_map content %zu\n%s", strlen(config->username_map_content),
				    config->username_map_content);
	const char *parts[] = { text.data != NULL ? text.data : "" };
	if (rc == 0)
		rc = sha256_hex(parts, 1, out);
	strbuf_wipe_free(&text);
	return rc;
}
