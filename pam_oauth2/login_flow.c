#include "config.h"

#include "login_flow.h"

#include "login_state.h"

#include "auth_log.h"
#include "device_authorization.h"
#include "device_poll.h"
#include "form_encode.h"
#include "http_client.h"
#include "pam_conversation.h"
#include "strbuf.h"
#include "token_response.h"

#include <errno.h>
#include <security/_pam_types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEVICE_CODE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define ENTER_PROMPT "Press Enter after approving: "

int64_t login_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps without signals or timers of our own; an interrupted sleep resumes. */
static void sleep_ms(int64_t ms)
{
	struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

enum login_result login_fail(struct login *login, enum login_result result, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(login->reason, login->reason_size, format, args);
	va_end(args);
	return result;
}

void login_debug(struct login *login, const char *format, ...)
{
	if (!login->config->debug)
		return;
	char line[512];
	va_list args;
	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	auth_log(login->pamh, LOG_DEBUG, "%s", line);
}

/* A request may take http_timeout, but never run past the login's deadline. */
long login_request_timeout_ms(const struct login *login)
{
	int64_t left = login->deadline_ms - login_now_ms();
	int64_t limit = (int64_t)login->config->http_timeout * 1000;
	if (left < limit)
		limit = left;
	return limit > 0 ? (long)limit : 1;
}

/* Client authentication fields for a form body (RFC 6749 §2.3): a public client names
 * itself, a "post" client adds its secret; a "basic" client uses the header instead. */
int login_append_client_fields(const struct login *login, struct strbuf *body)
{
	const struct oauth2_config *config = login->config;
	if (config->client_auth == CLIENT_AUTH_BASIC)
		return 0;
	if (form_append_field(body, "client_id", config->client_id) != 0)
		return -1;
	if (config->client_auth == CLIENT_AUTH_POST)
		return form_append_field(body, "client_secret", config->client_secret);
	return 0;
}

enum login_result login_transport_failure(struct login *login, const char *what, enum http_status status,
					  const char *error)
{
	static const char *const kinds[] = {
		[HTTP_DONE] = "done",           [HTTP_TIMEOUT] = "timed out",        [HTTP_UNREACHABLE] = "unreachable",
		[HTTP_TLS_ERROR] = "TLS error", [HTTP_TOO_LARGE] = "body too large", [HTTP_FAILED] = "failed",
	};
	return login_fail(login, LOGIN_IDP_UNAVAILABLE, "%s: %s (%s)", what, kinds[status], error);
}

/* The IdP refused our request outright: our client, or the IdP, is misconfigured. */
static enum login_result refused_request(struct login *login, const char *what, const struct http_response *response)
{
	struct oauth_error error;
	if (response->status_code >= 500 || response->status_code == 429 ||
	    !oauth_error_parse(response->body.data, response->body.len, &error))
		return login_fail(login, LOGIN_IDP_UNAVAILABLE, "%s: HTTP %ld", what, response->status_code);
	return login_fail(login, LOGIN_CONFIG_ERROR, "%s refused: HTTP %ld error=%s description=\"%s\"", what,
			  response->status_code, error.code, error.description);
}

/* Step 1: RFC 8628 §3.1-3.2. */
static enum login_result request_device_code(struct login *login, struct device_authorization *auth)
{
	const struct oauth2_config *config = login->config;
	struct strbuf body;
	struct http_response response;
	char error[256];
	strbuf_init(&body, 0);
	/* RFC 8707: naming the resource makes the IdP issue a JWT access token for that audience. */
	if (login_append_client_fields(login, &body) != 0 || form_append_field(&body, "scope", config->scope) != 0 ||
	    (config->audience != NULL && form_append_field(&body, "resource", config->audience) != 0)) {
		strbuf_wipe_free(&body);
		return login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
	}
	login_debug(login, "device authorization request to %s", login->device_authorization_endpoint);
	enum http_status status =
	    http_post_form(login->http, login->device_authorization_endpoint, body.data, login->client_authorization,
			   login_request_timeout_ms(login), &response, error, sizeof(error));
	strbuf_wipe_free(&body);
	enum login_result result = LOGIN_APPROVED;
	const char *why;
	if (status != HTTP_DONE)
		result = login_transport_failure(login, "device authorization", status, error);
	else if (response.status_code != 200)
		result = refused_request(login, "device authorization", &response);
	else if (device_authorization_parse(response.body.data, response.body.len, auth, &why) != 0)
		result = login_fail(login, LOGIN_IDP_UNAVAILABLE, "device authorization response: %s", why);
	http_response_clear(&response);
	return result;
}

/* Step 2: show what is being approved and how; in prompt=enter mode wait for Enter. */
static enum login_result show_code(struct login *login, const struct device_authorization *auth)
{
	struct line_list lines, messages;
	line_list_init(&lines);
	line_list_init(&messages);
	enum login_result result = LOGIN_APPROVED;
	/* PAM_MAX_MSG_SIZE counts the NUL. The code is shown even under PAM_SILENT:
	 * without it no login can succeed (sudo passes PAM_SILENT by default). */
	if (login_display_render(login->context, auth, (enum qr_mode)login->config->qr, &lines) != 0 ||
	    login_display_pack(&lines, PAM_MAX_MSG_SIZE - 1, &messages) != 0) {
		result = login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
		goto done;
	}
	int rc = conversation_show_info(login->pamh, &messages);
	if (rc == PAM_SUCCESS && login->config->prompt == PROMPT_ENTER)
		rc = conversation_wait_for_enter(login->pamh, ENTER_PROMPT);
	if (rc != PAM_SUCCESS)
		result = login_fail(login, rc == PAM_BUF_ERR ? LOGIN_SYSTEM_ERROR : LOGIN_CONV_ERROR,
				    "conversation failed: %s", pam_strerror(login->pamh, rc));
done:
	line_list_free(&lines);
	line_list_free(&messages);
	return result;
}

/* Step 3: RFC 8628 §3.4-3.5, until the first final answer. */
static enum login_result poll_for_token(struct login *login, const struct device_authorization *auth,
					int64_t issued_at_ms, struct token_grant *grant)
{
	const struct oauth2_config *config = login->config;
	struct strbuf body;
	strbuf_init(&body, 0);
	if (form_append_field(&body, "grant_type", DEVICE_CODE_GRANT) != 0 ||
	    form_append_field(&body, "device_code", auth->device_code) != 0 ||
	    login_append_client_fields(login, &body) != 0) {
		strbuf_wipe_free(&body);
		return login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
	}
	struct device_poll poll;
	device_poll_start(&poll, issued_at_ms, auth->interval, auth->expires_in, login->deadline_ms);
	enum login_result result;
	for (unsigned polls = 1;; polls++) {
		int64_t wait_ms;
		if (device_poll_next_action(&poll, login_now_ms(), &wait_ms) == POLL_ACTION_GIVE_UP) {
			result =
			    poll.last_was_timeout
				? login_fail(login, LOGIN_IDP_UNAVAILABLE, "token endpoint kept timing out")
				: login_fail(login, LOGIN_EXPIRED, "not approved before the code expired or timeout");
			break;
		}
		sleep_ms(wait_ms);
		struct http_response response;
		struct oauth_error error;
		char transport_error[256];
		const char *why;
		long timeout_ms = login_request_timeout_ms(login);
		enum http_status status =
		    http_post_form(login->http, login->token_endpoint, body.data, login->client_authorization,
				   timeout_ms, &response, transport_error, sizeof(transport_error));
		/* A 200 means someone approved, whatever went wrong after the status line (a body
		 * over the cap, a reset, a timeout): a refusal, never an outage, or an approver's
		 * account could shape its answer to reach an "authinfo_unavail=ignore" fallback. */
		if (status != HTTP_DONE && response.status_code == 200) {
			http_response_clear(&response);
			result =
			    login_fail(login, LOGIN_TOKEN_INVALID, "token endpoint: HTTP 200, but the answer %s (%s)",
				       status == HTTP_TOO_LARGE ? "was too large" : "was cut short", transport_error);
			break;
		}
		/* A poll that the login's own deadline cut short says nothing about the IdP: the
		 * time is up, which is an expiry. Calling it an outage would hand the login to an
		 * "authinfo_unavail=ignore" fallback to anyone who presses Enter just before the
		 * deadline. */
		if (status == HTTP_TIMEOUT && timeout_ms < config->http_timeout * 1000L) {
			http_response_clear(&response);
			result = login_fail(login, LOGIN_EXPIRED, "not approved before the login's timeout");
			break;
		}
		if (status == HTTP_TIMEOUT) {
			http_response_clear(&response);
			device_poll_record(&poll, POLL_EVENT_TIMEOUT, login_now_ms());
			login_debug(login, "poll %u timed out; polling every %lld ms now", polls,
				    (long long)poll.interval_ms);
			continue;
		}
		if (status != HTTP_DONE) {
			http_response_clear(&response);
			result = login_transport_failure(login, "token request", status, transport_error);
			break;
		}
		enum token_outcome outcome = token_response_classify(response.status_code, response.body.data,
								     response.body.len, grant, &error, &why);
		long http_code = response.status_code;
		http_response_clear(&response);
		if (outcome == TOKEN_PENDING || outcome == TOKEN_SLOW_DOWN) {
			device_poll_record(&poll, outcome == TOKEN_PENDING ? POLL_EVENT_PENDING : POLL_EVENT_SLOW_DOWN,
					   login_now_ms());
			login_debug(login, "poll %u: %s; next in %lld ms", polls, error.code,
				    (long long)poll.interval_ms);
			continue;
		}
		switch (outcome) {
		case TOKEN_GRANTED:
			login_debug(login, "poll %u: token granted", polls);
			result = LOGIN_APPROVED;
			break;
		case TOKEN_DENIED:
			result = login_fail(login, LOGIN_DENIED, "access_denied at the IdP");
			break;
		case TOKEN_EXPIRED:
			result = login_fail(login, LOGIN_EXPIRED, "device code expired (%s)", error.code);
			break;
		case TOKEN_CLIENT_REJECTED:
			result = login_fail(login, LOGIN_CONFIG_ERROR,
					    "token endpoint refused the client: error=%s "
					    "description=\"%s\"",
					    error.code, error.description);
			break;
		case TOKEN_REJECTED:
			result = login_fail(login, LOGIN_REFUSED_BY_IDP, "token endpoint error=%s description=\"%s\"",
					    error.code, error.description);
			break;
		default:
			/* A 200 means someone approved: a grant we cannot use is a refusal, not an
			 * outage (the approver's account could shape it to reach a fallback). */
			result = login_fail(login, http_code == 200 ? LOGIN_TOKEN_INVALID : LOGIN_IDP_UNAVAILABLE,
					    "token endpoint: HTTP %ld, %s", http_code,
					    why != NULL ? why : "unexpected answer");
			break;
		}
		break; /* RFC 8628 §3.5: any answer but pending or slow_down ends polling. */
	}
	strbuf_wipe_free(&body);
	return result;
}

/* Fail closed (README, "Outages and fallbacks"): an outage is reported as one only where
 * nobody present could have caused it. Under a setuid caller (real uid not root: sudo,
 * su, pkexec) the invoking user can stop the process (SIGSTOP is not blocked) for longer
 * than http_timeout during any request, and resume it: curl then reports a timeout. */
static enum login_result withhold_outage(struct login *login, enum login_result result)
{
	if (result != LOGIN_IDP_UNAVAILABLE || !login->context->caller_can_interrupt)
		return result;
	char outage[256];
	snprintf(outage, sizeof(outage), "%s", login->reason);
	return login_fail(login, LOGIN_UNAVAILABLE_REFUSED,
			  "%s; outage code withheld: the caller runs for another user (real uid not root), "
			  "who could have caused it",
			  outage);
}

/* Sets up what every use of the flow needs: the HTTP client (one connection for the
 * whole login) and the client's Basic credentials. */
static enum login_result login_begin(struct login *login, pam_handle_t *pamh, const struct oauth2_config *config,
				     const struct login_context *context, struct login_identity *identity, char *reason,
				     size_t reason_size)
{
	memset(login, 0, sizeof(*login));
	login->pamh = pamh;
	login->config = config;
	login->context = context;
	login->deadline_ms = login_now_ms() + (int64_t)config->timeout * 1000;
	login->reason = reason;
	login->reason_size = reason_size;
	login->identity = identity;
	snprintf(reason, reason_size, "-");
	const char *why = NULL;
	login->http = http_client_new(config->ca_file, &why);
	if (login->http == NULL)
		return login_fail(login, LOGIN_SYSTEM_ERROR, "%s", why);
	if (config->client_auth == CLIENT_AUTH_BASIC)
		login->client_authorization = basic_auth_header_value(config->client_id, config->client_secret);
	if (config->client_auth == CLIENT_AUTH_BASIC && login->client_authorization == NULL)
		return login_fail(login, LOGIN_SYSTEM_ERROR, "out of memory");
	return LOGIN_APPROVED;
}

static void login_end(struct login *login)
{
	login_trust_clear(login);
	secret_free(login->client_authorization);
	http_client_free(login->http);
	login->client_authorization = NULL;
	login->http = NULL;
}

enum login_result login_flow_run(pam_handle_t *pamh, const struct oauth2_config *config,
				 const struct login_context *context, struct login_identity *identity, char *reason,
				 size_t reason_size)
{
	struct login login;
	struct device_authorization auth = { 0 };
	struct token_grant grant = { 0 };
	memset(identity, 0, sizeof(*identity));
	enum login_result result = login_begin(&login, pamh, config, context, identity, reason, reason_size);
	if (result != LOGIN_APPROVED)
		goto done;
	result = login_resolve_endpoints(&login);
	if (result != LOGIN_APPROVED)
		goto done;
	result = request_device_code(&login, &auth);
	if (result != LOGIN_APPROVED)
		goto done;
	int64_t issued_at_ms = login_now_ms();
	result = show_code(&login, &auth);
	if (result != LOGIN_APPROVED)
		goto done;
	result = poll_for_token(&login, &auth, issued_at_ms, &grant);
	if (result != LOGIN_APPROVED)
		goto done;
	result = login_evaluate_grant(&login, &grant);
done:
	result = withhold_outage(&login, result);
	token_grant_clear(&grant);
	device_authorization_clear(&auth);
	login_end(&login);
	return result;
}

enum login_result login_flow_check(pam_handle_t *pamh, const struct oauth2_config *config, login_check_report report,
				   void *data)
{
	struct login login;
	struct login_identity identity;
	struct login_context context = { 0 };
	char reason[512], detail[600];
	struct device_authorization auth = { 0 };
	enum login_result result = login_begin(&login, pamh, config, &context, &identity, reason, sizeof(reason));
	if (result == LOGIN_APPROVED)
		result = login_resolve_endpoints(&login);
	report(data, result == LOGIN_APPROVED, config->issuer != NULL ? "discovery" : "endpoints",
	       result == LOGIN_APPROVED ? (config->issuer != NULL ? config->issuer : "from the configuration")
					: reason);
	if (result != LOGIN_APPROVED)
		goto done;
	const struct {
		const char *name;
		const char *url;
	} endpoints[] = {
		{ "device_authorization_endpoint", login.device_authorization_endpoint },
		{ "token_endpoint", login.token_endpoint },
		{ "userinfo_endpoint", login.userinfo_endpoint },
		{ "introspection_endpoint", login.introspection_endpoint },
		{ "jwks_uri", login.jwks_uri },
	};
	/* A TLS handshake with each endpoint: any HTTP answer proves name, certificate and route. */
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		if (endpoints[i].url == NULL)
			continue;
		struct http_response response;
		enum login_result reached = login_fetch(&login, endpoints[i].name, endpoints[i].url, &response);
		if (reached == LOGIN_APPROVED)
			snprintf(detail, sizeof(detail), "%s: TLS ok, HTTP %ld", endpoints[i].url,
				 response.status_code);
		else
			snprintf(detail, sizeof(detail), "%s", reason);
		http_response_clear(&response);
		report(data, reached == LOGIN_APPROVED, endpoints[i].name, detail);
		if (reached != LOGIN_APPROVED)
			result = reached;
	}
	if (login.jwks_uri != NULL) {
		enum login_result keys = login_load_keys(&login, true);
		if (keys == LOGIN_APPROVED)
			snprintf(detail, sizeof(detail), "%zu signing keys usable", login.keys.count);
		else
			snprintf(detail, sizeof(detail), "%s", reason);
		report(data, keys == LOGIN_APPROVED && login.keys.count > 0, "jwks", detail);
		if (keys != LOGIN_APPROVED)
			result = keys;
	}
	/* A real device authorization request proves the client id, its authentication and
	 * the scopes; the code it returns is simply left to expire. */
	enum login_result device = request_device_code(&login, &auth);
	if (device == LOGIN_APPROVED)
		snprintf(detail, sizeof(detail),
			 "client %s accepted with scope '%s' (code expires in %ld s, interval %ld s)",
			 config->client_id, config->scope, auth.expires_in, auth.interval);
	report(data, device == LOGIN_APPROVED, "device authorization", device == LOGIN_APPROVED ? detail : reason);
	if (device != LOGIN_APPROVED)
		result = device;
done:
	device_authorization_clear(&auth);
	login_end(&login);
	return result;
}
