/* oauth2_config.h: the one loader for the config file and the module arguments, and the
 * client secret file. Each test works in its own mkdtemp directory. */
#include "config.h"

#include "config/oauth2_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_dir.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_SIZE 128
#define SECRET "s3cr3t-V4lue_9f2c"

#define MINIMAL                                                                                                        \
	"device_authorization_endpoint = https://idp.example/device/auth\n"                                            \
	"token_endpoint = https://idp.example/token\n"                                                                 \
	"userinfo_endpoint = https://idp.example/me\n"                                                                 \
	"client_id = pam-host\n"

struct fixture {
	char dir[64];
	char config_path[PATH_SIZE];  /* DIR/pam_oauth2.conf */
	char secret_path[PATH_SIZE];  /* DIR/client.secret */
	char missing_path[PATH_SIZE]; /* DIR/absent.conf, never created */
	char argument[2 * PATH_SIZE]; /* room for a "key=PATH" argument */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	if (scratch_dir_create(f->dir, sizeof(f->dir), "test_config") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->config_path, sizeof(f->config_path), "%s/pam_oauth2.conf", f->dir);
	snprintf(f->secret_path, sizeof(f->secret_path), "%s/client.secret", f->dir);
	snprintf(f->missing_path, sizeof(f->missing_path), "%s/absent.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = scratch_dir_remove(f->dir);
	free(f);
	return rc;
}

/* Every string the loader may allocate is NULL: those of the key table, and the secret. */
static void assert_config_empty(const struct oauth2_config *config)
{
	for (const struct config_key *key = oauth2_config_keys; key->name != NULL; key++) {
		if (key->type == CONFIG_URL || key->type == CONFIG_STRING || key->type == CONFIG_SCOPES ||
		    key->type == CONFIG_PATH) {
			const char *value = *(char *const *)((const char *)config + key->offset);
			if (value != NULL)
				fail_msg("%s is still set after a failed load", key->name);
		}
	}
	assert_null(config->client_secret);
}

static int load(int argc, const char **argv, const char *default_path, uid_t owner, struct oauth2_config *config,
		char *error, size_t error_size)
{
	error[0] = '\0';
	return oauth2_config_load(config, argc, argv, default_path, owner, error, error_size);
}

/* Writes TEXT as the config file and loads it with ARGV; the load must succeed. */
static void load_ok(struct fixture *f, const char *text, int argc, const char **argv, struct oauth2_config *config)
{
	write_file(f->config_path, text, 0644);
	char error[512];
	if (load(argc, argv, f->config_path, getuid(), config, error, sizeof(error)) != 0)
		fail_msg("load failed: %s", error);
}

/* Writes TEXT as the config file and loads it with ARGV; the load must fail, leaving nothing
 * to free. ERROR gets the message. */
static void load_fails(struct fixture *f, const char *text, int argc, const char **argv, char *error, size_t error_size)
{
	write_file(f->config_path, text, 0644);
	struct oauth2_config config;
	if (load(argc, argv, f->config_path, getuid(), &config, error, error_size) == 0) {
		oauth2_config_free(&config);
		fail_msg("load succeeded");
	}
	assert_config_empty(&config);
	assert_true(strlen(error) > 0);
	oauth2_config_free(&config); /* nothing to free: must be harmless */
}

static void assert_mentions(const char *error, const char *needle)
{
	if (strstr(error, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", error, needle);
}

/* Into OUT: MINIMAL, a line naming F's secret file, then EXTRA. */
static void config_with_secret(const struct fixture *f, const char *extra, char *out, size_t size)
{
	snprintf(out, size, MINIMAL "client_secret_file = %s\n%s", f->secret_path, extra);
}

/* ---- the file ---- */

static void test_minimal_file_loads(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL, 0, NULL, &config);
	assert_string_equal(config.device_authorization_endpoint, "https://idp.example/device/auth");
	assert_string_equal(config.token_endpoint, "https://idp.example/token");
	assert_string_equal(config.userinfo_endpoint, "https://idp.example/me");
	assert_string_equal(config.client_id, "pam-host");
	oauth2_config_free(&config);
	assert_config_empty(&config);
}

static void test_defaults_fill_what_the_file_leaves_out(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL, 0, NULL, &config);
	assert_string_equal(config.scope, "openid");
	assert_string_equal(config.require_scope, "");
	assert_string_equal(config.username_claim, "preferred_username");
	assert_int_equal(config.timeout, 300);
	assert_int_equal(config.http_timeout, 10);
	assert_int_equal(config.qr, QR_UTF8);
	assert_int_equal(config.prompt, PROMPT_ENTER);
	assert_false(config.debug);
	assert_int_equal(config.client_auth, CLIENT_AUTH_NONE);
	assert_null(config.client_secret_file);
	assert_null(config.client_secret);
	assert_null(config.ca_file);
	oauth2_config_free(&config);
}

static void test_comments_and_blank_lines_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f,
		"# pam_oauth2 configuration\n"
		"\n"
		"   # an indented comment: timeout = 1\n"
		"device_authorization_endpoint = https://idp.example/device/auth\n"
		"   \t \n"
		"token_endpoint = https://idp.example/token\n"
		"#scope = nonsense \"\n"
		"userinfo_endpoint = https://idp.example/me\n"
		"client_id = pam-host\n"
		"\n",
		0, NULL, &config);
	assert_string_equal(config.scope, "openid");
	assert_int_equal(config.timeout, 300);
	oauth2_config_free(&config);
}

static void test_spaces_around_equals_are_trimmed(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f,
		MINIMAL "scope=openid ssh:login\n"
			"  timeout\t=\t120  \n"
			"require_scope   =   ssh:login\r\n",
		0, NULL, &config);
	assert_string_equal(config.scope, "openid ssh:login");
	assert_int_equal(config.timeout, 120);
	assert_string_equal(config.require_scope, "ssh:login");
	oauth2_config_free(&config);
}

static void test_value_may_contain_equals_signs(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f,
		"device_authorization_endpoint = https://idp.example/device/auth?tenant=a\n"
		"token_endpoint = https://idp.example/token\n"
		"userinfo_endpoint = https://idp.example/me\n"
		"client_id = id=42\n",
		0, NULL, &config);
	assert_string_equal(config.device_authorization_endpoint, "https://idp.example/device/auth?tenant=a");
	assert_string_equal(config.client_id, "id=42");
	oauth2_config_free(&config);
}

static void test_unknown_key_in_file_names_file_and_line(void **state)
{
	struct fixture *f = *state;
	char error[512], origin[PATH_SIZE + 16];
	load_fails(f, "# comment\n\nclient_secret = hunter2\n" MINIMAL, 0, NULL, error, sizeof(error));
	snprintf(origin, sizeof(origin), "%s:3", f->config_path);
	assert_mentions(error, origin);
	assert_mentions(error, "client_secret");
	/* The value of an unknown key is never repeated: it may be a secret put in the wrong place. */
	assert_null(strstr(error, "hunter2"));
}

static void test_line_without_equals_is_refused_with_its_line(void **state)
{
	struct fixture *f = *state;
	char error[512], origin[PATH_SIZE + 16];
	load_fails(f, MINIMAL "debug\n", 0, NULL, error, sizeof(error));
	snprintf(origin, sizeof(origin), "%s:5", f->config_path);
	assert_mentions(error, origin);
}

static void test_duplicate_key_in_file_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512], origin[PATH_SIZE + 16];
	load_fails(f, MINIMAL "timeout = 100\ntimeout = 200\n", 0, NULL, error, sizeof(error));
	snprintf(origin, sizeof(origin), "%s:6", f->config_path);
	assert_mentions(error, origin);
	assert_mentions(error, "timeout");
}

static void test_empty_value_in_file_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "scope =   \n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "scope");
}

/* A config file whose line 5 is "client_id = " padded with x to LINE_LEN bytes. */
static void write_long_line_config(const struct fixture *f, size_t line_len)
{
	const char *head = "device_authorization_endpoint = https://idp.example/device/auth\n"
			   "token_endpoint = https://idp.example/token\n"
			   "userinfo_endpoint = https://idp.example/me\n"
			   "# the next line is long\n"
			   "client_id = ";
	size_t head_len = strlen(head), prefix = strlen("client_id = ");
	char *text = malloc(head_len + line_len + 2);
	assert_non_null(text);
	memcpy(text, head, head_len);
	memset(text + head_len, 'x', line_len - prefix);
	memcpy(text + head_len + line_len - prefix, "\n", 2);
	write_file(f->config_path, text, 0644);
	free(text);
}

static void test_line_longer_than_the_maximum_is_refused(void **state)
{
	struct fixture *f = *state;
	write_long_line_config(f, CONFIG_LINE_MAX + 1);
	struct oauth2_config config;
	char error[512], origin[PATH_SIZE + 16];
	assert_int_equal(load(0, NULL, f->config_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
	snprintf(origin, sizeof(origin), "%s:5", f->config_path);
	assert_mentions(error, origin);
}

static void test_line_of_exactly_the_maximum_is_accepted(void **state)
{
	struct fixture *f = *state;
	write_long_line_config(f, CONFIG_LINE_MAX);
	struct oauth2_config config;
	char error[512];
	if (load(0, NULL, f->config_path, getuid(), &config, error, sizeof(error)) != 0)
		fail_msg("load failed: %s", error);
	assert_int_equal(strlen(config.client_id), CONFIG_LINE_MAX - strlen("client_id = "));
	oauth2_config_free(&config);
}

static void test_missing_client_id_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f,
		   "device_authorization_endpoint = https://idp.example/device/auth\n"
		   "token_endpoint = https://idp.example/token\n"
		   "userinfo_endpoint = https://idp.example/me\n",
		   0, NULL, error, sizeof(error));
	assert_mentions(error, "client_id");
}

static void test_missing_endpoint_without_issuer_is_refused(void **state)
{
	struct fixture *f = *state;
	const char *endpoints[] = { "device_authorization_endpoint", "token_endpoint" };
	for (size_t skip = 0; skip < 2; skip++) {
		char text[512] = "client_id = pam-host\nuserinfo_endpoint = https://idp.example/me\n";
		for (size_t i = 0; i < 2; i++) {
			if (i != skip)
				snprintf(text + strlen(text), sizeof(text) - strlen(text),
					 "%s = https://idp.example/%zu\n", endpoints[i], i);
		}
		char error[512];
		load_fails(f, text, 0, NULL, error, sizeof(error));
		assert_mentions(error, endpoints[skip]);
	}
}

static void test_endpoint_that_is_not_https_is_refused(void **state)
{
	struct fixture *f = *state;
	const char *urls[] = { "http://idp.example/token",   "ftp://idp.example/token", "idp.example/token", "https://",
			       "https://idp.example/to ken", "file:///etc/passwd" };
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char text[512], error[512];
		snprintf(text, sizeof(text),
			 "device_authorization_endpoint = https://idp.example/device/auth\n"
			 "token_endpoint = %s\n"
			 "userinfo_endpoint = https://idp.example/me\n"
			 "client_id = pam-host\n",
			 urls[i]);
		load_fails(f, text, 0, NULL, error, sizeof(error));
		assert_mentions(error, "token_endpoint");
	}
}

static void test_timeout_out_of_range_or_not_a_number_is_refused(void **state)
{
	struct fixture *f = *state;
	const char *values[] = {
		"4", "3601", "0", "-5", "abc", "300s", "30 0", "1e3", "99999999999999999999", "0x100"
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char text[512], error[512], origin[PATH_SIZE + 16];
		snprintf(text, sizeof(text), MINIMAL "timeout = %s\n", values[i]);
		load_fails(f, text, 0, NULL, error, sizeof(error));
		snprintf(origin, sizeof(origin), "%s:5", f->config_path);
		assert_mentions(error, origin);
		assert_mentions(error, "timeout");
	}
}

static void test_http_timeout_out_of_range_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "http_timeout = 0\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "http_timeout");
	load_fails(f, MINIMAL "http_timeout = 121\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "http_timeout");
}

static void test_timeout_bounds_are_accepted(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL "timeout = 5\nhttp_timeout = 1\n", 0, NULL, &config);
	assert_int_equal(config.timeout, 5);
	assert_int_equal(config.http_timeout, 1);
	oauth2_config_free(&config);
	load_ok(f, MINIMAL "timeout = 3600\nhttp_timeout = 120\n", 0, NULL, &config);
	assert_int_equal(config.timeout, 3600);
	assert_int_equal(config.http_timeout, 120);
	oauth2_config_free(&config);
}

static void test_http_timeout_not_shorter_than_timeout_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "timeout = 30\nhttp_timeout = 30\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "http_timeout");
	load_fails(f, MINIMAL "timeout = 30\nhttp_timeout = 60\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "http_timeout");
	/* The default http_timeout (10 s) counts too. */
	load_fails(f, MINIMAL "timeout = 10\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "http_timeout");
}

static void test_choices_are_read(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL "qr = ascii\nprompt = none\n", 0, NULL, &config);
	assert_int_equal(config.qr, QR_ASCII);
	assert_int_equal(config.prompt, PROMPT_NONE);
	oauth2_config_free(&config);
	load_ok(f, MINIMAL "qr = off\n", 0, NULL, &config);
	assert_int_equal(config.qr, QR_OFF);
	oauth2_config_free(&config);
}

static void test_bad_choice_is_refused(void **state)
{
	struct fixture *f = *state;
	const char *lines[][2] = { { "qr = big\n", "qr" },
				   { "qr = utf-8\n", "qr" },
				   { "prompt = maybe\n", "prompt" },
				   { "client_auth = private_key_jwt\n", "client_auth" },
				   { "debug = loud\n", "debug" } };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char text[512], error[512];
		snprintf(text, sizeof(text), MINIMAL "%s", lines[i][0]);
		load_fails(f, text, 0, NULL, error, sizeof(error));
		assert_mentions(error, lines[i][1]);
	}
}

static void test_debug_accepts_usual_boolean_words(void **state)
{
	struct fixture *f = *state;
	const char *on[] = { "on", "yes", "true", "1" }, *off[] = { "off", "no", "false", "0" };
	for (size_t i = 0; i < 4; i++) {
		char text[512];
		struct oauth2_config config;
		snprintf(text, sizeof(text), MINIMAL "debug = %s\n", on[i]);
		load_ok(f, text, 0, NULL, &config);
		assert_true(config.debug);
		oauth2_config_free(&config);
		snprintf(text, sizeof(text), MINIMAL "debug = %s\n", off[i]);
		load_ok(f, text, 0, NULL, &config);
		assert_false(config.debug);
		oauth2_config_free(&config);
	}
}

static void test_require_scope_within_scope_is_accepted(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL "scope = openid ssh:login sudo\nrequire_scope = sudo ssh:login\n", 0, NULL, &config);
	assert_string_equal(config.require_scope, "sudo ssh:login");
	oauth2_config_free(&config);
}

static void test_require_scope_not_within_scope_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	/* A scope set explicitly must request every required scope: else it can never be granted. */
	load_fails(f, MINIMAL "scope = openid ssh\nrequire_scope = ssh:login\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "ssh:login");
}

static void test_auth_context_rules_need_a_verified_id_token(void **state)
{
	struct fixture *f = *state;
	char error[512];
	/* amr, acr and auth_time are read from the verified ID token: without issuer (no keys),
	 * openid, or with identity from elsewhere, they could never be checked. */
	load_fails(f, MINIMAL "require_amr = mfa\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "require_amr, require_acr and max_auth_age are read from the verified ID token");
	load_fails(f, MINIMAL "issuer = https://idp.example\nscope = profile\nmax_auth_age = 300\n", 0, NULL, error,
		   sizeof(error));
	assert_mentions(error, "verified ID token");
	load_fails(f, MINIMAL "issuer = https://idp.example\nidentity_source = userinfo\nrequire_acr = gold\n", 0, NULL,
		   error, sizeof(error));
	assert_mentions(error, "verified ID token");
	struct oauth2_config config;
	load_ok(f,
		MINIMAL "issuer = https://idp.example\nrequire_amr = mfa otp\nrequire_amr_mode = all\n"
			"require_acr = gold\nmax_auth_age = 300\napprover_group = sre-oncall\n",
		0, NULL, &config);
	assert_string_equal(config.require_amr, "mfa otp");
	assert_int_equal(config.require_amr_mode, AMR_MODE_ALL);
	assert_string_equal(config.require_acr, "gold");
	assert_int_equal(config.max_auth_age, 300);
	assert_string_equal(config.approver_group, "sre-oncall");
	oauth2_config_free(&config);
	load_ok(f, MINIMAL, 0, NULL, &config);
	assert_int_equal(config.require_amr_mode, AMR_MODE_ANY);
	assert_int_equal(config.max_auth_age, 0);
	assert_string_equal(config.approver_group, "");
	oauth2_config_free(&config);
}

static void test_approver_group_needs_groups_from_claims(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "identity_source = userinfo\ngroups_source = github\napprover_group = sre\n", 0, NULL,
		   error, sizeof(error));
	assert_mentions(error, "approver_group is read from groups_claim");
}

static void test_remember_cannot_stand_in_for_a_second_person(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "remember = 600\napprover_group = sre\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "remember cannot be used with approver_group");
	load_fails(f, MINIMAL "remember = 28801\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "remember must be a whole number of seconds from 0 to 28800");
	struct oauth2_config config;
	load_ok(f, MINIMAL, 0, NULL, &config);
	assert_int_equal(config.remember, 0); /* off unless set */
	assert_string_equal(config.remember_dir, "/run/pam_oauth2");
	oauth2_config_free(&config);
}

/* The fingerprint of MINIMAL plus EXTRA (a file line). */
static void fingerprint_of(struct fixture *f, const char *extra, char out[CONFIG_FINGERPRINT_HEX + 1])
{
	char text[1024];
	snprintf(text, sizeof(text), MINIMAL "%s", extra);
	struct oauth2_config config;
	load_ok(f, text, 0, NULL, &config);
	assert_int_equal(oauth2_config_fingerprint(&config, out), 0);
	oauth2_config_free(&config);
}

static void test_the_fingerprint_follows_the_policy_and_nothing_else(void **state)
{
	struct fixture *f = *state;
	char base[CONFIG_FINGERPRINT_HEX + 1], other[CONFIG_FINGERPRINT_HEX + 1];
	fingerprint_of(f, "", base);
	/* Who may log in, or how: another record. */
	const char *policy[] = { "require_scope = sudo\n",
				 "scope = openid sudo\n",
				 "username_claim = email\n",
				 "username_case = insensitive\n",
				 "require_group = admins\n",
				 "username_suffix = @example.com\n",
				 "leeway = 0\n" };
	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		fingerprint_of(f, policy[i], other);
		if (strcmp(base, other) == 0)
			fail_msg("\"%s\" leaves the fingerprint unchanged", policy[i]);
	}
	/* Display, timing and caching: the same record. */
	const char *outside[] = { "timeout = 60\n",   "qr = off\n",    "debug = on\n",         "prompt = none\n",
				  "remember = 900\n", "cache = off\n", "export_claims = off\n" };
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		fingerprint_of(f, outside[i], other);
		if (strcmp(base, other) != 0)
			fail_msg("\"%s\" changes the fingerprint", outside[i]);
	}
}

static void test_unset_scope_requests_openid_and_every_required_scope(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	load_ok(f, MINIMAL "require_scope = sudo  ssh:login openid\n", 0, NULL, &config);
	assert_string_equal(config.scope, "openid sudo ssh:login");
	oauth2_config_free(&config);
}

static void test_scope_with_invalid_characters_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "scope = openid \"sudo\"\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "scope");
	load_fails(f, MINIMAL "scope = openid\\sudo\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "scope");
}

static void test_config_file_writable_by_group_or_others_is_refused(void **state)
{
	struct fixture *f = *state;
	const mode_t modes[] = { 0664, 0620, 0646, 0602, 0666 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(f->config_path, MINIMAL, modes[i]);
		struct oauth2_config config;
		char error[512];
		assert_int_equal(load(0, NULL, f->config_path, getuid(), &config, error, sizeof(error)), -1);
		assert_config_empty(&config);
		assert_mentions(error, f->config_path);
	}
}

static void test_config_file_readable_by_others_is_accepted(void **state)
{
	struct fixture *f = *state;
	write_file(f->config_path, MINIMAL, 0444);
	struct oauth2_config config;
	char error[512];
	assert_int_equal(load(0, NULL, f->config_path, getuid(), &config, error, sizeof(error)), 0);
	oauth2_config_free(&config);
}

static void test_config_file_owned_by_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->config_path, MINIMAL, 0600);
	struct oauth2_config config;
	char error[512];
	assert_int_equal(load(0, NULL, f->config_path, getuid() + 1, &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
	assert_mentions(error, f->config_path);
}

static void test_config_path_that_is_a_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	snprintf(f->argument, sizeof(f->argument), "config=%s", f->dir);
	const char *argv[] = { f->argument };
	struct oauth2_config config;
	char error[512];
	assert_int_equal(load(1, argv, f->missing_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
}

/* ---- the arguments ---- */

static const char *full_args[] = {
	"device_authorization_endpoint=https://idp.example/device/auth",
	"token_endpoint=https://idp.example/token",
	"userinfo_endpoint=https://idp.example/me",
	"client_id=pam-host",
};

static void test_arguments_override_the_file(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "scope=openid ssh:login", "timeout=60", "qr=off", "client_id=other-host" };
	struct oauth2_config config;
	load_ok(f, MINIMAL "scope = openid\ntimeout = 120\nqr = ascii\n", 4, argv, &config);
	assert_string_equal(config.scope, "openid ssh:login");
	assert_int_equal(config.timeout, 60);
	assert_int_equal(config.qr, QR_OFF);
	assert_string_equal(config.client_id, "other-host");
	/* What the arguments leave alone comes from the file. */
	assert_string_equal(config.token_endpoint, "https://idp.example/token");
	oauth2_config_free(&config);
}

static void test_config_argument_names_the_file_to_read(void **state)
{
	struct fixture *f = *state;
	char other[PATH_SIZE];
	snprintf(other, sizeof(other), "%s/other.conf", f->dir);
	write_file(other, MINIMAL "timeout = 77\n", 0600);
	/* The default path holds something else, which must not be read. */
	write_file(f->config_path, MINIMAL "timeout = 11\n", 0600);
	snprintf(f->argument, sizeof(f->argument), "config=%s", other);
	const char *argv[] = { f->argument };
	struct oauth2_config config;
	char error[512];
	if (load(1, argv, f->config_path, getuid(), &config, error, sizeof(error)) != 0)
		fail_msg("load failed: %s", error);
	assert_int_equal(config.timeout, 77);
	oauth2_config_free(&config);
}

static void test_config_argument_must_be_absolute_and_given_once(void **state)
{
	struct fixture *f = *state;
	write_file(f->config_path, MINIMAL, 0600);
	struct oauth2_config config;
	char error[512];
	const char *relative[] = { "config=pam_oauth2.conf" };
	assert_int_equal(load(1, relative, f->missing_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
	assert_mentions(error, "config");
	snprintf(f->argument, sizeof(f->argument), "config=%s", f->config_path);
	const char *twice[] = { f->argument, f->argument };
	assert_int_equal(load(2, twice, f->missing_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
}

static void test_explicit_config_path_that_is_missing_is_refused(void **state)
{
	struct fixture *f = *state;
	snprintf(f->argument, sizeof(f->argument), "config=%s", f->missing_path);
	const char *argv[] = { f->argument, full_args[0], full_args[1], full_args[2], full_args[3] };
	struct oauth2_config config;
	char error[512];
	assert_int_equal(load(5, argv, f->missing_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
	assert_mentions(error, f->missing_path);
}

static void test_missing_default_file_is_fine_when_arguments_give_everything(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	char error[512];
	if (load(4, full_args, f->missing_path, getuid(), &config, error, sizeof(error)) != 0)
		fail_msg("load failed: %s", error);
	assert_string_equal(config.client_id, "pam-host");
	assert_string_equal(config.scope, "openid");
	oauth2_config_free(&config);
}

static void test_missing_default_file_and_no_arguments_is_refused(void **state)
{
	struct fixture *f = *state;
	struct oauth2_config config;
	char error[512];
	assert_int_equal(load(0, NULL, f->missing_path, getuid(), &config, error, sizeof(error)), -1);
	assert_config_empty(&config);
	/* Which of the missing keys is named first is the loader's choice. */
	assert_true(strstr(error, "client_id") != NULL || strstr(error, "endpoint") != NULL);
}

static void test_argument_value_may_hold_spaces(void **state)
{
	struct fixture *f = *state;
	/* PAM's [scope=openid ssh:login] bracket syntax arrives as one argv string. */
	const char *argv[] = { "scope=openid ssh:login", "require_scope=ssh:login" };
	struct oauth2_config config;
	load_ok(f, MINIMAL, 2, argv, &config);
	assert_string_equal(config.scope, "openid ssh:login");
	assert_string_equal(config.require_scope, "ssh:login");
	oauth2_config_free(&config);
}

static void test_bare_debug_argument_turns_debug_on(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "debug" };
	struct oauth2_config config;
	load_ok(f, MINIMAL "debug = off\n", 1, argv, &config);
	assert_true(config.debug);
	oauth2_config_free(&config);
}

static void test_unknown_argument_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "scopes=openid" };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_mentions(error, "scopes");
}

static void test_bare_unknown_argument_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "use_first_pass" };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_mentions(error, "use_first_pass");
}

static void test_empty_argument_value_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "scope=" };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_mentions(error, "scope");
}

static void test_duplicate_argument_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "timeout=60", "timeout=90" };
	load_fails(f, MINIMAL, 2, argv, error, sizeof(error));
	assert_mentions(error, "timeout");
}

static void test_argument_with_a_control_character_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "client_id=pam\x1b[31mhost" };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_mentions(error, "client_id");
	assert_null(strchr(error, '\x1b'));
}

static void test_bad_argument_value_names_the_argument(void **state)
{
	struct fixture *f = *state;
	char error[512];
	const char *argv[] = { "timeout=forever" };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_mentions(error, "argument");
	assert_mentions(error, "timeout");
}

/* ---- the client secret ---- */

static void test_secret_file_is_read_and_client_auth_defaults_to_basic(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0600);
	char text[1024];
	config_with_secret(f, "", text, sizeof(text));
	struct oauth2_config config;
	load_ok(f, text, 0, NULL, &config);
	assert_string_equal(config.client_secret_file, f->secret_path);
	assert_string_equal(config.client_secret, SECRET);
	assert_int_equal(config.client_auth, CLIENT_AUTH_BASIC);
	oauth2_config_free(&config);
	assert_null(config.client_secret);
}

static void test_secret_file_readable_by_owner_only_is_accepted(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0400);
	char text[1024];
	config_with_secret(f, "", text, sizeof(text));
	struct oauth2_config config;
	load_ok(f, text, 0, NULL, &config);
	assert_string_equal(config.client_secret, SECRET);
	oauth2_config_free(&config);
}

static void test_secret_file_trailing_newline_is_stripped(void **state)
{
	struct fixture *f = *state;
	const char *contents[] = { SECRET "\n", SECRET "\r\n", SECRET "\n\n" };
	for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		write_file(f->secret_path, contents[i], 0600);
		char text[1024];
		config_with_secret(f, "", text, sizeof(text));
		struct oauth2_config config;
		load_ok(f, text, 0, NULL, &config);
		assert_string_equal(config.client_secret, SECRET);
		oauth2_config_free(&config);
	}
}

/* Loads a config naming the secret file, which must be refused; the error must name the
 * file and never hold the secret. */
static void assert_secret_file_refused(struct fixture *f, uid_t owner)
{
	char text[1024], error[512];
	config_with_secret(f, "", text, sizeof(text));
	write_file(f->config_path, text, 0600);
	struct oauth2_config config;
	if (owner == getuid()) {
		assert_int_equal(load(0, NULL, f->config_path, owner, &config, error, sizeof(error)), -1);
	} else {
		/* The config file would be refused first: give everything as arguments instead. */
		snprintf(f->argument, sizeof(f->argument), "client_secret_file=%s", f->secret_path);
		const char *argv[] = { full_args[0], full_args[1], full_args[2], full_args[3], f->argument };
		assert_int_equal(load(5, argv, f->missing_path, owner, &config, error, sizeof(error)), -1);
	}
	assert_config_empty(&config);
	oauth2_config_free(&config);
	assert_mentions(error, "client_secret_file");
	assert_null(strstr(error, SECRET));
}

static void test_secret_file_with_mode_0640_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0640);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_with_mode_0604_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0604);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_with_any_group_or_other_bit_is_refused(void **state)
{
	struct fixture *f = *state;
	const mode_t modes[] = { 0610, 0620, 0601, 0602, 0660, 0666 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(f->secret_path, SECRET, modes[i]);
		assert_secret_file_refused(f, getuid());
	}
}

static void test_secret_file_that_is_a_symlink_is_refused(void **state)
{
	struct fixture *f = *state;
	char target[PATH_SIZE];
	snprintf(target, sizeof(target), "%s/real.secret", f->dir);
	write_file(target, SECRET, 0600);
	assert_int_equal(symlink(target, f->secret_path), 0);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_owned_by_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0600);
	assert_secret_file_refused(f, getuid() + 1);
}

static void test_secret_file_that_is_a_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mkdir(f->secret_path, 0700), 0);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_that_is_empty_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, "", 0600);
	assert_secret_file_refused(f, getuid());
	write_file(f->secret_path, "\n", 0600);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_with_two_lines_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET "\n" SECRET "\n", 0600);
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_that_is_missing_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_secret_file_refused(f, getuid());
}

static void test_secret_file_path_must_be_absolute(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "client_secret_file = client.secret\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "client_secret_file");
}

static void test_client_auth_post_with_secret_is_accepted(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0600);
	char text[1024];
	config_with_secret(f, "client_auth = post\n", text, sizeof(text));
	struct oauth2_config config;
	load_ok(f, text, 0, NULL, &config);
	assert_int_equal(config.client_auth, CLIENT_AUTH_POST);
	assert_string_equal(config.client_secret, SECRET);
	oauth2_config_free(&config);
}

static void test_client_auth_basic_or_post_without_secret_is_refused(void **state)
{
	struct fixture *f = *state;
	char error[512];
	load_fails(f, MINIMAL "client_auth = basic\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "client_secret_file");
	load_fails(f, MINIMAL "client_auth = post\n", 0, NULL, error, sizeof(error));
	assert_mentions(error, "client_secret_file");
}

static void test_secret_file_with_client_auth_none_is_refused(void **state)
{
	struct fixture *f = *state;
	write_file(f->secret_path, SECRET, 0600);
	char text[1024], error[512];
	config_with_secret(f, "client_auth = none\n", text, sizeof(text));
	load_fails(f, text, 0, NULL, error, sizeof(error));
	assert_mentions(error, "client_auth");
	assert_null(strstr(error, SECRET));
}

static void test_ca_file_must_be_root_owned_and_not_writable_by_others(void **state)
{
	/* Whoever can write the CA bundle can impersonate the IdP; a link to a good bundle is fine. */
	struct fixture *f = *state;
	char ca[PATH_SIZE + 16], link[PATH_SIZE + 16], text[3 * PATH_SIZE], error[512];
	snprintf(ca, sizeof(ca), "%s/ca.pem", f->dir);
	snprintf(link, sizeof(link), "%s/ca-link.pem", f->dir);
	write_file(ca, "-----BEGIN CERTIFICATE-----\n", 0644);
	assert_int_equal(symlink(ca, link), 0);
	struct oauth2_config config;
	snprintf(text, sizeof(text), MINIMAL "ca_file = %s\n", link);
	load_ok(f, text, 0, NULL, &config);
	oauth2_config_free(&config);
	assert_int_equal(chmod(ca, 0664), 0);
	load_fails(f, text, 0, NULL, error, sizeof(error));
	assert_mentions(error, "is writable by group or others");
	assert_int_equal(chmod(ca, 0644), 0);
	char missing[3 * PATH_SIZE];
	snprintf(missing, sizeof(missing), MINIMAL "ca_file = %s/none.pem\n", f->dir);
	load_fails(f, missing, 0, NULL, error, sizeof(error));
	assert_mentions(error, "cannot be opened");
}

struct collected {
	char lines[8][512];
	int count;
};

static void collect_problem(void *data, const char *problem)
{
	struct collected *collected = data;
	if (collected->count < 8)
		snprintf(collected->lines[collected->count], sizeof(collected->lines[0]), "%s", problem);
	collected->count++;
}

static void test_check_reports_every_problem_with_its_line(void **state)
{
	struct fixture *f = *state;
	/* Line 2: unknown key; 3: no '='; 4: bad number; 5: bad choice; argument: unknown. */
	write_file(f->config_path,
		   "client_id = c\ncolour = blue\njust words\ntimeout = soon\nqr = colour\n"
		   "device_authorization_endpoint = https://idp.example/d\ntoken_endpoint = https://idp.example/t\n",
		   0644);
	snprintf(f->argument, sizeof(f->argument), "config=%s", f->config_path);
	const char *argv[] = { f->argument, "shape=round" };
	struct collected collected = { .count = 0 };
	struct oauth2_config config;
	assert_int_equal(oauth2_config_check(&config, 2, argv, f->missing_path, getuid(), collect_problem, &collected),
			 -1);
	assert_int_equal(collected.count, 5);
	char expected[4][600];
	snprintf(expected[0], sizeof(expected[0]), "%s:2: unknown key 'colour'", f->config_path);
	snprintf(expected[1], sizeof(expected[1]), "%s:3: expected 'key = value'", f->config_path);
	snprintf(expected[2], sizeof(expected[2]), "argument 'shape': unknown key 'shape'");
	snprintf(expected[3], sizeof(expected[3]), "%s:4: timeout must be", f->config_path);
	for (int i = 0; i < 4; i++) {
		bool found = false;
		for (int j = 0; j < collected.count && j < 8; j++)
			found = found || strncmp(collected.lines[j], expected[i], strlen(expected[i])) == 0;
		if (!found)
			fail_msg("no problem starting with \"%s\"", expected[i]);
	}
	/* The module's loader still stops at the first. */
	char error[512];
	assert_int_equal(oauth2_config_load(&config, 2, argv, f->missing_path, getuid(), error, sizeof(error)), -1);
	assert_string_equal(error, collected.lines[0]);
}

static void test_check_runs_every_rule_between_keys(void **state)
{
	struct fixture *f = *state;
	/* Three rules between keys broken at once: the check names all three, the loader the first. */
	write_file(f->config_path,
		   "client_id = c\ntimeout = 10\nhttp_timeout = 20\nclient_auth = post\nrequire_scope = sudo\n"
		   "scope = openid\n",
		   0644);
	snprintf(f->argument, sizeof(f->argument), "config=%s", f->config_path);
	const char *argv[] = { f->argument };
	struct collected collected = { .count = 0 };
	struct oauth2_config config;
	assert_int_equal(oauth2_config_check(&config, 1, argv, f->missing_path, getuid(), collect_problem, &collected),
			 -1);
	const char *expected[] = { "set issuer, or both device_authorization_endpoint and token_endpoint",
				   "client_auth=post needs client_secret_file",
				   "require_scope 'sudo' is not requested in scope",
				   "http_timeout must be shorter than timeout" };
	assert_int_equal(collected.count, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(collected.lines[i], expected[i]);
	char error[512];
	assert_int_equal(oauth2_config_load(&config, 1, argv, f->missing_path, getuid(), error, sizeof(error)), -1);
	assert_string_equal(error, expected[0]);
}

static void test_failed_load_leaves_nothing_to_free(void **state)
{
	struct fixture *f = *state;
	/* Failures at each stage: a key, a value, a rule between keys, the secret file. By then the
	 * strings before have been copied; load_fails checks they were all released. */
	char error[512], text[1024];
	load_fails(f, MINIMAL "ca_file = /etc/ssl/ca.pem\nnonsense = 1\n", 0, NULL, error, sizeof(error));
	load_fails(f, MINIMAL "ca_file = /etc/ssl/ca.pem\nqr = big\n", 0, NULL, error, sizeof(error));
	load_fails(f, MINIMAL "ca_file = /etc/ssl/ca.pem\ntimeout = 10\nhttp_timeout = 20\n", 0, NULL, error,
		   sizeof(error));
	write_file(f->secret_path, SECRET, 0644);
	config_with_secret(f, "ca_file = /etc/ssl/ca.pem\n", text, sizeof(text));
	load_fails(f, text, 0, NULL, error, sizeof(error));
}

static void test_errors_never_contain_the_secret(void **state)
{
	struct fixture *f = *state;
	char error[512], text[1024];
	/* A secret given where it does not belong, as an argument or a file line. */
	const char *argv[] = { "client_secret=" SECRET };
	load_fails(f, MINIMAL, 1, argv, error, sizeof(error));
	assert_null(strstr(error, SECRET));
	load_fails(f, MINIMAL "client_secret = " SECRET "\n", 0, NULL, error, sizeof(error));
	assert_null(strstr(error, SECRET));
	/* A good secret file and a later mistake. */
	write_file(f->secret_path, SECRET, 0600);
	config_with_secret(f, "timeout = forever\n", text, sizeof(text));
	load_fails(f, text, 0, NULL, error, sizeof(error));
	assert_null(strstr(error, SECRET));
	/* A secret file too large to be a secret. */
	char big[8192];
	memset(big, 'S', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(f->secret_path, big, 0600);
	config_with_secret(f, "", text, sizeof(text));
	load_fails(f, text, 0, NULL, error, sizeof(error));
	assert_null(strstr(error, "SSSSSSSS"));
}

static void test_unknown_keys_are_named_only_when_they_look_like_keys(void **state)
{
	struct fixture *f = *state;
	char error[512];
	/* A typo is named, to be fixed ... */
	load_fails(f, MINIMAL "colour = blue\n", 0, NULL, error, sizeof(error));
	assert_non_null(strstr(error, "unknown key 'colour'"));
	/* ... but a secret pasted as a line (a token, a line of a key file) never reaches syslog. */
	const char *pasted[] = { "ghp_16C7e42F292c6912E7710c838347Ae178B4aSECRETx = y\n", "s3cr3t/with+base64== = y\n",
				 "sk-live.9f8e7d6c5b4a = y\n" };
	const char *pieces[] = { "ghp_16C7e42F292c", "s3cr3t/with+base64", "sk-live.9f8e7d6c" };
	for (size_t i = 0; i < 3; i++) {
		char text[256];
		snprintf(text, sizeof(text), MINIMAL "%s", pasted[i]);
		load_fails(f, text, 0, NULL, error, sizeof(error));
		if (strstr(error, pieces[i]) != NULL)
			fail_msg("the pasted line reached the error: %s", error);
		assert_non_null(strstr(error, "unknown key '(not shown)'"));
	}
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_minimal_file_loads),
		TEST(test_remember_cannot_stand_in_for_a_second_person),
		TEST(test_the_fingerprint_follows_the_policy_and_nothing_else),
		TEST(test_defaults_fill_what_the_file_leaves_out),
		TEST(test_comments_and_blank_lines_are_ignored),
		TEST(test_spaces_around_equals_are_trimmed),
		TEST(test_value_may_contain_equals_signs),
		TEST(test_unknown_key_in_file_names_file_and_line),
		TEST(test_line_without_equals_is_refused_with_its_line),
		TEST(test_duplicate_key_in_file_is_refused),
		TEST(test_empty_value_in_file_is_refused),
		TEST(test_line_longer_than_the_maximum_is_refused),
		TEST(test_line_of_exactly_the_maximum_is_accepted),
		TEST(test_missing_client_id_is_refused),
		TEST(test_missing_endpoint_without_issuer_is_refused),
		TEST(test_endpoint_that_is_not_https_is_refused),
		TEST(test_timeout_out_of_range_or_not_a_number_is_refused),
		TEST(test_http_timeout_out_of_range_is_refused),
		TEST(test_timeout_bounds_are_accepted),
		TEST(test_http_timeout_not_shorter_than_timeout_is_refused),
		TEST(test_choices_are_read),
		TEST(test_bad_choice_is_refused),
		TEST(test_debug_accepts_usual_boolean_words),
		TEST(test_require_scope_within_scope_is_accepted),
		TEST(test_require_scope_not_within_scope_is_refused),
		TEST(test_auth_context_rules_need_a_verified_id_token),
		TEST(test_approver_group_needs_groups_from_claims),
		TEST(test_unset_scope_requests_openid_and_every_required_scope),
		TEST(test_scope_with_invalid_characters_is_refused),
		TEST(test_config_file_writable_by_group_or_others_is_refused),
		TEST(test_config_file_readable_by_others_is_accepted),
		TEST(test_config_file_owned_by_another_user_is_refused),
		TEST(test_config_path_that_is_a_directory_is_refused),
		TEST(test_arguments_override_the_file),
		TEST(test_config_argument_names_the_file_to_read),
		TEST(test_config_argument_must_be_absolute_and_given_once),
		TEST(test_explicit_config_path_that_is_missing_is_refused),
		TEST(test_missing_default_file_is_fine_when_arguments_give_everything),
		TEST(test_missing_default_file_and_no_arguments_is_refused),
		TEST(test_argument_value_may_hold_spaces),
		TEST(test_bare_debug_argument_turns_debug_on),
		TEST(test_unknown_argument_is_refused),
		TEST(test_bare_unknown_argument_is_refused),
		TEST(test_empty_argument_value_is_refused),
		TEST(test_duplicate_argument_is_refused),
		TEST(test_argument_with_a_control_character_is_refused),
		TEST(test_bad_argument_value_names_the_argument),
		TEST(test_secret_file_is_read_and_client_auth_defaults_to_basic),
		TEST(test_secret_file_readable_by_owner_only_is_accepted),
		TEST(test_secret_file_trailing_newline_is_stripped),
		TEST(test_secret_file_with_mode_0640_is_refused),
		TEST(test_secret_file_with_mode_0604_is_refused),
		TEST(test_secret_file_with_any_group_or_other_bit_is_refused),
		TEST(test_secret_file_that_is_a_symlink_is_refused),
		TEST(test_secret_file_owned_by_another_user_is_refused),
		TEST(test_secret_file_that_is_a_directory_is_refused),
		TEST(test_secret_file_that_is_empty_is_refused),
		TEST(test_secret_file_with_two_lines_is_refused),
		TEST(test_secret_file_that_is_missing_is_refused),
		TEST(test_secret_file_path_must_be_absolute),
		TEST(test_client_auth_post_with_secret_is_accepted),
		TEST(test_client_auth_basic_or_post_without_secret_is_refused),
		TEST(test_secret_file_with_client_auth_none_is_refused),
		TEST(test_ca_file_must_be_root_owned_and_not_writable_by_others),
		TEST(test_check_reports_every_problem_with_its_line),
		TEST(test_check_runs_every_rule_between_keys),
		TEST(test_failed_load_leaves_nothing_to_free),
		TEST(test_errors_never_contain_the_secret),
		TEST(test_unknown_keys_are_named_only_when_they_look_like_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
