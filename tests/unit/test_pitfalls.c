/* pam_oauth2-check's warnings: a mutable identity claim without a map, and the known
 * pitfalls of the IdPs it recognises from the issuer or the endpoints. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/pitfalls.h"

#include <stdio.h>
#include <string.h>

struct seen {
	char topics[8][64];
	unsigned count;
};

static void collect(void *data, const char *topic, const char *advice)
{
	struct seen *seen = data;
	assert_non_null(advice);
	if (seen->count < 8)
		snprintf(seen->topics[seen->count], sizeof(seen->topics[0]), "%s", topic);
	seen->count++;
}

/* A configuration that should raise no warning: sub with a map, a plain IdP. */
static struct oauth2_config quiet(void)
{
	struct oauth2_config config;
	memset(&config, 0, sizeof(config));
	config.issuer = "https://idp.example.com";
	config.username_claim = "sub";
	config.username_map = "/etc/security/pam_oauth2.users";
	config.client_auth = CLIENT_AUTH_NONE;
	return config;
}

static void assert_warns(const struct oauth2_config *config, const char *topic)
{
	struct seen seen = { .count = 0 };
	unsigned count = config_pitfalls(config, collect, &seen);
	assert_int_equal(count, seen.count);
	if (topic == NULL) {
		if (count != 0)
			fail_msg("unexpected warning: %s", seen.topics[0]);
		return;
	}
	for (unsigned i = 0; i < seen.count && i < 8; i++) {
		if (strcmp(seen.topics[i], topic) == 0)
			return;
	}
	fail_msg("no warning about %s (%u others)", topic, count);
}

static void test_a_sound_configuration_has_no_warning(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	assert_warns(&config, NULL);
}

static void test_mutable_claims_without_a_map_are_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.username_claim = "preferred_username";
	assert_warns(&config, NULL); /* a map is set */
	config.username_map = NULL;
	assert_warns(&config, "identity claim");
	config.username_claim = "email";
	assert_warns(&config, "identity claim");
	config.username_claim = "oid";
	assert_warns(&config, NULL);
}

static void test_entra_shared_issuers_are_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.issuer = "https://login.microsoftonline.com/common/v2.0";
	assert_warns(&config, "Entra ID issuer");
	config.issuer = "https://login.microsoftonline.com/organizations/v2.0";
	assert_warns(&config, "Entra ID issuer");
	config.issuer = "https://login.microsoftonline.com/2f4e8a10-0c1d-4b2e-9f3a-5b6c7d8e9f01/v2.0";
	assert_warns(&config, NULL);
	/* Only that host: another one with /common/ in its path is no Entra tenant. */
	config.issuer = "https://login.microsoftonline.com.evil.test/common/v2.0";
	assert_warns(&config, NULL);
}

static void test_google_without_a_secret_in_the_body_is_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.issuer = "https://accounts.google.com";
	assert_warns(&config, "Google client");
	config.client_auth = CLIENT_AUTH_BASIC;
	assert_warns(&config, "Google client");
	config.client_auth = CLIENT_AUTH_POST;
	assert_warns(&config, NULL);
}

static void test_github_login_is_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.issuer = NULL;
	config.device_authorization_endpoint = "https://github.com/login/device/code";
	config.userinfo_endpoint = "https://api.github.com/user";
	config.username_claim = "login";
	assert_warns(&config, "GitHub identity");
	config.username_claim = "id";
	assert_warns(&config, NULL);
}

static void test_auth0_audience_in_the_resource_field_is_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.issuer = "https://acme.eu.auth0.com/";
	config.audience = "https://ssh.acme.test";
	config.audience_param = AUDIENCE_PARAM_RESOURCE;
	assert_warns(&config, "Auth0 audience");
	config.audience_param = AUDIENCE_PARAM_AUDIENCE;
	assert_warns(&config, NULL);
	config.issuer = "https://auth0.com.evil.test/";
	config.audience_param = AUDIENCE_PARAM_RESOURCE;
	assert_warns(&config, NULL);
}

static void test_remember_without_offline_access_is_warned_about(void **state)
{
	(void)state;
	struct oauth2_config config = quiet();
	config.remember = 900;
	config.scope = "openid profile";
	assert_warns(&config, "remember");
	config.scope = "openid offline_access";
	assert_warns(&config, NULL);
	/* Google gives a refresh token without it (and knows no offline_access scope). */
	config.scope = "openid email";
	config.issuer = "https://accounts.google.com";
	config.client_auth = CLIENT_AUTH_POST;
	assert_warns(&config, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_sound_configuration_has_no_warning),
		cmocka_unit_test(test_remember_without_offline_access_is_warned_about),
		cmocka_unit_test(test_mutable_claims_without_a_map_are_warned_about),
		cmocka_unit_test(test_entra_shared_issuers_are_warned_about),
		cmocka_unit_test(test_google_without_a_secret_in_the_body_is_warned_about),
		cmocka_unit_test(test_github_login_is_warned_about),
		cmocka_unit_test(test_auth0_audience_in_the_resource_field_is_warned_about),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
