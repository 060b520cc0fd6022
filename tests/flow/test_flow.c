/* The login and IdP layers end to end, on the fake I/O shell (fake_io.h): every polling
 * rule, every scope and identity source, the before/after-approval rule, discovery,
 * the kid refetch, the setuid rule, and the reason of every refusal. No network, no
 * root, no waiting: the clock is virtual. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../fixtures/test_keys.h"
#include "../unit/scratch_dir.h"
#include "fake_io.h"
#include "login/flow.h"
#include "login/remember.h"

#include <security/_pam_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <unistd.h>

#define IDP "https://idp.test"
#define DEVICE_URL IDP "/device/auth"
#define TOKEN_URL IDP "/token"
#define USERINFO_URL IDP "/me"
#define INTROSPECTION_URL IDP "/introspect"
#define JWKS_URL IDP "/jwks"
#define DISCOVERY_URL IDP "/.well-known/openid-configuration"
#define RFC8414_URL "https://idp.test/.well-known/oauth-authorization-server"

#define MAX_ARGS 48

static struct test_keys *keys;

/* ---- configuration: the defaults below, KEY=VALUE overrides, "KEY=" removes ---- */

struct args {
	char *items[MAX_ARGS];
	size_t count;
};

static void args_set(struct args *args, const char *setting)
{
	size_t key_len = strcspn(setting, "=");
	for (size_t i = 0; i < args->count; i++) {
		if (strncmp(args->items[i], setting, key_len + 1) == 0) {
			free(args->items[i]);
			args->items[i] = args->items[--args->count];
			break;
		}
	}
	if (setting[key_len] == '=' && setting[key_len + 1] != '\0')
		args->items[args->count++] = strdup(setting);
}

struct login_run {
	struct oauth2_config config;
	struct login_context context;
	struct login_identity identity;
	char reason[512];
	enum login_result result;
};

/* Loads the configuration (NULL-terminated overrides) as the module would from its arguments. */
static void configure(struct login_run *run, ...)
{
	static const char *const defaults[] = {
		"device_authorization_endpoint=" DEVICE_URL,
		"token_endpoint=" TOKEN_URL,
		"userinfo_endpoint=" USERINFO_URL,
		"client_id=pam-public",
		"scope=openid profile",
		"timeout=120",
		"http_timeout=5",
		"cache=off",
		"debug=on",
	};
	struct args args = { 0 };
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		args_set(&args, defaults[i]);
	va_list list;
	va_start(list, run);
	for (const char *setting; (setting = va_arg(list, const char *)) != NULL;)
		args_set(&args, setting);
	va_end(list);
	char error[512] = "";
	int rc = oauth2_config_load(&run->config, (int)args.count, (const char **)args.items,
				    "/nonexistent/pam_oauth2.conf", getuid(), error, sizeof(error));
	for (size_t i = 0; i < args.count; i++)
		free(args.items[i]);
	if (rc != 0)
		fail_msg("configuration refused: %s", error);
	run->context = (struct login_context){ .user = "alice", .host = "host", .service = "sshd" };
}

static enum login_result run_login(struct login_run *run)
{
	run->result =
	    login_flow_run(NULL, &run->config, &run->context, &run->identity, run->reason, sizeof(run->reason));
	oauth2_config_free(&run->config);
	return run->result;
}

static const char *result_name(enum login_result result)
{
	return login_result_name(result);
}

static void assert_result(const struct login_run *run, enum login_result want, const char *reason_part)
{
	if (run->result != want)
		fail_msg("result %s (%s), want %s", result_name(run->result), run->reason, result_name(want));
	if (reason_part != NULL && strstr(run->reason, reason_part) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", run->reason, reason_part);
}

static void assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", text, part);
}

static void assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		fail_msg("\"%s\" holds \"%s\"", text, part);
}

/* ---- canned answers ---- */

#define DEVICE_BODY(expires, interval)                                                                                 \
	"{\"device_code\":\"dc-1\",\"user_code\":\"ABCD-EFGH\",\"verification_uri\":\"https://idp.test/device\","      \
	"\"expires_in\":" #expires ",\"interval\":" #interval "}"

static const struct fake_reply device_ok[] = { { .status = 200, .body = DEVICE_BODY(300, 5) } };
/* Designators only, braced where used ({ PENDING }): clang-format 14 and 19 lay out a
 * braced macro body differently. */
#define PENDING .status = 400, .body = "{\"error\":\"authorization_pending\"}"
#define SLOW_DOWN .status = 400, .body = "{\"error\":\"slow_down\"}"
#define TIMED_OUT .transport = HTTP_TIMEOUT
#define GRANTED                                                                                                        \
	.status = 200, .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\"}"
static const struct fake_reply userinfo_alice[] = {
	{ .status = 200, .body = "{\"sub\":\"alice\",\"preferred_username\":\"alice\"}" }
};

static void route_one(const char *url, long status, const char *body)
{
	/* One reply per test: static storage, reset with the routes. */
	static struct fake_reply replies[16];
	static size_t used;
	if (fake_request_count() == 0 && used >= 16)
		used = 0;
	struct fake_reply *reply = &replies[used++ % 16];
	*reply = (struct fake_reply){ .status = status, .body = body };
	fake_route(url, reply, 1);
}

/* The usual IdP: a device code, a grant at the first poll, userinfo naming alice. */
static void usual_idp(void)
{
	static const struct fake_reply token[] = { { GRANTED } };
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, token, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
}

static int64_t gap_ms(const char *url, size_t first, size_t second)
{
	const struct fake_request *a = fake_request_to(url, first), *b = fake_request_to(url, second);
	assert_non_null(a);
	assert_non_null(b);
	return b->at_ms - a->at_ms;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* ---- polling (RFC 8628 §3.4-3.5) ---- */

static void test_approved_login_polls_once_after_the_interval(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
	assert_int_equal(fake_requests_to(TOKEN_URL), 1);
	/* RFC 8628 §3.5: the first poll waits for the interval too. */
	assert_true(fake_request_to(TOKEN_URL, 0)->at_ms - fake_request_to(DEVICE_URL, 0)->at_ms >= 5000);
	assert_string_equal(run.identity.username, "alice");
	assert_string_equal(run.identity.sub, "alice");
	assert_contains(fake_shown(), "Open https://idp.test/device and enter the code: ABCD-EFGH");
	assert_contains(fake_shown(), "Press Enter after approving: ");
	assert_contains(fake_request_to(TOKEN_URL, 0)->body,
			"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code");
	assert_contains(fake_request_to(TOKEN_URL, 0)->body, "device_code=dc-1");
	assert_contains(fake_request_to(TOKEN_URL, 0)->body, "client_id=pam-public");
}

static void test_pending_polls_keep_the_interval(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { PENDING }, { PENDING }, { GRANTED } };
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 3);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_int_equal(fake_requests_to(TOKEN_URL), 3);
	assert_true(gap_ms(TOKEN_URL, 0, 1) >= 5000);
	assert_true(gap_ms(TOKEN_URL, 1, 2) >= 5000);
	assert_true(gap_ms(TOKEN_URL, 1, 2) < 6000);
}

static void test_slow_down_adds_five_seconds_for_good(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { SLOW_DOWN }, { PENDING }, { GRANTED } };
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 3);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_true(gap_ms(TOKEN_URL, 0, 1) >= 10000);
	assert_true(gap_ms(TOKEN_URL, 1, 2) >= 10000); /* "for this and all subsequent requests" */
}

static void test_a_poll_timeout_backs_off_and_polls_again(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { TIMED_OUT }, { GRANTED } };
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 2);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_int_equal(fake_requests_to(TOKEN_URL), 2);
	assert_true(gap_ms(TOKEN_URL, 0, 1) >= 10000);
	assert_contains(fake_log(), "poll 1 timed out");
}

static void test_a_token_endpoint_that_keeps_timing_out_is_an_outage(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { TIMED_OUT } };
	struct login_run run;
	configure(&run, "timeout=60", NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 1);
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, NULL);
}

static void test_denial_and_expiry_end_polling(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	route_one(TOKEN_URL, 400, "{\"error\":\"access_denied\"}");
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, "access_denied at the IdP");
	assert_int_equal(fake_requests_to(TOKEN_URL), 1);

	fake_reset();
	configure(&run, NULL);
	usual_idp();
	route_one(TOKEN_URL, 400, "{\"error\":\"expired_token\"}");
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "device code expired (expired_token)");
	assert_int_equal(fake_requests_to(TOKEN_URL), 1);
}

static void test_the_code_expiring_ends_polling_unapproved(void **state)
{
	(void)state;
	static const struct fake_reply device[] = { { .status = 200, .body = DEVICE_BODY(12, 5) } };
	static const struct fake_reply token[] = { { PENDING } };
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_route(DEVICE_URL, device, 1);
	fake_route(TOKEN_URL, token, 1);
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "not approved before the code expired or timeout");
	assert_true(fake_requests_to(TOKEN_URL) <= 2);
}

static void test_the_login_deadline_cuts_the_last_poll_as_an_expiry(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { PENDING } };
	struct login_run run;
	configure(&run, "timeout=8", NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 1);
	/* The person takes 6 s to press Enter: the first poll is due at 5 s, the deadline at 8 s. */
	fake_advance_ms(0);
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, NULL);
	assert_true(fake_now_ms() - fake_request_to(DEVICE_URL, 0)->at_ms <= 8000 + 1000);
}

static void slow_person(void *data)
{
	(void)data;
	fake_advance_ms(7000);
}

static void test_a_poll_the_deadline_cuts_short_is_an_expiry_not_an_outage(void **state)
{
	(void)state;
	static const struct fake_reply token[] = { { TIMED_OUT } };
	struct login_run run;
	configure(&run, "timeout=10", NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 1);
	fake_on_enter(slow_person, NULL); /* Enter at 7 s: the poll may take only 3 s of its 5 */
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "not approved before the login's timeout");
}

static void test_identity_requests_cut_by_the_deadline_are_expiries(void **state)
{
	(void)state;
	/* The grant arrives at 8 s of a 10 s login: userinfo may take 2 s of its 5 and times
	 * out. The login's time is up: an expiry, never an outage (someone approved). */
	static const struct fake_reply token[] = {
		{ .status = 200, .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\"}", .latency_ms = 3000 }
	};
	static const struct fake_reply userinfo[] = { { TIMED_OUT } };
	struct login_run run;
	configure(&run, "timeout=10", "identity_source=userinfo", NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 1);
	fake_route(USERINFO_URL, userinfo, 1);
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "userinfo request: cut short by the login's timeout");
	assert_int_equal(login_result_pam_code(run.result), PAM_AUTH_ERR);
	assert_true(fake_request_to(USERINFO_URL, 0)->timeout_ms < 5000);
}

/* ---- outages, refusals and the after-approval rule ---- */

static void test_an_unreachable_idp_is_an_outage(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, "device authorization: unreachable");
	assert_int_equal(login_result_pam_code(run.result), PAM_AUTHINFO_UNAVAIL);
}

static void test_under_a_setuid_caller_an_outage_is_a_denial(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	run.context.caller_can_interrupt = true;
	run_login(&run);
	assert_result(&run, LOGIN_UNAVAILABLE_REFUSED, "device authorization: unreachable");
	assert_contains(run.reason, "outage code withheld");
	assert_int_equal(login_result_pam_code(run.result), PAM_AUTH_ERR);
	/* Only outages: a denial stays a denial. */
	fake_reset();
	configure(&run, NULL);
	run.context.caller_can_interrupt = true;
	usual_idp();
	route_one(TOKEN_URL, 400, "{\"error\":\"access_denied\"}");
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, NULL);
}

static void test_server_errors_before_approval_are_outages(void **state)
{
	(void)state;
	static const long statuses[] = { 500, 503, 429 };
	for (size_t i = 0; i < 3; i++) {
		struct login_run run;
		fake_reset();
		configure(&run, NULL);
		usual_idp();
		route_one(TOKEN_URL, statuses[i], "{\"error\":\"temporarily_unavailable\"}");
		run_login(&run);
		assert_result(&run, LOGIN_IDP_UNAVAILABLE, "token endpoint: HTTP");
	}
}

static void test_after_a_200_every_failure_is_a_refusal(void **state)
{
	(void)state;
	static const struct fake_reply too_large[] = { { .status = 200, .transport = HTTP_TOO_LARGE } };
	static const struct fake_reply reset[] = { { .status = 200, .transport = HTTP_FAILED } };
	static const struct fake_reply slow_body[] = { { .status = 200, .transport = HTTP_TIMEOUT } };
	static const struct fake_reply malformed[] = { { .status = 200, .body = "{\"access_token\":" } };
	static const struct fake_reply no_token[] = { { .status = 200, .body = "{\"token_type\":\"Bearer\"}" } };
	const struct fake_reply *cases[] = { too_large, reset, slow_body, malformed, no_token };
	const char *reasons[] = { "answer was too large", "answer was cut short", "answer was cut short",
				  "malformed JSON", "access_token missing" };
	for (size_t i = 0; i < 5; i++) {
		struct login_run run;
		fake_reset();
		configure(&run, NULL);
		usual_idp();
		fake_route(TOKEN_URL, cases[i], 1);
		run_login(&run);
		assert_result(&run, LOGIN_TOKEN_INVALID, reasons[i]);
		assert_contains(run.reason, "after approval: token endpoint: HTTP 200");
		assert_int_equal(login_result_pam_code(run.result), PAM_AUTH_ERR);
	}
}

static void test_identity_unavailable_after_approval_is_a_refusal(void **state)
{
	(void)state;
	static const struct fake_reply userinfo_timeout[] = { { TIMED_OUT } };
	struct login_run run;
	configure(&run, "identity_source=userinfo", NULL);
	usual_idp();
	route_one(USERINFO_URL, 500, "{}");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "after approval: userinfo: HTTP 500");

	fake_reset();
	configure(&run, "identity_source=userinfo", NULL);
	usual_idp();
	fake_route(USERINFO_URL, userinfo_timeout, 1);
	run.context.caller_can_interrupt = true;
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "after approval: userinfo request: timed out");
}

static void test_the_idp_refusing_our_client_is_a_configuration_error(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	route_one(DEVICE_URL, 401, "{\"error\":\"invalid_client\"}");
	run_login(&run);
	assert_result(&run, LOGIN_CONFIG_ERROR, "device authorization refused: HTTP 401 error=invalid_client");

	fake_reset();
	configure(&run, NULL);
	usual_idp();
	route_one(TOKEN_URL, 401, "{\"error\":\"invalid_client\"}");
	run_login(&run);
	assert_result(&run, LOGIN_CONFIG_ERROR, "token endpoint refused the client: error=invalid_client");
}

static void test_another_oauth_error_is_a_refusal(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	route_one(TOKEN_URL, 400, "{\"error\":\"invalid_scope\",\"error_description\":\"no\"}");
	run_login(&run);
	assert_result(&run, LOGIN_REFUSED_BY_IDP, "token endpoint error=invalid_scope description=\"no\"");
}

static void test_a_malformed_device_answer_is_an_outage(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	route_one(DEVICE_URL, 200, "{\"device_code\":\"x\"}");
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, "device authorization response:");
}

static void test_a_failed_conversation_is_a_conversation_error(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_conversation_fails(PAM_CONV_ERR);
	run_login(&run);
	assert_result(&run, LOGIN_CONV_ERROR, "conversation failed");
	assert_int_equal(fake_requests_to(TOKEN_URL), 0);
}

/* ---- client authentication (RFC 6749 §2.3) ---- */

static char scratch[128];

static const char *secret_file(const char *secret)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/secret", scratch);
	char line[256];
	snprintf(line, sizeof(line), "%s\n", secret);
	write_file(path, line, 0600);
	static char copy_path[sizeof(path) + 32];
	snprintf(copy_path, sizeof(copy_path), "client_secret_file=%s", path);
	return copy_path;
}

static void test_basic_and_post_clients_send_their_secret_their_way(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "client_id=pam-basic", "client_auth=basic", secret_file("s3cr3t:x"), NULL);
	usual_idp();
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	const struct fake_request *poll = fake_request_to(TOKEN_URL, 0);
	assert_non_null(poll->authorization);
	/* base64("pam-basic:s3cr3t%3Ax") */
	assert_string_equal(poll->authorization, "Basic cGFtLWJhc2ljOnMzY3IzdCUzQXg=");
	assert_lacks(poll->body, "client_secret");
	assert_lacks(poll->body, "client_id");

	fake_reset();
	configure(&run, "client_id=pam-post", "client_auth=post", secret_file("p0st"), NULL);
	usual_idp();
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	poll = fake_request_to(TOKEN_URL, 0);
	assert_null(poll->authorization);
	assert_contains(poll->body, "client_id=pam-post");
	assert_contains(poll->body, "client_secret=p0st");
	assert_lacks(fake_log(), "p0st");
}

/* ---- scopes ---- */

static void test_a_required_scope_must_be_granted(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "scope=openid profile sudo", "require_scope=sudo", NULL);
	usual_idp(); /* grants openid profile */
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "required scope 'sudo' not granted (scope_source=response)");
	assert_int_equal(fake_requests_to(USERINFO_URL), 0);
}

static void test_a_response_without_scope_granted_what_was_asked(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "scope=openid profile sudo", "require_scope=sudo", NULL);
	usual_idp();
	route_one(TOKEN_URL, 200, "{\"access_token\":\"at-1\",\"token_type\":\"bearer\"}");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
}

static void test_introspection_is_authoritative_for_scopes(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "client_id=pam-basic", secret_file("s"), "introspection_endpoint=" INTROSPECTION_URL,
		  "scope=openid profile sudo", "require_scope=sudo", NULL);
	usual_idp();
	route_one(TOKEN_URL, 200,
		  "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile sudo\"}");
	route_one(INTROSPECTION_URL, 200, "{\"active\":true,\"scope\":\"openid profile\",\"client_id\":\"pam-basic\"}");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "scope_source=introspection");

	fake_reset();
	configure(&run, "client_id=pam-basic", secret_file("s"), "introspection_endpoint=" INTROSPECTION_URL, NULL);
	usual_idp();
	route_one(INTROSPECTION_URL, 200, "{\"active\":false}");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "introspection: token is not active");

	fake_reset();
	configure(&run, "client_id=pam-basic", secret_file("s"), "introspection_endpoint=" INTROSPECTION_URL, NULL);
	usual_idp();
	route_one(INTROSPECTION_URL, 200, "{\"active\":true,\"client_id\":\"someone-else\"}");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "introspection: token was issued to another client");
}

/* ---- identity ---- */

static void test_another_identity_approving_is_not_authorized(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"bob\",\"preferred_username\":\"bob\"}");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "approved by preferred_username='bob', not the PAM user");
	assert_string_equal(run.identity.username, "");
}

static void test_only_visible_ascii_is_exported(void **state)
{
	(void)state;
	/* The session's environment gets plain visible ASCII only: a sub with other bytes is
	 * left out (the login itself is fine: the username claim matched). */
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"\u00e5lice one\",\"preferred_username\":\"alice\"}");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_string_equal(run.identity.sub, "");
	assert_string_equal(run.identity.username, "alice");
}

static void test_userinfo_refusing_the_token_is_a_refusal(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	route_one(USERINFO_URL, 401, "{\"error\":\"invalid_token\"}");
	run_login(&run);
	assert_result(&run, LOGIN_REFUSED_BY_IDP, "userinfo refused the access token: HTTP 401");
}

static void test_an_email_identity_needs_email_verified(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "username_claim=email", "username_suffix=@example.com", NULL);
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"m\",\"email\":\"alice@example.com\",\"email_verified\":false}");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "is not verified");

	fake_reset();
	configure(&run, "username_claim=email", "username_suffix=@example.com", NULL);
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"a\",\"email\":\"alice@example.com\",\"email_verified\":true}");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "suffix stripped");
}

static void test_case_folding_never_reaches_a_superuser(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "username_case=insensitive", NULL);
	run.context.user = "root";
	run.context.user_is_superuser = true;
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"r\",\"preferred_username\":\"Root\"}");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "approved by preferred_username='Root'");

	fake_reset();
	configure(&run, "username_case=insensitive", NULL);
	run.context.user = "ALICE";
	usual_idp();
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
}

static void test_a_required_group_must_be_present(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, "require_group=admins", NULL);
	usual_idp();
	route_one(USERINFO_URL, 200, "{\"sub\":\"alice\",\"preferred_username\":\"alice\",\"groups\":[\"staff\"]}");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "is in none of the groups 'admins'");
}

/* ---- signed tokens: discovery, ID tokens, JWT access tokens, the kid refetch ---- */

static char *claims_json(const char *sub, const char *username, const char *extra)
{
	char *json = NULL;
	int64_t now = 1764547200 + fake_now_ms() / 1000;
	if (asprintf(
		&json, "{\"iss\":\"" IDP "\",\"aud\":\"pam-public\",\"sub\":\"%s\"%s%s%s,\"iat\":%lld,\"exp\":%lld%s}",
		sub, username != NULL ? ",\"preferred_username\":\"" : "", username != NULL ? username : "",
		username != NULL ? "\"" : "", (long long)now, (long long)now + 600, extra != NULL ? extra : "") < 0)
		return NULL;
	return json;
}

static char *token_with_id_token(const char *id_token)
{
	char *body = NULL;
	if (asprintf(&body,
		     "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","
		     "\"id_token\":\"%s\"}",
		     id_token) < 0)
		return NULL;
	return body;
}

static const char discovery[] =
    "{\"issuer\":\"" IDP "\",\"device_authorization_endpoint\":\"" DEVICE_URL "\",\"token_endpoint\":\"" TOKEN_URL
    "\",\"userinfo_endpoint\":\"" USERINFO_URL "\",\"jwks_uri\":\"" JWKS_URL "\"}";

struct signed_idp {
	struct fake_reply discovery[1], jwks[2], token[1];
	char *id_token, *token_body;
};

/* Discovery, keys and a grant whose ID token carries CLAIMS (signed by the IdP, or not). */
static void signed_idp(struct signed_idp *idp, char *claims, bool attacker, const char *kid)
{
	char header[128];
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	idp->id_token =
	    attacker ? test_keys_sign_as_attacker(keys, header, claims) : test_keys_sign(keys, header, claims);
	free(claims);
	idp->token_body = token_with_id_token(idp->id_token);
	idp->discovery[0] = (struct fake_reply){ .status = 200, .body = discovery };
	idp->jwks[0] = (struct fake_reply){ .status = 200, .body = test_keys_jwks(keys) };
	idp->token[0] = (struct fake_reply){ .status = 200, .body = idp->token_body };
	fake_route(DISCOVERY_URL, idp->discovery, 1);
	fake_route(JWKS_URL, idp->jwks, 1);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, idp->token, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
}

static void signed_idp_free(struct signed_idp *idp)
{
	free(idp->id_token);
	free(idp->token_body);
}

#define ISSUER_CONFIG "issuer=" IDP, "device_authorization_endpoint=", "token_endpoint=", "userinfo_endpoint="

static void test_identity_from_a_verified_id_token_needs_no_userinfo(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "identity_source=id_token");
	assert_int_equal(fake_requests_to(USERINFO_URL), 0);
	assert_int_equal(fake_requests_to(DISCOVERY_URL), 1);
	signed_idp_free(&idp);
}

static void test_an_id_token_the_idp_did_not_sign_is_refused(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), true, "k1");
	run_login(&run);
	/* auto never hands over to userinfo after a token that failed verification */
	assert_result(&run, LOGIN_TOKEN_INVALID, "id_token refused: signature does not verify");
	assert_int_equal(fake_requests_to(USERINFO_URL), 0);
	signed_idp_free(&idp);
}

static void test_an_id_token_for_another_audience_is_refused(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, NULL);
	char *claims = claims_json("alice", "alice", NULL);
	char *other = NULL;
	assert_true(asprintf(&other, "%s", claims) > 0);
	char *aud = strstr(other, "pam-public");
	memcpy(aud, "pam-evil!!", 10);
	free(claims);
	signed_idp(&idp, other, false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "id_token refused");
	assert_int_equal(fake_requests_to(USERINFO_URL), 0);
	signed_idp_free(&idp);
}

static void test_an_id_token_without_sub_is_refused(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	char *claims = claims_json("alice", "alice", NULL);
	char *sub = strstr(claims, "\"sub\"");
	memcpy(sub, "\"suX\"", 5);
	signed_idp(&idp, claims, false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "id_token refused: no usable sub claim");
	signed_idp_free(&idp);
}

static void test_an_id_token_must_be_one_and_say_when_it_was_issued(void **state)
{
	(void)state;
	/* An access token (typ at+jwt) is no ID token, even signed by the IdP for us. */
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	char *claims = claims_json("alice", "alice", NULL);
	idp.id_token = test_keys_sign(keys, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", claims);
	free(claims);
	idp.token_body = token_with_id_token(idp.id_token);
	idp.discovery[0] = (struct fake_reply){ .status = 200, .body = discovery };
	idp.jwks[0] = (struct fake_reply){ .status = 200, .body = test_keys_jwks(keys) };
	idp.token[0] = (struct fake_reply){ .status = 200, .body = idp.token_body };
	fake_route(DISCOVERY_URL, idp.discovery, 1);
	fake_route(JWKS_URL, idp.jwks, 1);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, idp.token, 1);
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "id_token refused: wrong typ");
	signed_idp_free(&idp);

	/* OIDC Core §2: iat is required in an ID token. */
	fake_reset();
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	claims = claims_json("alice", "alice", NULL);
	char *iat = strstr(claims, "\"iat\"");
	memcpy(iat, "\"iaX\"", 5);
	signed_idp(&idp, claims, false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "id_token refused: no iat");
	signed_idp_free(&idp);
}

static void test_auto_hands_over_to_userinfo_whose_sub_must_agree(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, NULL);
	signed_idp(&idp, claims_json("alice", NULL, NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "identity_source=userinfo");
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, NULL);
	signed_idp(&idp, claims_json("alice-2", NULL, NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "identity sources disagree on sub");
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, NULL);
	signed_idp(&idp, claims_json("alice", NULL, NULL), false, "k1");
	route_one(USERINFO_URL, 200, "{\"sub\":\"alice\\u0000x\",\"preferred_username\":\"alice\"}");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "a sub claim is not a string");
	signed_idp_free(&idp);
}

static void test_an_unknown_kid_fetches_the_keys_again_once(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	idp.jwks[0] = (struct fake_reply){ .status = 200, .body = "{\"keys\":[]}" };
	idp.jwks[1] = (struct fake_reply){ .status = 200, .body = test_keys_jwks(keys) };
	fake_route(JWKS_URL, idp.jwks, 2);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_int_equal(fake_requests_to(JWKS_URL), 2);
	assert_contains(fake_log(), "unknown kid, fetching the keys again");
	signed_idp_free(&idp);

	/* A kid no key set ever has: one refetch, then a refusal. */
	fake_reset();
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k9");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "no key with the token's kid");
	assert_int_equal(fake_requests_to(JWKS_URL), 2);
	signed_idp_free(&idp);
}

static void test_keys_that_cannot_be_fetched_after_approval_are_a_refusal(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	route_one(JWKS_URL, 503, "{}");
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "after approval: jwks: HTTP 503");
	signed_idp_free(&idp);
}

static void test_discovery_for_another_issuer_is_a_configuration_error(void **state)
{
	(void)state;
	struct login_run run;
	configure(&run, ISSUER_CONFIG, NULL);
	route_one(DISCOVERY_URL, 200, "{\"issuer\":\"https://evil.test\",\"token_endpoint\":\"" TOKEN_URL "\"}");
	run_login(&run);
	assert_result(&run, LOGIN_CONFIG_ERROR, "discovery document refused");
	assert_int_equal(fake_requests_to(DEVICE_URL), 0);
}

static void test_discovery_falls_back_to_rfc8414(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "identity_source=id_token", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	route_one(DISCOVERY_URL, 404, "{}");
	fake_route(RFC8414_URL, idp.discovery, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_int_equal(fake_requests_to(RFC8414_URL), 1);
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, NULL);
	route_one(DISCOVERY_URL, 404, "{}");
	route_one(RFC8414_URL, 404, "{}");
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, "discovery: HTTP 404");
	assert_int_equal(fake_requests_to(DEVICE_URL), 0);
}

static void test_a_jwt_access_token_is_checked_as_rfc_9068_says(void **state)
{
	(void)state;
	const char *audience = "audience=https://ssh.example.test";
	const char *good = ",\"client_id\":\"pam-public\",\"scope\":\"openid ssh:login\"";
	const char *other_client = ",\"client_id\":\"pam-other\",\"scope\":\"openid ssh:login\"";
	const char *control = ",\"client_id\":\"pam-public\",\"scope\":\"openid\\u001bssh:login\"";
	const char *typs[] = { "at+jwt", "at+jwt", "JWT", "at+jwt" };
	const char *extras[] = { good, other_client, good, control };
	const char *want[] = { NULL, "access token refused: issued to another client", "access token refused",
			       "access token's scope claim is not a scope string" };
	for (size_t i = 0; i < 4; i++) {
		struct login_run run;
		fake_reset();
		configure(&run, ISSUER_CONFIG, audience, "scope_source=jwt", "identity_source=jwt",
			  "require_scope=ssh:login", "scope=openid ssh:login", NULL);
		char *claims = claims_json("alice", "alice", extras[i]);
		char *aud = strstr(claims, "\"pam-public\"");
		char *fixed = NULL;
		*aud = '\0';
		assert_true(asprintf(&fixed, "%s\"https://ssh.example.test\"%s", claims, aud + 12) > 0);
		free(claims);
		char header[64];
		snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"%s\"}", typs[i]);
		char *access_token = test_keys_sign(keys, header, fixed);
		free(fixed);
		char *body = NULL;
		assert_true(asprintf(&body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\"}", access_token) > 0);
		struct fake_reply token[] = { { .status = 200, .body = body } };
		struct fake_reply disco[] = { { .status = 200, .body = discovery } };
		struct fake_reply jwks[] = { { .status = 200, .body = test_keys_jwks(keys) } };
		fake_route(DISCOVERY_URL, disco, 1);
		fake_route(JWKS_URL, jwks, 1);
		fake_route(DEVICE_URL, device_ok, 1);
		fake_route(TOKEN_URL, token, 1);
		run_login(&run);
		if (want[i] == NULL)
			assert_result(&run, LOGIN_APPROVED, "scope_source=jwt identity_source=jwt");
		else
			assert_result(&run, LOGIN_TOKEN_INVALID, want[i]);
		assert_contains(fake_request_to(DEVICE_URL, 0)->body, "resource=https%3A%2F%2Fssh.example.test");
		free(access_token);
		free(body);
	}
}

/* ---- IdP dialects: other shapes of the same facts (ARCHITECTURE.md) ---- */

static const char *map_file(const char *text)
{
	static char setting[300];
	char path[256];
	snprintf(path, sizeof(path), "%s/users", scratch);
	write_file(path, text, 0644);
	snprintf(setting, sizeof(setting), "username_map=%s", path);
	return setting;
}

/* A GitHub login: errors come with HTTP 200; slow_down carries the new interval; granted
 * scopes are comma separated; the stable identity is the numeric id of GET /user;
 * memberships come from /user/orgs and /user/teams (answered ORGS and TEAMS; NULL: no
 * answer). REQUIRE_GROUP is the configured group. */
static void github_login(struct login_run *run, const char *require_group, const char *orgs, const char *teams,
			 long orgs_status)
{
	static const struct fake_reply token[] = {
		{ .status = 200, .body = "{\"error\":\"authorization_pending\"}" },
		{ .status = 200, .body = "{\"error\":\"slow_down\",\"interval\":15}" },
		{ .status = 200,
		  .body = "{\"access_token\":\"gho_x\",\"token_type\":\"bearer\",\"scope\":\"read:org,read:user\"}" },
	};
	static const struct fake_reply user[] = { { .status = 200,
						    .body = "{\"login\":\"alice-renamed\",\"id\":583231}" } };
	static struct fake_reply org_reply[1], team_reply[1];
	char group[64];
	snprintf(group, sizeof(group), "require_group=%s", require_group);
	fake_reset();
	configure(run, "identity_source=userinfo", "scope=read:user read:org", "require_scope=read:org",
		  "username_claim=id", map_file("583231 alice\n"), "groups_source=github", group, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, token, 3);
	fake_route(USERINFO_URL, user, 1);
	org_reply[0] = (struct fake_reply){ .status = orgs_status, .body = orgs };
	team_reply[0] = (struct fake_reply){ .status = 200, .body = teams };
	fake_route(USERINFO_URL "/orgs?per_page=100&page=1", org_reply, 1);
	if (teams != NULL)
		fake_route(USERINFO_URL "/teams?per_page=100&page=1", team_reply, 1);
	run_login(run);
}

static void test_github_answers_every_poll_with_200_and_names_users_by_number(void **state)
{
	(void)state;
	struct login_run run;
	const char *acme = "[{\"login\":\"acme\"}]",
		   *sre = "[{\"slug\":\"sre\",\"organization\":{\"login\":\"acme\"}}]";
	github_login(&run, "acme/sre", acme, sre, 200);
	assert_result(&run, LOGIN_APPROVED, "id='583231'");
	assert_true(gap_ms(TOKEN_URL, 0, 1) >= 5000);
	assert_true(gap_ms(TOKEN_URL, 1, 2) >= 15000); /* the interval GitHub sent, more than +5 s */
	assert_string_equal(run.identity.username, "583231");

	/* The same, but alice is in no team called sre. */
	github_login(&run, "acme/sre", acme, "[]", 200);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "is in none of the groups 'acme/sre'");

	/* A team entry of another shape (no slug) grants nothing, not even its organisation. */
	github_login(&run, "acme", "[]", "[{\"organization\":{\"login\":\"acme\"}}]", 200);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "is in none of the groups 'acme'");

	/* A membership list that is not strict JSON (here: trailing text after the array) is
	 * refused, and after the approval that is a refusal, not an outage. */
	github_login(&run, "acme", "[{\"login\":\"acme\"}] [{\"login\":\"evil\"}]", "[]", 200);
	assert_result(&run, LOGIN_TOKEN_INVALID, "after approval: GitHub orgs:");

	/* GitHub refusing the token (no read:org): a refusal after approval. */
	github_login(&run, "acme", "{\"message\":\"Forbidden\"}", NULL, 403);
	assert_result(&run, LOGIN_REFUSED_BY_IDP, "GitHub orgs refused the access token: HTTP 403");
}

static void test_a_200_that_is_an_oauth_error_is_no_approval(void **state)
{
	(void)state;
	/* GitHub's pending poll is a 200: an outage after it is still an outage. */
	static const struct fake_reply token[] = {
		{ .status = 200, .body = "{\"error\":\"authorization_pending\"}" },
		{ .status = 503, .body = "{}" },
	};
	struct login_run run;
	configure(&run, NULL);
	usual_idp();
	fake_route(TOKEN_URL, token, 2);
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, "token endpoint: HTTP 503");
}

static void test_oauth_errors_count_whatever_their_status(void **state)
{
	(void)state;
	static const struct {
		long status;
		const char *body;
		enum login_result want;
		const char *reason;
	} cases[] = {
		{ 200, "{\"error\":\"access_denied\"}", LOGIN_DENIED, "access_denied at the IdP" },
		{ 403, "{\"error\":\"access_denied\"}", LOGIN_DENIED, NULL },          /* Auth0 */
		{ 400, "{\"error\":\"authorization_declined\"}", LOGIN_DENIED, NULL }, /* Entra */
		{ 200, "{\"error\":\"expired_token\"}", LOGIN_EXPIRED, NULL },         /* GitHub */
		{ 403, "{\"error\":\"expired_token\"}", LOGIN_EXPIRED, NULL },         /* Auth0 */
		{ 200, "{\"error\":\"incorrect_device_code\"}", LOGIN_REFUSED_BY_IDP, "incorrect_device_code" },
		{ 400, "{\"error\":\"bad_verification_code\"}", LOGIN_REFUSED_BY_IDP, NULL }, /* Entra */
		{ 200, "{\"error\":\"device_flow_disabled\"}", LOGIN_CONFIG_ERROR, NULL },    /* GitHub */
		{ 200, "{\"error\":\"incorrect_client_credentials\"}", LOGIN_CONFIG_ERROR, NULL },
		/* Both an error and a token: no answer anyone can rely on, after a 200. */
		{ 200, "{\"error\":\"authorization_pending\",\"access_token\":\"x\",\"token_type\":\"Bearer\"}",
		  LOGIN_TOKEN_INVALID, "both an error and an access_token" },
		/* 5xx stays the server's trouble, whatever its body says. */
		{ 503, "{\"error\":\"access_denied\"}", LOGIN_IDP_UNAVAILABLE, NULL },
		/* A 429 that is not slow_down: an outage (before anyone approved). */
		{ 429, "{\"error\":\"too_many_requests\"}", LOGIN_IDP_UNAVAILABLE, NULL },
		{ 429, "", LOGIN_IDP_UNAVAILABLE, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct login_run run;
		fake_reset();
		configure(&run, NULL);
		usual_idp();
		route_one(TOKEN_URL, cases[i].status, cases[i].body);
		run_login(&run);
		assert_result(&run, cases[i].want, cases[i].reason);
		assert_int_equal(fake_requests_to(TOKEN_URL), 1);
	}
}

static void test_auth0_pending_as_403_and_slow_down_as_429_with_retry_after(void **state)
{
	(void)state;
	static const struct fake_reply token[] = {
		{ .status = 403, .body = "{\"error\":\"authorization_pending\"}" },
		{ .status = 429, .body = "{\"error\":\"slow_down\"}", .retry_after = 30 },
		{ GRANTED },
	};
	struct login_run run;
	configure(&run, "issuer=" IDP, "audience=https://api.example.test", "audience_param=audience",
		  "scope_source=response", "identity_source=userinfo", NULL);
	fake_route(DISCOVERY_URL, (const struct fake_reply[]){ { .status = 200, .body = discovery } }, 1);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, token, 3);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_true(gap_ms(TOKEN_URL, 1, 2) >= 30000); /* Retry-After, longer than interval + 5 s */
	assert_contains(fake_request_to(DEVICE_URL, 0)->body, "audience=https%3A%2F%2Fapi.example.test");
	assert_lacks(fake_request_to(DEVICE_URL, 0)->body, "resource=");
}

static void test_google_verification_url_and_expanded_scopes(void **state)
{
	(void)state;
	static const struct fake_reply device[] = {
		{ .status = 200,
		  .body = "{\"device_code\":\"dc\",\"user_code\":\"GQVQ-JKEC\",\"verification_url\":"
			  "\"https://www.google.com/device\",\"expires_in\":1800,\"interval\":5}" }
	};
	static const struct fake_reply token[] = {
		{ .status = 200,
		  .body = "{\"access_token\":\"ya29\",\"token_type\":\"Bearer\",\"scope\":\"openid "
			  "https://www.googleapis.com/auth/userinfo.email\"}" }
	};
	struct login_run run;
	configure(&run, "scope=openid email", "require_scope=email", NULL);
	usual_idp();
	fake_route(DEVICE_URL, device, 1);
	fake_route(TOKEN_URL, token, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_contains(fake_shown(), "Open https://www.google.com/device and enter the code: GQVQ-JKEC");

	/* The URL of another scope, or a prefix of the documented one, grants nothing else. */
	static const struct fake_reply other[] = {
		{ .status = 200,
		  .body =
		      "{\"access_token\":\"ya29\",\"token_type\":\"Bearer\",\"scope\":\"openid "
		      "https://www.googleapis.com/auth/userinfo.emailx https://evil.test/auth/userinfo.email\"}" }
	};
	fake_reset();
	configure(&run, "scope=openid email", "require_scope=email", NULL);
	usual_idp();
	fake_route(TOKEN_URL, other, 1);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "required scope 'email' not granted");
}

static void test_zitadel_roles_object_names_the_groups(void **state)
{
	(void)state;
	static const struct fake_reply user[] = {
		{ .status = 200,
		  .body = "{\"sub\":\"alice\",\"preferred_username\":\"alice\",\"urn:zitadel:iam:org:project:roles\":"
			  "{\"ssh-login\":{\"2134\":\"acme.zitadel.cloud\"}}}" }
	};
	struct login_run run;
	configure(&run, "groups_claim=urn:zitadel:iam:org:project:roles", "require_group=ssh-login", NULL);
	usual_idp();
	fake_route(USERINFO_URL, user, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "in a required group");

	fake_reset();
	configure(&run, "groups_claim=urn:zitadel:iam:org:project:roles", "require_group=admins", NULL);
	usual_idp();
	fake_route(USERINFO_URL, user, 1);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "is in none of the groups 'admins'");
}

/* ---- how the approver signed in (require_amr, require_acr, max_auth_age) ---- */

#define AUTH_AT(seconds_ago) ((int)(1764547200 + fake_now_ms() / 1000 - (seconds_ago)))

static void test_mfa_required_and_present_is_granted(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "require_amr=mfa otp hwk", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"amr\":[\"pwd\",\"otp\"]"), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "identity_source=id_token");
	assert_contains(fake_log(), "sign-in context accepted (id_token)");
	signed_idp_free(&idp);
}

static void test_a_password_alone_is_refused_when_mfa_is_required(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "require_amr=mfa otp hwk", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"amr\":[\"pwd\"]"), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "amr [pwd] lacks any of [mfa otp hwk] (id_token)");
	signed_idp_free(&idp);

	/* No amr at all: refused, never taken as "nothing to check". */
	fake_reset();
	configure(&run, ISSUER_CONFIG, "require_amr=mfa", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "amr is missing or not an array");
	signed_idp_free(&idp);

	/* all: every method named. */
	fake_reset();
	configure(&run, ISSUER_CONFIG, "require_amr=pwd hwk", "require_amr_mode=all", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"amr\":[\"pwd\",\"otp\"]"), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "lacks some of [pwd hwk] (require_amr_mode=all)");
	signed_idp_free(&idp);
}

static void test_the_amr_rule_reads_the_id_token_whatever_names_the_user(void **state)
{
	(void)state;
	/* auto hands the identity over to userinfo (the ID token names nobody), yet amr is
	 * read from the verified ID token, not from userinfo's claims. */
	static const struct fake_reply userinfo_mfa[] = {
		{ .status = 200, .body = "{\"sub\":\"alice\",\"preferred_username\":\"alice\",\"amr\":[\"mfa\"]}" }
	};
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "require_amr=mfa", NULL);
	signed_idp(&idp, claims_json("alice", NULL, ",\"amr\":[\"pwd\"]"), false, "k1");
	fake_route(USERINFO_URL, userinfo_mfa, 1);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "amr [pwd] lacks any of [mfa]");
	signed_idp_free(&idp);

	/* A token response with no ID token at all: refused. */
	fake_reset();
	configure(&run, ISSUER_CONFIG, "require_amr=mfa", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"amr\":[\"mfa\"]"), false, "k1");
	static const struct fake_reply no_id_token[] = { { GRANTED } };
	fake_route(TOKEN_URL, no_id_token, 1);
	fake_route(USERINFO_URL, userinfo_mfa, 1);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "no id_token in the token response to read amr");
	signed_idp_free(&idp);
}

static void test_acr_must_be_one_of_require_acr(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	configure(&run, ISSUER_CONFIG, "require_acr=urn:test:loa:2 urn:test:loa:3", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"acr\":\"urn:test:loa:2\""), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, "require_acr=urn:test:loa:2 urn:test:loa:3", NULL);
	signed_idp(&idp, claims_json("alice", "alice", ",\"acr\":\"urn:test:loa:1\""), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "acr 'urn:test:loa:1' is none of [urn:test:loa:2 urn:test:loa:3]");
	signed_idp_free(&idp);
}

static void test_an_old_sign_in_is_refused_and_a_fresh_one_asked_for(void **state)
{
	(void)state;
	struct login_run run;
	struct signed_idp idp;
	char extra[64];
	/* The grant comes at the first poll, 5 s in: a sign-in 290 s before the start is
	 * 295 s old then. */
	configure(&run, ISSUER_CONFIG, "max_auth_age=300", NULL);
	snprintf(extra, sizeof(extra), ",\"auth_time\":%d", AUTH_AT(290));
	signed_idp(&idp, claims_json("alice", "alice", extra), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	/* OIDC Core §3.1.2.1: max_age asks the IdP for a sign-in no older. */
	assert_contains(fake_request_to(DEVICE_URL, 0)->body, "max_age=300");
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, "max_auth_age=300", NULL);
	snprintf(extra, sizeof(extra), ",\"auth_time\":%d", AUTH_AT(400));
	signed_idp(&idp, claims_json("alice", "alice", extra), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "auth_time is 405 s old, max_auth_age 300");
	signed_idp_free(&idp);

	fake_reset();
	configure(&run, ISSUER_CONFIG, "max_auth_age=300", NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "auth_time is missing or not a number");
	signed_idp_free(&idp);

	/* Without max_auth_age no max_age is sent. */
	fake_reset();
	configure(&run, ISSUER_CONFIG, NULL);
	signed_idp(&idp, claims_json("alice", "alice", NULL), false, "k1");
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	assert_lacks(fake_request_to(DEVICE_URL, 0)->body, "max_age");
	signed_idp_free(&idp);
}

/* ---- four-eyes approval (approver_group) ---- */

#define SECOND_DEVICE_BODY                                                                                             \
	"{\"device_code\":\"dc-2\",\"user_code\":\"WXYZ-2345\",\"verification_uri\":\"https://idp.test/device\","      \
	"\"expires_in\":300,\"interval\":5}"
#define FOUR_EYES_CONFIG ISSUER_CONFIG, "identity_source=id_token", "approver_group=sre-oncall"
#define DAVE_ONCALL ",\"groups\":[\"sre-oncall\"]"

struct four_eyes_idp {
	struct signed_idp first;
	struct fake_reply device[2], token[2];
	char *second_token, *second_body;
};

/* The requester's grant (FIRST's claims), then a second device code, then SECOND_REPLY
 * when given, else a grant whose ID token carries SECOND's claims. */
static void four_eyes_idp(struct four_eyes_idp *idp, char *first, char *second, const struct fake_reply *second_reply)
{
	signed_idp(&idp->first, first, false, "k1");
	idp->second_token = second != NULL ? test_keys_sign(keys, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", second) : NULL;
	free(second);
	idp->second_body = idp->second_token != NULL ? token_with_id_token(idp->second_token) : NULL;
	idp->device[0] = device_ok[0];
	idp->device[1] = (struct fake_reply){ .status = 200, .body = SECOND_DEVICE_BODY };
	idp->token[0] = idp->first.token[0];
	idp->token[1] =
	    second_reply != NULL ? *second_reply : (struct fake_reply){ .status = 200, .body = idp->second_body };
	fake_route(DEVICE_URL, idp->device, 2);
	fake_route(TOKEN_URL, idp->token, 2);
}

static void four_eyes_idp_free(struct four_eyes_idp *idp)
{
	signed_idp_free(&idp->first);
	free(idp->second_token);
	free(idp->second_body);
}

static void test_four_eyes_a_member_of_the_approver_group_completes_the_login(void **state)
{
	(void)state;
	struct login_run run;
	struct four_eyes_idp idp;
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), claims_json("dave", "dave", DAVE_ONCALL), NULL);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED,
		      "approved_by=dave for=alice (preferred_username='dave' (in an approver group)");
	/* The two codes, in order; the second tells the requester whom to ask. */
	const char *shown = fake_shown(), *first = strstr(shown, "ABCD-EFGH"), *second = strstr(shown, "WXYZ-2345");
	assert_non_null(first);
	assert_non_null(second);
	assert_true(first < second);
	assert_contains(shown, "A second person must approve alice's sign-in on host (sshd).");
	assert_contains(shown,
			"Ask a member of sre-oncall to approve: Open https://idp.test/device and enter the code: "
			"WXYZ-2345");
	assert_int_equal(fake_requests_to(DEVICE_URL), 2);
	/* The session is the requester's. */
	assert_string_equal(run.identity.username, "alice");
	assert_string_equal(run.identity.sub, "alice");
	four_eyes_idp_free(&idp);
}

static void test_four_eyes_the_requester_cannot_approve_their_own_second_code(void **state)
{
	(void)state;
	struct login_run run;
	struct four_eyes_idp idp;
	configure(&run, FOUR_EYES_CONFIG, NULL);
	/* alice is even in the approver group: the same sub is still the same person. */
	four_eyes_idp(&idp, claims_json("alice", "alice", DAVE_ONCALL), claims_json("alice", "alice", DAVE_ONCALL),
		      NULL);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "four-eyes approval for=alice: four-eyes: the requester approved");
	assert_contains(run.reason, "(same sub)");
	assert_string_equal(run.identity.username, "");

	four_eyes_idp_free(&idp);

	/* Another name, the same sub: still the requester. */
	fake_reset();
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), claims_json("alice", "alice-admin", DAVE_ONCALL),
		      NULL);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "(same sub)");
	four_eyes_idp_free(&idp);
}

static void test_four_eyes_a_non_member_cannot_approve(void **state)
{
	(void)state;
	struct login_run run;
	struct four_eyes_idp idp;
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), claims_json("bob", "bob", ",\"groups\":[\"staff\"]"),
		      NULL);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED,
		      "four-eyes approval for=alice: four-eyes approver: preferred_username='bob' is in none of the "
		      "groups 'sre-oncall'");
	four_eyes_idp_free(&idp);
}

static void test_four_eyes_the_approver_passes_the_same_trust_checks(void **state)
{
	(void)state;
	struct login_run run;
	struct four_eyes_idp idp;
	/* MFA required for both: the approver signed in with a password only. */
	configure(&run, FOUR_EYES_CONFIG, "require_amr=mfa", NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", ",\"amr\":[\"pwd\",\"mfa\"]"),
		      claims_json("dave", "dave", DAVE_ONCALL ",\"amr\":[\"pwd\"]"), NULL);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "four-eyes approval for=alice: amr [pwd] lacks any of [mfa]");
	four_eyes_idp_free(&idp);

	/* A second ID token the IdP did not sign. */
	fake_reset();
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), claims_json("dave", "dave", DAVE_ONCALL), NULL);
	free(idp.second_token);
	free(idp.second_body);
	char *claims = claims_json("dave", "dave", DAVE_ONCALL);
	idp.second_token = test_keys_sign_as_attacker(keys, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", claims);
	free(claims);
	idp.second_body = token_with_id_token(idp.second_token);
	idp.token[1].body = idp.second_body;
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "four-eyes approval for=alice: id_token refused: signature");
	four_eyes_idp_free(&idp);

	/* A requester refused is never asked for a second code. */
	fake_reset();
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("bob", "bob", NULL), claims_json("dave", "dave", DAVE_ONCALL), NULL);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "not the PAM user");
	assert_int_equal(fake_requests_to(DEVICE_URL), 1);
	four_eyes_idp_free(&idp);
}

static void test_four_eyes_a_second_denial_or_expiry_denies(void **state)
{
	(void)state;
	static const struct fake_reply denied = { .status = 400, .body = "{\"error\":\"access_denied\"}" };
	static const struct fake_reply pending = { PENDING };
	struct login_run run;
	struct four_eyes_idp idp;
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), NULL, &denied);
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, "four-eyes approval for=alice: access_denied at the IdP");
	assert_int_equal(login_result_pam_code(run.result), PAM_MAXTRIES);
	four_eyes_idp_free(&idp);

	fake_reset();
	configure(&run, FOUR_EYES_CONFIG, NULL);
	four_eyes_idp(&idp, claims_json("alice", "alice", NULL), NULL, &pending);
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "four-eyes approval for=alice: not approved before");
	assert_int_equal(login_result_pam_code(run.result), PAM_AUTH_ERR);
	assert_string_equal(run.identity.username, "");
	four_eyes_idp_free(&idp);
}

static void test_four_eyes_an_outage_after_the_first_approval_is_a_refusal(void **state)
{
	(void)state;
	/* Someone approved already: from here an outage must not reach an
	 * authinfo_unavail fallback (house rule 1). */
	static const struct fake_reply unavailable = { .status = 503, .body = "{}" };
	static const struct fake_reply timed_out = { TIMED_OUT };
	static const struct fake_reply device_down[] = { { .status = 200, .body = DEVICE_BODY(300, 5) },
							 { .status = 503, .body = "{}" } };
	const struct fake_reply *second[] = { &unavailable, &timed_out, NULL };
	const char *reasons[] = { "after approval: token endpoint: HTTP 503",
				  "after approval: token endpoint kept timing out",
				  "after approval: device authorization: HTTP 503" };
	for (size_t i = 0; i < 3; i++) {
		struct login_run run;
		struct four_eyes_idp idp;
		fake_reset();
		configure(&run, FOUR_EYES_CONFIG, NULL);
		four_eyes_idp(&idp, claims_json("alice", "alice", NULL), claims_json("dave", "dave", DAVE_ONCALL),
			      second[i]);
		if (second[i] == NULL)
			fake_route(DEVICE_URL, device_down, 2);
		run_login(&run);
		assert_result(&run, LOGIN_TOKEN_INVALID, reasons[i]);
		assert_int_equal(login_result_pam_code(run.result), PAM_AUTH_ERR);
		four_eyes_idp_free(&idp);
	}
}

static int group_setup(void **state)
{
	(void)state;
	keys = test_keys_new("k1");
	if (keys == NULL || scratch_dir_create(scratch, sizeof(scratch), "pam_oauth2-flow") != 0)
		return -1;
	fake_reset();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	test_keys_free(keys);
	fake_reset();
	return scratch_dir_remove(scratch);
}

/* ---- remembered approvals (remember = SECONDS; login/remember.c) ---- */

#define GRANTED_RT                                                                                                     \
	.status = 200, .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","    \
			       "\"refresh_token\":\"rt-first-4711\"}"
#define REFRESHED                                                                                                      \
	.status = 200, .body = "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","    \
			       "\"refresh_token\":\"rt-second-0815\"}"

struct memory_dir {
	char dir[64];
	char remember_dir[96]; /* "remember_dir=DIR/run" (created by the module) */
};

/* The records live in root-only files: these cases need root (CI runs as root). */
static void memory_dir_create(struct memory_dir *memory)
{
	if (geteuid() != 0) {
		if (getenv("CI") != NULL)
			fail_msg("remembered approvals need root (their directory must be root's)");
		skip();
	}
	assert_int_equal(scratch_dir_create(memory->dir, sizeof(memory->dir), "flow-remember"), 0);
	snprintf(memory->remember_dir, sizeof(memory->remember_dir), "remember_dir=%s/run", memory->dir);
}

/* The path of the one entry ending in SUFFIX (".approval", ".lock"), or "" when none. */
static void memory_entry(const struct memory_dir *memory, const char *suffix, char *path, size_t size)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/run", memory->dir);
	path[0] = '\0';
	DIR *listing = opendir(dir);
	if (listing == NULL)
		return;
	for (struct dirent *entry; (entry = readdir(listing)) != NULL;) {
		size_t len = strlen(entry->d_name);
		if (len > strlen(suffix) && strcmp(entry->d_name + len - strlen(suffix), suffix) == 0 &&
		    entry->d_name[0] != '.')
			snprintf(path, size, "%s/%s", dir, entry->d_name);
	}
	closedir(listing);
}

static char *memory_read(const char *path)
{
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return strdup("");
	static char text[8192];
	size_t got = fread(text, 1, sizeof(text) - 1, file);
	text[got] = '\0';
	fclose(file);
	return strdup(text);
}

static void memory_write(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	fputs(text, file);
	fclose(file);
	chmod(path, 0600);
}

/* A first login, approved with a device code (and a refresh token when GRANT has one). */
static void remembered_first_login(const struct memory_dir *memory, const struct fake_reply *grant)
{
	struct login_run run;
	configure(&run, "remember=600", memory->remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, grant, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
}

static void memory_dir_remove(struct memory_dir *memory)
{
	scratch_dir_remove(memory->dir);
}

/* Another login after the window, or for another key: a new device code. */
static void assert_asks_again(const struct memory_dir *memory, struct login_run *run, size_t device_requests)
{
	fake_route(DEVICE_URL, device_ok, 1);
	static const struct fake_reply again[] = { { GRANTED_RT } };
	fake_route(TOKEN_URL, again, 1);
	(void)memory;
	run_login(run);
	assert_int_equal(fake_requests_to(DEVICE_URL), device_requests);
	assert_lacks(run->reason, "remembered");
}

static void test_remember_reuses_an_approval_with_one_refresh(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } }, refreshed[] = { { REFRESHED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	char record[256], dir[128];
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_true(record[0] != '\0');
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/run", memory.dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	char *text = memory_read(record);
	assert_contains(text, "refresh_token rt-first-4711\n");
	assert_contains(text, "sub alice\n");
	free(text);

	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(TOKEN_URL, refreshed, 1);
	fake_advance_ms(30 * 1000);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "remembered approval_age=30s revalidated=yes sub=alice");
	assert_string_equal(run.identity.sub, "alice");
	/* One refresh-token request (RFC 6749 §6), checked like a fresh login; no device code. */
	assert_int_equal(fake_requests_to(DEVICE_URL), 1);
	assert_int_equal(fake_requests_to(TOKEN_URL), 2);
	const struct fake_request *refresh = fake_request_to(TOKEN_URL, 1);
	assert_contains(refresh->body, "grant_type=refresh_token");
	assert_contains(refresh->body, "refresh_token=rt-first-4711");
	assert_contains(refresh->body, "client_id=pam-public");
	assert_int_equal(fake_request_count() - before, 2); /* the refresh, and userinfo for the identity */
	/* The rotated refresh token replaces the old one. */
	text = memory_read(record);
	assert_contains(text, "refresh_token rt-second-0815\n");
	assert_lacks(text, "rt-first-4711");
	free(text);
	assert_lacks(fake_log(), "rt-first");
	assert_lacks(fake_log(), "rt-second");
	assert_lacks(fake_shown(), "rt-");
	memory_dir_remove(&memory);
}

static void test_remember_without_a_refresh_token_is_time_only(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_advance_ms(599 * 1000);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "revalidated=no (time only");
	assert_int_equal(fake_request_count(), before); /* no IdP request at all */
	assert_string_equal(run.identity.sub, "alice");
	/* A reuse does not make the approval younger: at 601 s it asks again. */
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_advance_ms(2 * 1000);
	assert_asks_again(&memory, &run, 2);
	memory_dir_remove(&memory);
}

static void test_remember_asks_again_after_the_window(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_advance_ms(600 * 1000);
	assert_asks_again(&memory, &run, 2);
	assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
	memory_dir_remove(&memory);
}

static void test_remember_never_crosses_a_key(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	size_t device = 1;
	/* Another service, remote host, terminal, SSH key, caller; another policy. */
	for (int other = 0; other < 7; other++) {
		struct login_run run;
		static const char *const policy[7] = {
			[5] = "require_scope=profile", [6] = "username_case=insensitive"
		};
		configure(&run, "remember=600", memory.remember_dir, policy[other] != NULL ? policy[other] : "debug=on",
			  NULL);
		if (other == 0)
			run.context.service = "sudo";
		if (other == 1)
			run.context.rhost = "203.0.113.9";
		if (other == 2)
			run.context.tty = "/dev/pts/7";
		if (other == 3)
			run.context.auth_info = "publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKey\n";
		if (other == 4) {
			run.context.caller_uid = 1000;
			run.context.caller_session = "tty=34816 sid=4242 start=777";
		}
		assert_asks_again(&memory, &run, ++device);
		assert_result(&run, LOGIN_APPROVED, NULL);
	}
	/* The first key still finds its own record. */
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "remembered");
	assert_int_equal(fake_requests_to(DEVICE_URL), device);
	memory_dir_remove(&memory);
}

static void test_remember_a_revoked_grant_asks_again_and_drops_the_record(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	static const struct fake_reply revoked_then_granted[] = {
		{ .status = 400,
		  .body = "{\"error\":\"invalid_grant\",\"error_description\":\"grant request is invalid\"}" },
		{ GRANTED },
	};
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, revoked_then_granted, 2);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
	assert_lacks(run.reason, "remembered");
	assert_int_equal(fake_requests_to(DEVICE_URL), 2);
	assert_contains(fake_log(), "not reused: the refresh token was refused (invalid_grant)");
	/* The new approval is remembered, without a refresh token this time. */
	char record[256];
	memory_entry(&memory, ".approval", record, sizeof(record));
	char *text = memory_read(record);
	assert_lacks(text, "refresh_token");
	free(text);
	memory_dir_remove(&memory);
}

static void test_remember_an_explicit_denial_at_revalidation_denies(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	static const struct fake_reply denied[] = { { .status = 400, .body = "{\"error\":\"access_denied\"}" } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(TOKEN_URL, denied, 1);
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, "revalidation of a remembered approval: access_denied");
	assert_int_equal(fake_requests_to(DEVICE_URL), 1);
	char record[256];
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_string_equal(record, "");
	memory_dir_remove(&memory);
}

static void test_remember_a_refreshed_token_for_someone_else_is_refused(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } }, refreshed[] = { { REFRESHED } };
	static const struct fake_reply other_sub[] = {
		{ .status = 200, .body = "{\"sub\":\"alice-impostor\",\"preferred_username\":\"alice\"}" }
	};
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(TOKEN_URL, refreshed, 1);
	fake_route(USERINFO_URL, other_sub, 1);
	run_login(&run);
	assert_result(&run, LOGIN_TOKEN_INVALID, "the refreshed token is for sub=alice-impostor, not sub=alice");
	assert_string_equal(run.identity.sub, "");
	char record[256];
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_string_equal(record, "");
	memory_dir_remove(&memory);
}

static void test_remember_a_removed_scope_asks_again_and_is_refused(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	static const struct fake_reply narrowed[] = {
		{ .status = 200,
		  .body = "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\",\"scope\":\"openid\",\"refresh_token\":"
			  "\"rt-3\"}" },
	};
	struct memory_dir memory;
	memory_dir_create(&memory);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, "require_scope=profile", NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	configure(&run, "remember=600", memory.remember_dir, "require_scope=profile", NULL);
	fake_route(TOKEN_URL, narrowed, 1);
	run_login(&run);
	assert_result(&run, LOGIN_NOT_AUTHORIZED, "required scope 'profile' not granted");
	assert_int_equal(fake_requests_to(DEVICE_URL), 2); /* it asked again, and that was refused */
	assert_contains(fake_log(), "not reused: the refreshed token failed the checks");
	char record[256];
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_string_equal(record, "");
	memory_dir_remove(&memory);
}

static void test_remember_an_outage_at_revalidation_never_grants(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	static const struct fake_reply down[] = { { .status = 503, .body = "busy" } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(TOKEN_URL, down, 1);
	fake_route(DEVICE_URL, down, 1);
	run_login(&run);
	assert_result(&run, LOGIN_IDP_UNAVAILABLE, NULL);
	assert_contains(fake_log(), "not reused: revalidation failed");
	/* The refresh went out: the IdP may have rotated the token before the answer was
	 * lost, and the old one sent again could revoke the grant. The record goes. */
	char record[256];
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_string_equal(record, "");
	memory_dir_remove(&memory);
}

/* A record that is not what the module wrote is no record: a new device code. */
static void test_remember_ignores_records_it_cannot_trust(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	for (int damage = 0; damage < 8; damage++) {
		fake_reset();
		struct memory_dir memory;
		memory_dir_create(&memory);
		remembered_first_login(&memory, first);
		char record[256], moved[300];
		memory_entry(&memory, ".approval", record, sizeof(record));
		char *text = memory_read(record);
		switch (damage) {
		case 0: /* another owner */
			assert_int_equal(chown(record, 65534, 65534), 0);
			break;
		case 1: /* a loose mode */
			assert_int_equal(chmod(record, 0644), 0);
			break;
		case 2: /* a symlink to a good copy */
			snprintf(moved, sizeof(moved), "%s/copy", memory.dir);
			assert_int_equal(rename(record, moved), 0);
			assert_int_equal(symlink(moved, record), 0);
			break;
		case 3: /* cut short */
			text[strlen(text) / 2] = '\0';
			memory_write(record, text);
			break;
		case 4: { /* written for another key (another configuration) */
			char *key = strstr(text, "key ") + 4;
			key[0] = key[0] == 'a' ? 'b' : 'a';
			memory_write(record, text);
			break;
		}
		case 6: /* a directory others may enter */
			snprintf(moved, sizeof(moved), "%s/run", memory.dir);
			assert_int_equal(chmod(moved, 0755), 0);
			break;
		case 7: /* a directory of another user's */
			snprintf(moved, sizeof(moved), "%s/run", memory.dir);
			assert_int_equal(chown(moved, 65534, 65534), 0);
			break;
		case 5: { /* a field named twice */
			char twice[8300];
			snprintf(twice, sizeof(twice), "%ssub mallory\n", text);
			memory_write(record, twice);
			break;
		}
		}
		free(text);
		struct login_run run;
		configure(&run, "remember=600", memory.remember_dir, NULL);
		assert_asks_again(&memory, &run, 2);
		assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
		if (damage >= 6)
			assert_contains(fake_log(), "remembered approvals unavailable");
		memory_dir_remove(&memory);
	}
}

/* A burst: another login holds the key (the test plays it), shows a code and ends. */
struct burst_play {
	struct memory_dir *memory;
	int lock_fd;
	const char *outcome;
	int sleeps;
	int end_after;     /* sleeps; 0: never */
	bool stale_record; /* the leader's end note, but the record is an older burst's */
};

static void burst_end(void *data)
{
	struct burst_play *play = data;
	if (++play->sleeps != play->end_after)
		return;
	char record[256], end[300];
	memory_entry(play->memory, ".approval", record, sizeof(record));
	/* The leader's approval: the record, marked with its burst. */
	char *text = memory_read(record), *burst = strstr(text, "burst ");
	assert_non_null(burst);
	if (!play->stale_record)
		memcpy(burst + 6, "0123456789abcdef0123456789abcdef", 32);
	memory_write(record, text);
	free(text);
	snprintf(end, sizeof(end), "%.*s.end", (int)(strlen(record) - strlen(".approval")), record);
	char note[256];
	snprintf(note, sizeof(note), "pam_oauth2 burst-end 1\nid 0123456789abcdef0123456789abcdef\noutcome %s\n",
		 play->outcome);
	memory_write(end, note);
	close(play->lock_fd);
	play->lock_fd = -1;
}

static void burst_begin(struct memory_dir *memory, struct burst_play *play, const char *outcome, int end_after)
{
	static const struct fake_reply first[] = { { GRANTED } };
	remembered_first_login(memory, first);
	char record[256], lock[300], wait[300];
	memory_entry(memory, ".approval", record, sizeof(record));
	size_t stem = strlen(record) - strlen(".approval");
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)stem, record);
	snprintf(wait, sizeof(wait), "%.*s.wait", (int)stem, record);
	*play = (struct burst_play){ .memory = memory, .outcome = outcome, .end_after = end_after };
	play->lock_fd = open(lock, O_RDWR);
	assert_true(play->lock_fd >= 0);
	assert_int_equal(flock(play->lock_fd, LOCK_EX | LOCK_NB), 0);
	memory_write(wait, "pam_oauth2 burst-wait 1\nid 0123456789abcdef0123456789abcdef\nuser_code WXYZ-2345\n"
			   "verification_uri https://idp.test/device\nverification_uri_complete -\n");
	fake_on_sleep(burst_end, play);
	/* Old enough that it is no longer reused by itself: only the burst's approval counts. */
	fake_advance_ms(601 * 1000);
}

static void test_remember_a_burst_waits_for_the_approval_shown_elsewhere(void **state)
{
	(void)state;
	struct memory_dir memory;
	struct burst_play play;
	memory_dir_create(&memory);
	burst_begin(&memory, &play, "approved", 10);
	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, "burst=yes");
	assert_int_equal(fake_request_count(), before); /* it never asked the IdP */
	assert_contains(fake_shown(), "Another login of yours with the same key is waiting for this approval");
	assert_contains(fake_shown(), "WXYZ-2345");
	assert_string_equal(run.identity.sub, "alice");
	fake_on_sleep(NULL, NULL);
	memory_dir_remove(&memory);
}

static void test_remember_a_denial_denies_the_whole_burst(void **state)
{
	(void)state;
	struct memory_dir memory;
	struct burst_play play;
	memory_dir_create(&memory);
	burst_begin(&memory, &play, "denied", 3);
	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, "the login this one waited for (same key) ended: denied");
	assert_int_equal(fake_request_count(), before);
	fake_on_sleep(NULL, NULL);
	memory_dir_remove(&memory);
}

/* An end note names its burst: neither an earlier burst's note nor a record another burst
 * wrote stands in for the approval this login waited for. */
static void test_remember_a_burst_takes_only_its_own_outcome(void **state)
{
	(void)state;
	struct memory_dir memory;
	struct burst_play play;
	memory_dir_create(&memory);
	burst_begin(&memory, &play, "approved", 5);
	char record[256], end[300];
	memory_entry(&memory, ".approval", record, sizeof(record));
	snprintf(end, sizeof(end), "%.*s.end", (int)(strlen(record) - strlen(".approval")), record);
	memory_write(end, "pam_oauth2 burst-end 1\nid ffffffffffffffffffffffffffffffff\noutcome denied\n");
	play.stale_record = true;
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	static const struct fake_reply grant[] = { { GRANTED } };
	fake_route(TOKEN_URL, grant, 1);
	run_login(&run);
	/* Not the old denial, not the old record: once the key was free it asked itself. */
	assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
	assert_lacks(run.reason, "burst=yes");
	assert_int_equal(fake_requests_to(DEVICE_URL), 2);
	fake_on_sleep(NULL, NULL);
	memory_dir_remove(&memory);
}

static void test_remember_a_burst_waits_no_longer_than_its_timeout(void **state)
{
	(void)state;
	struct memory_dir memory;
	struct burst_play play;
	memory_dir_create(&memory);
	burst_begin(&memory, &play, "approved", 0);
	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, "timeout=30", NULL);
	int64_t start = fake_now_ms();
	run_login(&run);
	assert_result(&run, LOGIN_EXPIRED, "waited for the approval of another login with the same key");
	assert_int_equal(fake_request_count(), before);
	assert_true(fake_now_ms() - start <= 31 * 1000);
	close(play.lock_fd);
	fake_on_sleep(NULL, NULL);
	memory_dir_remove(&memory);
}

/* ---- remembered approvals: the cases of the hostile review (each failed before its fix) ---- */

static size_t memory_entries(const struct memory_dir *memory, const char *suffix)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/run", memory->dir);
	size_t n = 0;
	DIR *listing = opendir(dir);
	if (listing == NULL)
		return 0;
	for (struct dirent *entry; (entry = readdir(listing)) != NULL;) {
		size_t len = strlen(entry->d_name);
		if (entry->d_name[0] != '.' && len > strlen(suffix) &&
		    strcmp(entry->d_name + len - strlen(suffix), suffix) == 0)
			n++;
	}
	closedir(listing);
	return n;
}

struct forget_play {
	const struct oauth2_config *config;
	int dropped;
};

/* The admin runs pam_oauth2-check --forget-all while the refresh request is in flight. */
static void forget_all_now(const struct fake_request *request, void *data)
{
	(void)request;
	struct forget_play *forget = data;
	const char *why = NULL;
	forget->dropped = login_remember_forget(forget->config, NULL, -1, &why);
}

/* sshd with keyboard-interactive alone sets SSH_AUTH_INFO_0 to "": such a key would be
 * (service, user, PAM_RHOST, "ssh"), shared by anyone connecting as alice from the same
 * address (NAT, VPN egress, jump host, ProxyJump, localhost). Never remembered. */
static void test_remember_needs_the_client_key_for_a_remote_login(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } }, refreshed[] = { { REFRESHED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	run.context.rhost = "192.0.2.10"; /* the jump host */
	run.context.tty = "ssh";
	run.context.auth_info = "";
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	/* Another person on the jump host: ssh alice@target, a different client, no key. */
	configure(&run, "remember=600", memory.remember_dir, NULL);
	run.context.rhost = "192.0.2.10";
	run.context.tty = "ssh";
	run.context.auth_info = "";
	fake_route(TOKEN_URL, refreshed, 1);
	run_login(&run);
	print_message("# the other client: %s (%s)\n", result_name(run.result), run.reason);
	assert_lacks(run.reason, "remembered");
	memory_dir_remove(&memory);
}

/* --forget while a revalidation is in flight holds: the leader does not write the record
 * back over the forgetting. */
static void test_remember_forget_during_a_revalidation_holds(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } }, refreshed[] = { { REFRESHED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	struct forget_play forget = { .config = &run.config };
	fake_route(TOKEN_URL, refreshed, 1);
	fake_on_request(TOKEN_URL, forget_all_now, &forget);
	run.result = login_flow_run(NULL, &run.config, &run.context, &run.identity, run.reason, sizeof(run.reason));
	fake_on_request(TOKEN_URL, NULL, NULL);
	assert_int_equal(forget.dropped, 1);
	/* After --forget-all said "dropped 1", no record may be left. */
	assert_int_equal(memory_entries(&memory, ".approval"), 0);
	oauth2_config_free(&run.config);
	memory_dir_remove(&memory);
}

/* Under su (and sudo with targetpw/rootpw) the PAM user is the target (root): --forget alice
 * must drop what alice asked for as the caller too. */
static void test_remember_forget_user_drops_what_they_asked_for_as_caller(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	const char *map = map_file("alice root\n");
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, map, NULL);
	run.context.user = "root";
	run.context.service = "su";
	run.context.tty = "/dev/pts/3";
	run.context.caller_uid = 1000;
	run.context.caller_session = "tty=34819 sid=4242 start=777";
	run.context.caller_can_interrupt = true;
	run.context.user_is_superuser = true;
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run.result = login_flow_run(NULL, &run.config, &run.context, &run.identity, run.reason, sizeof(run.reason));
	assert_result(&run, LOGIN_APPROVED, NULL);
	const char *why = NULL;
	/* The admin revokes alice (she left): pam_oauth2-check --forget alice. */
	int dropped = login_remember_forget(&run.config, "alice", 1000, &why);
	oauth2_config_free(&run.config);
	assert_int_equal(dropped, 1);
	memory_dir_remove(&memory);
}

/* Logins that leave no record leave no files: an unauthenticated client naming a new user
 * per connection, or a client from many addresses, cannot fill /run. */
static void test_remember_logins_without_a_record_leave_no_files(void **state)
{
	(void)state;
	static const struct fake_reply down[] = { { .status = 503, .body = "busy" } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	for (int i = 0; i < 50; i++) {
		char user[32];
		snprintf(user, sizeof(user), "nosuchuser%d", i);
		struct login_run run;
		configure(&run, "remember=600", memory.remember_dir, NULL);
		run.context.user = user;
		run.context.rhost = "198.51.100.7";
		fake_route(DEVICE_URL, down, 1);
		run_login(&run);
		assert_result(&run, LOGIN_IDP_UNAVAILABLE, NULL);
	}
	print_message("# after 50 failed logins: %zu .lock, %zu .end, %zu .wait, %zu .approval\n",
		      memory_entries(&memory, ".lock"), memory_entries(&memory, ".end"),
		      memory_entries(&memory, ".wait"), memory_entries(&memory, ".approval"));
	assert_true(memory_entries(&memory, ".lock") + memory_entries(&memory, ".end") < 10);
	/* A local user with a key, from fifty addresses: nothing is left either (the lock goes
	 * with its login when no record remains; no end note without a waiting login). */
	for (int i = 0; i < 50; i++) {
		char rhost[32];
		snprintf(rhost, sizeof(rhost), "198.51.100.%d", i + 10);
		struct login_run run;
		configure(&run, "remember=600", memory.remember_dir, NULL);
		run.context.rhost = rhost;
		run.context.auth_info = "publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey\n";
		fake_route(DEVICE_URL, down, 1);
		run_login(&run);
		assert_result(&run, LOGIN_IDP_UNAVAILABLE, NULL);
	}
	assert_int_equal(memory_entries(&memory, ".lock") + memory_entries(&memory, ".end") +
			     memory_entries(&memory, ".wait") + memory_entries(&memory, ".approval"),
			 0);
	memory_dir_remove(&memory);
}

/* A refresh_token that is null, "" or over 8192 bytes never refuses an approved login
 * (remember off): it is no refresh token to us, nothing more. */
static void test_an_odd_refresh_token_never_refuses_a_login(void **state)
{
	(void)state;
	static char big[9400];
	snprintf(big, sizeof(big),
		 "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","
		 "\"refresh_token\":\"%09000d\"}",
		 7);
	static const struct fake_reply answers[][1] = {
		{ { .status = 200,
		    .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","
			    "\"refresh_token\":null}" } },
		{ { .status = 200,
		    .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","
			    "\"refresh_token\":\"\"}" } },
		{ { .status = 200, .body = big } },
	};
	int refused = 0;
	for (size_t i = 0; i < 3; i++) {
		fake_reset();
		struct login_run run;
		configure(&run, NULL);
		fake_route(DEVICE_URL, device_ok, 1);
		fake_route(TOKEN_URL, answers[i], 1);
		fake_route(USERINFO_URL, userinfo_alice, 1);
		run_login(&run);
		print_message("# refresh_token %s: %s (%s)\n",
			      i == 0   ? "null"
			      : i == 1 ? "\"\""
				       : "of 9000 bytes",
			      result_name(run.result), run.reason);
		refused += run.result != LOGIN_APPROVED;
	}
	assert_int_equal(refused, 0);
}

/* A refresh token the IdP did issue, but with a byte outside 0x21-0x7e (a space is VSCHAR,
 * RFC 6749 A.17), cannot be stored: the approval is not remembered at all, rather than
 * silently reused on its age alone. */
static void test_remember_an_unstorable_refresh_token_is_not_remembered(void **state)
{
	(void)state;
	static const struct fake_reply first[] = {
		{ .status = 200,
		  .body = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"scope\":\"openid profile\","
			  "\"refresh_token\":\"rt with space\"}" }
	};
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	size_t before = fake_request_count();
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	static const struct fake_reply again[] = { { GRANTED } };
	fake_route(TOKEN_URL, again, 1);
	run_login(&run);
	print_message("# %s (%s), requests %zu\n", result_name(run.result), run.reason, fake_request_count() - before);
	assert_lacks(run.reason, "time only");
	memory_dir_remove(&memory);
}

/* A rotated-away refresh token is never sent again (oidc-provider revokes the grant when it
 * comes back): a refresh that rotates (rt-first -> rt-second) but fails the checks, then a
 * local end of the login (Ctrl-C at the new code), drops the record. */
static void test_remember_a_rotated_away_refresh_token_is_never_sent_again(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	static const struct fake_reply rotated_narrowed[] = {
		{ .status = 200,
		  .body = "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\",\"scope\":\"openid\","
			  "\"refresh_token\":\"rt-second-0815\"}" },
	};
	struct memory_dir memory;
	memory_dir_create(&memory);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, "require_scope=profile", NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	configure(&run, "remember=600", memory.remember_dir, "require_scope=profile", NULL);
	fake_route(TOKEN_URL, rotated_narrowed, 1);
	fake_conversation_fails(PAM_CONV_ERR);
	run_login(&run);
	fake_conversation_fails(PAM_SUCCESS);
	assert_result(&run, LOGIN_CONV_ERROR, NULL);
	size_t before = fake_requests_to(TOKEN_URL);
	configure(&run, "remember=600", memory.remember_dir, "require_scope=profile", NULL);
	run_login(&run);
	const struct fake_request *third = fake_request_to(TOKEN_URL, before);
	assert_non_null(third);
	print_message("# third login's first token request: %s\n", third->body);
	assert_lacks(third->body, "refresh_token=rt-first-4711");
	memory_dir_remove(&memory);
}

/* Raising remember (or turning it off and on) revives no approval made under a shorter
 * window: the record keeps the window it was approved under. */
static void test_remember_raising_the_window_revives_nothing(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	struct login_run run;
	configure(&run, "remember=60", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo_alice, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	fake_advance_ms(3600 * 1000); /* an hour later the admin sets remember = 28800 */
	configure(&run, "remember=28800", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	static const struct fake_reply again[] = { { GRANTED } };
	fake_route(TOKEN_URL, again, 1);
	run_login(&run);
	print_message("# %s (%s)\n", result_name(run.result), run.reason);
	assert_lacks(run.reason, "remembered");
	memory_dir_remove(&memory);
}

/* A 256-byte sub is kept whole in the record, so its revalidation matches. */
static void test_remember_a_long_sub_revalidates(void **state)
{
	(void)state;
	static char body[600];
	char sub[257];
	memset(sub, 's', 256);
	sub[256] = '\0';
	snprintf(body, sizeof(body), "{\"sub\":\"%s\",\"preferred_username\":\"alice\"}", sub);
	static const struct fake_reply first[] = { { GRANTED_RT } }, refreshed[] = { { REFRESHED } };
	static struct fake_reply userinfo[1];
	userinfo[0] = (struct fake_reply){ .status = 200, .body = body };
	struct memory_dir memory;
	memory_dir_create(&memory);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, first, 1);
	fake_route(USERINFO_URL, userinfo, 1);
	run_login(&run);
	assert_result(&run, LOGIN_APPROVED, NULL);
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_route(TOKEN_URL, refreshed, 1);
	run_login(&run);
	print_message("# %s (%.120s)\n", result_name(run.result), run.reason);
	assert_result(&run, LOGIN_APPROVED, "remembered");
	memory_dir_remove(&memory);
}

/* A setuid caller without a controlling terminal (sudo from cron, su < file) has nothing to
 * bind an approval to but a PAM_TTY it chooses itself: never remembered. */
static void test_remember_needs_a_session_for_a_setuid_caller(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	for (int round = 0; round < 2; round++) {
		struct login_run run;
		configure(&run, "remember=600", memory.remember_dir, NULL);
		run.context.service = "sudo";
		run.context.tty = "/dev/pts/3";
		run.context.caller_uid = 1000;
		run.context.caller_can_interrupt = true;
		fake_route(DEVICE_URL, device_ok, 1);
		fake_route(TOKEN_URL, first, 1);
		fake_route(USERINFO_URL, userinfo_alice, 1);
		run_login(&run);
		assert_result(&run, LOGIN_APPROVED, "preferred_username='alice'");
		assert_int_equal(fake_requests_to(DEVICE_URL), (size_t)round + 1);
	}
	assert_contains(fake_log(), "remember off for this login: the caller has no controlling terminal");
	assert_int_equal(memory_entries(&memory, ".approval"), 0);
	memory_dir_remove(&memory);
}

/* The caller's umask (su passes it through) never decides the modes. */
static void test_remember_modes_ignore_the_umask(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED_RT } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	mode_t old = umask(0777);
	remembered_first_login(&memory, first);
	umask(old);
	char record[256], dir[128];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/run", memory.dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	memory_entry(&memory, ".approval", record, sizeof(record));
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	memory_dir_remove(&memory);
}

/* "A denial removes the record": a record too old to reuse, then a denied new code. */
static void test_remember_a_denial_removes_the_record(void **state)
{
	(void)state;
	static const struct fake_reply first[] = { { GRANTED } };
	static const struct fake_reply denied[] = { { .status = 400, .body = "{\"error\":\"access_denied\"}" } };
	struct memory_dir memory;
	memory_dir_create(&memory);
	remembered_first_login(&memory, first);
	assert_int_equal(memory_entries(&memory, ".approval"), 1);
	struct login_run run;
	configure(&run, "remember=600", memory.remember_dir, NULL);
	fake_advance_ms(700 * 1000);
	fake_route(DEVICE_URL, device_ok, 1);
	fake_route(TOKEN_URL, denied, 1);
	run_login(&run);
	assert_result(&run, LOGIN_DENIED, NULL);
	assert_int_equal(memory_entries(&memory, ".approval"), 0);
	memory_dir_remove(&memory);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_approved_login_polls_once_after_the_interval, setup),
		cmocka_unit_test_setup(test_pending_polls_keep_the_interval, setup),
		cmocka_unit_test_setup(test_slow_down_adds_five_seconds_for_good, setup),
		cmocka_unit_test_setup(test_a_poll_timeout_backs_off_and_polls_again, setup),
		cmocka_unit_test_setup(test_a_token_endpoint_that_keeps_timing_out_is_an_outage, setup),
		cmocka_unit_test_setup(test_denial_and_expiry_end_polling, setup),
		cmocka_unit_test_setup(test_the_code_expiring_ends_polling_unapproved, setup),
		cmocka_unit_test_setup(test_the_login_deadline_cuts_the_last_poll_as_an_expiry, setup),
		cmocka_unit_test_setup(test_a_poll_the_deadline_cuts_short_is_an_expiry_not_an_outage, setup),
		cmocka_unit_test_setup(test_identity_requests_cut_by_the_deadline_are_expiries, setup),
		cmocka_unit_test_setup(test_an_unreachable_idp_is_an_outage, setup),
		cmocka_unit_test_setup(test_under_a_setuid_caller_an_outage_is_a_denial, setup),
		cmocka_unit_test_setup(test_server_errors_before_approval_are_outages, setup),
		cmocka_unit_test_setup(test_after_a_200_every_failure_is_a_refusal, setup),
		cmocka_unit_test_setup(test_identity_unavailable_after_approval_is_a_refusal, setup),
		cmocka_unit_test_setup(test_the_idp_refusing_our_client_is_a_configuration_error, setup),
		cmocka_unit_test_setup(test_another_oauth_error_is_a_refusal, setup),
		cmocka_unit_test_setup(test_a_malformed_device_answer_is_an_outage, setup),
		cmocka_unit_test_setup(test_a_failed_conversation_is_a_conversation_error, setup),
		cmocka_unit_test_setup(test_basic_and_post_clients_send_their_secret_their_way, setup),
		cmocka_unit_test_setup(test_a_required_scope_must_be_granted, setup),
		cmocka_unit_test_setup(test_a_response_without_scope_granted_what_was_asked, setup),
		cmocka_unit_test_setup(test_introspection_is_authoritative_for_scopes, setup),
		cmocka_unit_test_setup(test_another_identity_approving_is_not_authorized, setup),
		cmocka_unit_test_setup(test_only_visible_ascii_is_exported, setup),
		cmocka_unit_test_setup(test_userinfo_refusing_the_token_is_a_refusal, setup),
		cmocka_unit_test_setup(test_an_email_identity_needs_email_verified, setup),
		cmocka_unit_test_setup(test_case_folding_never_reaches_a_superuser, setup),
		cmocka_unit_test_setup(test_a_required_group_must_be_present, setup),
		cmocka_unit_test_setup(test_identity_from_a_verified_id_token_needs_no_userinfo, setup),
		cmocka_unit_test_setup(test_an_id_token_the_idp_did_not_sign_is_refused, setup),
		cmocka_unit_test_setup(test_an_id_token_for_another_audience_is_refused, setup),
		cmocka_unit_test_setup(test_an_id_token_without_sub_is_refused, setup),
		cmocka_unit_test_setup(test_an_id_token_must_be_one_and_say_when_it_was_issued, setup),
		cmocka_unit_test_setup(test_auto_hands_over_to_userinfo_whose_sub_must_agree, setup),
		cmocka_unit_test_setup(test_an_unknown_kid_fetches_the_keys_again_once, setup),
		cmocka_unit_test_setup(test_keys_that_cannot_be_fetched_after_approval_are_a_refusal, setup),
		cmocka_unit_test_setup(test_discovery_for_another_issuer_is_a_configuration_error, setup),
		cmocka_unit_test_setup(test_discovery_falls_back_to_rfc8414, setup),
		cmocka_unit_test_setup(test_a_jwt_access_token_is_checked_as_rfc_9068_says, setup),
		cmocka_unit_test_setup(test_github_answers_every_poll_with_200_and_names_users_by_number, setup),
		cmocka_unit_test_setup(test_oauth_errors_count_whatever_their_status, setup),
		cmocka_unit_test_setup(test_a_200_that_is_an_oauth_error_is_no_approval, setup),
		cmocka_unit_test_setup(test_auth0_pending_as_403_and_slow_down_as_429_with_retry_after, setup),
		cmocka_unit_test_setup(test_google_verification_url_and_expanded_scopes, setup),
		cmocka_unit_test_setup(test_zitadel_roles_object_names_the_groups, setup),
		cmocka_unit_test_setup(test_mfa_required_and_present_is_granted, setup),
		cmocka_unit_test_setup(test_a_password_alone_is_refused_when_mfa_is_required, setup),
		cmocka_unit_test_setup(test_the_amr_rule_reads_the_id_token_whatever_names_the_user, setup),
		cmocka_unit_test_setup(test_acr_must_be_one_of_require_acr, setup),
		cmocka_unit_test_setup(test_an_old_sign_in_is_refused_and_a_fresh_one_asked_for, setup),
		cmocka_unit_test_setup(test_four_eyes_a_member_of_the_approver_group_completes_the_login, setup),
		cmocka_unit_test_setup(test_four_eyes_the_requester_cannot_approve_their_own_second_code, setup),
		cmocka_unit_test_setup(test_four_eyes_a_non_member_cannot_approve, setup),
		cmocka_unit_test_setup(test_four_eyes_the_approver_passes_the_same_trust_checks, setup),
		cmocka_unit_test_setup(test_four_eyes_a_second_denial_or_expiry_denies, setup),
		cmocka_unit_test_setup(test_four_eyes_an_outage_after_the_first_approval_is_a_refusal, setup),
		cmocka_unit_test_setup(test_remember_reuses_an_approval_with_one_refresh, setup),
		cmocka_unit_test_setup(test_remember_without_a_refresh_token_is_time_only, setup),
		cmocka_unit_test_setup(test_remember_asks_again_after_the_window, setup),
		cmocka_unit_test_setup(test_remember_never_crosses_a_key, setup),
		cmocka_unit_test_setup(test_remember_a_revoked_grant_asks_again_and_drops_the_record, setup),
		cmocka_unit_test_setup(test_remember_an_explicit_denial_at_revalidation_denies, setup),
		cmocka_unit_test_setup(test_remember_a_refreshed_token_for_someone_else_is_refused, setup),
		cmocka_unit_test_setup(test_remember_a_removed_scope_asks_again_and_is_refused, setup),
		cmocka_unit_test_setup(test_remember_an_outage_at_revalidation_never_grants, setup),
		cmocka_unit_test_setup(test_remember_ignores_records_it_cannot_trust, setup),
		cmocka_unit_test_setup(test_remember_a_burst_waits_for_the_approval_shown_elsewhere, setup),
		cmocka_unit_test_setup(test_remember_a_denial_denies_the_whole_burst, setup),
		cmocka_unit_test_setup(test_remember_a_burst_takes_only_its_own_outcome, setup),
		cmocka_unit_test_setup(test_remember_a_burst_waits_no_longer_than_its_timeout, setup),
		cmocka_unit_test_setup(test_remember_needs_the_client_key_for_a_remote_login, setup),
		cmocka_unit_test_setup(test_remember_forget_during_a_revalidation_holds, setup),
		cmocka_unit_test_setup(test_remember_forget_user_drops_what_they_asked_for_as_caller, setup),
		cmocka_unit_test_setup(test_remember_logins_without_a_record_leave_no_files, setup),
		cmocka_unit_test_setup(test_an_odd_refresh_token_never_refuses_a_login, setup),
		cmocka_unit_test_setup(test_remember_an_unstorable_refresh_token_is_not_remembered, setup),
		cmocka_unit_test_setup(test_remember_a_rotated_away_refresh_token_is_never_sent_again, setup),
		cmocka_unit_test_setup(test_remember_raising_the_window_revives_nothing, setup),
		cmocka_unit_test_setup(test_remember_a_long_sub_revalidates, setup),
		cmocka_unit_test_setup(test_remember_needs_a_session_for_a_setuid_caller, setup),
		cmocka_unit_test_setup(test_remember_modes_ignore_the_umask, setup),
		cmocka_unit_test_setup(test_remember_a_denial_removes_the_record, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
