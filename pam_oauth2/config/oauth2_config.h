/* The module's configuration: one loader for the file and the module arguments,
 * driven by one table of keys (names, types, defaults, help). */
#ifndef PAM_OAUTH2_OAUTH2_CONFIG_H
#define PAM_OAUTH2_OAUTH2_CONFIG_H

#include "util/qr_render.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OAUTH2_CONFIG_DEFAULT_PATH SECUREDIR "/pam_oauth2.conf"
#define CONFIG_LINE_MAX 4096
/* Files the module trusts (configuration, secrets, maps, CA bundle, cache) belong to root. */
#define TRUSTED_OWNER 0
/* remember_dir: on tmpfs, so nothing remembered outlives a reboot. */
#define REMEMBER_DIR_DEFAULT "/run/pam_oauth2"

enum client_auth { CLIENT_AUTH_UNSET = -1, CLIENT_AUTH_NONE, CLIENT_AUTH_BASIC, CLIENT_AUTH_POST };
enum prompt_mode { PROMPT_ENTER, PROMPT_NONE };
enum username_case { USERNAME_CASE_SENSITIVE, USERNAME_CASE_INSENSITIVE };
/* The device authorization field that names the API: RFC 8707's resource, or Auth0's audience. */
enum audience_param { AUDIENCE_PARAM_RESOURCE, AUDIENCE_PARAM_AUDIENCE };
/* Where the approver's groups come from: the identity claims, or GitHub's REST API. */
enum groups_source { GROUPS_SOURCE_CLAIMS, GROUPS_SOURCE_GITHUB };
/* require_amr: one of its methods suffices (any), or every one is needed (all). */
enum amr_mode { AMR_MODE_ANY, AMR_MODE_ALL };

struct oauth2_config {
	char *issuer;
	char *device_authorization_endpoint;
	char *token_endpoint;
	char *userinfo_endpoint;
	char *introspection_endpoint;
	char *jwks_uri;
	char *client_id;
	char *client_secret_file;
	int client_auth; /* enum client_auth */
	char *scope;
	char *require_scope;
	char *username_claim;
	char *ca_file;
	long timeout;
	long http_timeout;
	int qr;     /* enum qr_mode */
	int prompt; /* enum prompt_mode */
	bool debug;
	char *audience;
	char *allowed_algs;
	long leeway;
	int scope_source;    /* enum scope_source */
	int identity_source; /* enum identity_source */
	char *username_suffix;
	char *username_map;
	char *require_group;
	char *groups_claim;
	char *require_claim;
	int username_case;  /* enum username_case */
	int audience_param; /* enum audience_param */
	int groups_source;  /* enum groups_source */
	char *require_amr;
	int require_amr_mode; /* enum amr_mode */
	char *require_acr;
	long max_auth_age;
	char *approver_group; /* set: a second person, in one of these groups, must approve */
	bool export_claims;
	bool cache;
	char *cache_dir;
	long cache_ttl;
	long remember;      /* seconds an approval is remembered; 0: off */
	char *remember_dir; /* where remembered approvals are kept (root-only, tmpfs) */

	char *client_secret;        /* read from client_secret_file; wiped on free */
	char *username_map_content; /* read from username_map */
};

enum config_type { CONFIG_URL, CONFIG_STRING, CONFIG_SCOPES, CONFIG_PATH, CONFIG_SECONDS, CONFIG_CHOICE, CONFIG_BOOL };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *default_value; /* NULL: unset unless given */
	bool required;
	long min, max;              /* CONFIG_SECONDS */
	const char *const *choices; /* CONFIG_CHOICE and CONFIG_BOOL: names, index = value */
	const char *help;
	/* Does not change who may log in or how (display, timing, caching): left out of the
	 * fingerprint that keys remembered approvals. */
	bool outside_policy;
};

/* The table of every key, ended by an entry with a NULL name. */
extern const struct config_key oauth2_config_keys[];

/* Loads the file named by a config=PATH argument, or DEFAULT_PATH (which may be
 * absent), then the other arguments over it, checks every value, and reads the
 * client secret. Files must be owned by FILE_OWNER (root in production). Returns 0,
 * or -1 with one line for the log in ERROR (a file line or argument named). On
 * failure CONFIG holds nothing to free. */
int oauth2_config_load(struct oauth2_config *config, int argc, const char **argv, const char *default_path,
		       uid_t file_owner, char *error, size_t error_size);

/* Called once for each problem oauth2_config_check finds, with one safe line naming the
 * file and line, or the argument, where it is. */
typedef void (*config_problem_report)(void *data, const char *problem);

/* As oauth2_config_load, but reports every problem it can find instead of stopping at
 * the first: each bad line, argument or value, and each missing key. Rules between keys
 * (and the files they name) are checked once every value is sound. Returns 0 or -1. */
int oauth2_config_check(struct oauth2_config *config, int argc, const char **argv, const char *default_path,
			uid_t file_owner, config_problem_report report, void *data);

void oauth2_config_free(struct oauth2_config *config);

#define CONFIG_FINGERPRINT_HEX 64

/* The identity of a loaded configuration for remembered approvals: SHA-256 over every key
 * that decides who may log in and how (issuer, client, scopes, identity rules, the
 * username map's content, ...), so that a record written under another configuration is
 * never reused. Returns 0, or -1 (memory, OpenSSL). */
int oauth2_config_fingerprint(const struct oauth2_config *config, char out[CONFIG_FINGERPRINT_HEX + 1]);

#endif
