#include "config.h"

#include "login/flow.h"

#include "idp/device_authorization.h"
#include "idp/discovery.h"
#include "idp/token.h"
#include "io/clock.h"
#include "io/pam_conversation.h"
#include "login/display.h"
#include "login/grant.h"
#include "login/remember.h"
#include "login/session.h"
#include "rules/device_poll.h"

#include <security/_pam_types.h>
#include <stdio.h>
#include <string.h>

#define ENTER_PROMPT "Press Enter after approving: "

/* Step 2: show what is being approved and how (for ROLE: the requester, or the four-eyes
 * approver the requester sends the code to); in prompt=enter mode wait for Enter. */
static enum login_result show_code(struct login *login, const struct device_authorization *auth, enum grant_role role)
{
	struct line_list lines, messages;
	line_list_init(&lines);
	line_list_init(&messages);
	enum login_result result = LOGIN_CONTINUE;
	/* PAM_MAX_MSG_SIZE counts the NUL. The code is shown even under PAM_SILENT:
	 * without it no login can succeed (sudo passes PAM_SILENT by default). */
	enum qr_mode qr = (enum qr_mode)login->config->qr;
	int rendered =
	    role == GRANT_APPROVER
		? login_display_render_four_eyes(login->context, login->config->approver_group, auth, qr, &lines)
		: login_display_render(login->context, auth, qr, &lines);
	if (rendered != 0 || login_display_pack(&lines, PAM_MAX_MSG_SIZE - 1, &messages) != 0) {
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

/* What an OAuth answer from the token endpoint ends the login with (RFC 8628 §3.5: any
 * answer but pending or slow_down ends polling); LOGIN_CONTINUE for a grant. */
static enum login_result final_answer(struct login *login, const struct token_answer *answer)
{
	const struct oauth_error *error = &answer->error;
	switch (answer->outcome) {
	case TOKEN_GRANTED:
		return LOGIN_CONTINUE;
	case TOKEN_DENIED:
		return login_fail(login, LOGIN_DENIED, "access_denied at the IdP");
	case TOKEN_EXPIRED:
		return login_fail(login, LOGIN_EXPIRED, "device code expired (%s)", error->code);
	case TOKEN_CLIENT_REJECTED:
		return login_fail(login, LOGIN_CONFIG_ERROR,
				  "token endpoint refused the client: error=%s description=\"%s\"", error->code,
				  error->description);
	case TOKEN_REJECTED:
		return login_fail(login, LOGIN_REFUSED_BY_IDP, "token endpoint error=%s description=\"%s\"",
				  error->code, error->description);
	default:
		return login_fail(login, LOGIN_SYSTEM_ERROR, "token endpoint: unexpected outcome");
	}
}

/* Step 3: RFC 8628 §3.4-3.5, until the first final answer. On LOGIN_CONTINUE GRANT holds
 * the grant (token_grant_clear it). */
static enum login_result poll_for_token(struct login *login, const struct device_authorization *auth,
					int64_t issued_at_ms, struct token_grant *grant)
{
	struct device_poll poll;
	device_poll_start(&poll, issued_at_ms, auth->interval, auth->expires_in, login->idp.deadline_ms);
	for (unsigned polls = 1;; polls++) {
		int64_t wait_ms;
		if (device_poll_next_action(&poll, clock_monotonic_ms(), &wait_ms) == POLL_ACTION_GIVE_UP) {
			if (!poll.last_was_timeout)
				return login_fail(login, LOGIN_EXPIRED,
						  "not approved before the code expired or timeout");
			/* An outage, unless someone approved already (the four-eyes round). */
			login_fail(login, LOGIN_IDP_UNAVAILABLE, "token endpoint kept timing out");
			return login_step(login, IDP_UNAVAILABLE);
		}
		clock_sleep_ms(wait_ms);
		struct token_answer answer;
		enum idp_status status = idp_poll_token(&login->idp, auth->device_code, &answer);
		login->approved = login->approved || answer.approved;
		if (status == IDP_UNAVAILABLE && answer.timed_out) {
			device_poll_record(&poll, POLL_EVENT_TIMEOUT, clock_monotonic_ms());
			idp_debug(&login->idp, "poll %u timed out; polling every %lld ms now", polls,
				  (long long)poll.interval_ms);
			continue;
		}
		if (status == IDP_DEADLINE)
			return login_fail(login, LOGIN_EXPIRED, "not approved before the login's timeout");
		if (status != IDP_OK)
			return login_step(login, status);
		if (answer.outcome == TOKEN_PENDING || answer.outcome == TOKEN_SLOW_DOWN) {
			if (answer.outcome == TOKEN_PENDING)
				device_poll_record(&poll, POLL_EVENT_PENDING, clock_monotonic_ms());
			else
				device_poll_record_slow_down(&poll, clock_monotonic_ms(), answer.error.interval,
							     answer.retry_after);
			idp_debug(&login->idp, "poll %u: %s; next in %lld ms", polls, answer.error.code,
				  (long long)poll.interval_ms);
			continue;
		}
		if (answer.outcome == TOKEN_GRANTED) {
			idp_debug(&login->idp, "poll %u: token granted", polls);
			*grant = answer.grant;
			return LOGIN_CONTINUE;
		}
		return final_answer(login, &answer);
	}
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

/* Steps 1-3 for ROLE: a device code, shown, polled for until the first final answer. On
 * LOGIN_CONTINUE GRANT holds the grant. */
static enum login_result approval_round(struct login *login, struct login_memory *memory, enum grant_role role,
					struct token_grant *grant)
{
	struct device_authorization auth = { 0 };
	/* Step 1: RFC 8628 §3.1-3.2. */
	enum login_result result = login_step(login, idp_request_device_code(&login->idp, &auth));
	int64_t issued_at_ms = clock_monotonic_ms();
	if (result == LOGIN_CONTINUE && memory != NULL)
		login_remember_shown(login, memory, &auth);
	if (result == LOGIN_CONTINUE)
		result = show_code(login, &auth, role);
	if (result == LOGIN_CONTINUE)
		result = poll_for_token(login, &auth, issued_at_ms, grant);
	device_authorization_clear(&auth);
	return result;
}

/* Four-eyes (approver_group): after the requester's own approval passed every rule, a
 * second code for someone else in approver_group. Whatever ends this round ends the
 * login: a denial, an expiry, a refusal; never an outage (login->approved is set). */
static enum login_result four_eyes_round(struct login *login)
{
	struct token_grant grant = { 0 };
	enum login_result result = approval_round(login, NULL, GRANT_APPROVER, &grant);
	if (result == LOGIN_CONTINUE)
		result = login_judge_grant(login, &grant, GRANT_APPROVER);
	token_grant_clear(&grant);
	if (result != LOGIN_APPROVED) {
		char why[384];
		snprintf(why, sizeof(why), "%s", login->reason);
		login_fail(login, result, "four-eyes approval for=%s: %s", login->identity->username, why);
	}
	return result;
}

enum login_result login_flow_run(pam_handle_t *pamh, const struct oauth2_config *config,
				 const struct login_context *context, struct login_identity *identity, char *reason,
				 size_t reason_size)
{
	struct login login;
	struct login_memory memory = { .lock_fd = -1 };
	struct token_grant grant = { 0 };
	memset(identity, 0, sizeof(*identity));
	enum login_result result = login_begin(&login, pamh, config, context, identity, reason, reason_size);
	/* A remembered approval, or the approval another login with the same key waits for
	 * (remember = SECONDS; login/remember.c), before any device code. */
	bool asked = false;
	if (result == LOGIN_CONTINUE)
		result = login_remember_begin(&login, &memory);
	if (result == LOGIN_CONTINUE)
		result = login_step(&login, idp_resolve_endpoints(&login.idp));
	if (result == LOGIN_CONTINUE) {
		asked = true;
		result = approval_round(&login, &memory, GRANT_REQUESTER, &grant);
	}
	if (result == LOGIN_CONTINUE)
		result = login_judge_grant(&login, &grant, GRANT_REQUESTER);
	if (result == LOGIN_APPROVED && asked)
		login_remember_keep(&login, &memory, &grant);
	token_grant_clear(&grant);
	if (result == LOGIN_APPROVED && config->approver_group[0] != '\0')
		result = four_eyes_round(&login);
	result = withhold_outage(&login, result);
	login_remember_end(&login, &memory, result);
	/* A refused four-eyes round leaves no approver's or requester's identity behind. */
	if (result != LOGIN_APPROVED)
		memset(identity, 0, sizeof(*identity));
	login_end(&login);
	return result;
}
