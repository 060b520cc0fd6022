/* Remembered approvals and bursts (README, "Remembered approvals"). The files of a key K
 * in remember_dir: K.approval (the record), K.lock (held by the key's leader: the one
 * login that asks the IdP), K.wait (the leader's burst: what to show), K.waiting (some
 * login waits for it) and K.end (how the leader's burst ended). A record is only a candidate, like a cache entry: one
 * refresh-token request and every check of a fresh login stand between it and a login
 * whenever the IdP gave a refresh token; without one it is trusted for its age alone. */
#include "config.h"

#include "login/remember.h"

#include "config/oauth2_config.h"
#include "idp/discovery.h"
#include "io/auth_log.h"
#include "io/clock.h"
#include "io/pam_conversation.h"
#include "io/private_dir.h"
#include "login/display.h"
#include "login/grant.h"
#include "login/session.h"
#include "util/line_list.h"
#include "util/strbuf.h"

#include <security/_pam_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* How often a login of a burst looks whether its leader has finished. */
#define BURST_POLL_MS 200

static void entry_name(char out[REMEMBER_NAME_MAX], const struct login_memory *memory, const char *suffix)
{
	snprintf(out, REMEMBER_NAME_MAX, "%s.%s", memory->key, suffix);
}

/* TEXT as a listed field (user, service, host): visible ASCII (anything else '?'), at most
 * 255 bytes, "-" when empty. Never matched: the key does that. */
static void record_text(const char *text, char *out, size_t size)
{
	size_t n = 0;
	for (; text != NULL && text[n] != '\0' && n + 1 < size && n < 255; n++)
		out[n] = (text[n] > 0x20 && text[n] < 0x7f) ? text[n] : '?';
	out[n] = '\0';
	if (n == 0)
		snprintf(out, size, "-");
}

static int read_entry(const struct login *login, const struct login_memory *memory, const char *suffix, char **text,
		      const char **why)
{
	char name[REMEMBER_NAME_MAX];
	entry_name(name, memory, suffix);
	return private_dir_read(login->config->remember_dir, name, TRUSTED_OWNER, REMEMBER_FILE_MAX, text, why);
}

static int write_entry(const struct login *login, const struct login_memory *memory, const char *suffix,
		       const struct strbuf *text, const char **why)
{
	char name[REMEMBER_NAME_MAX];
	entry_name(name, memory, suffix);
	return private_dir_replace(login->config->remember_dir, name, TRUSTED_OWNER, text->data, text->len, why);
}

static void remove_entry(const struct login *login, const struct login_memory *memory, const char *suffix)
{
	char name[REMEMBER_NAME_MAX];
	entry_name(name, memory, suffix);
	private_dir_remove(login->config->remember_dir, name);
}

/* The record of this key, and (IDENTITY, when not NULL) which file it was. */
static int load_record(const struct login *login, const struct login_memory *memory, struct remember_record *record,
		       char *identity, size_t identity_size, const char **why)
{
	char *text = NULL, name[REMEMBER_NAME_MAX];
	memset(record, 0, sizeof(*record));
	entry_name(name, memory, "approval");
	if (identity != NULL && private_dir_identity(login->config->remember_dir, name, identity, identity_size) != 0) {
		*why = "cannot be examined";
		return -1;
	}
	if (read_entry(login, memory, "approval", &text, why) != 0)
		return -1;
	int rc = remember_record_parse(text, strlen(text), memory->key, record, why);
	secret_free(text); /* it held the refresh token */
	return rc;
}

/* Writes RECORD; with WAS (the identity load_record gave) only over that same file: a
 * record that --forget removed (or another login replaced) meanwhile is not brought back.
 * Returns 0, or -1 when nothing was written. */
static int store_record(struct login *login, const struct login_memory *memory, const struct remember_record *record,
			const char *was)
{
	struct strbuf text;
	strbuf_init(&text, REMEMBER_FILE_MAX);
	const char *why = "a field cannot be written";
	char name[REMEMBER_NAME_MAX], now[128];
	entry_name(name, memory, "approval");
	int rc = -1;
	if (was != NULL &&
	    (private_dir_identity(login->config->remember_dir, name, now, sizeof(now)) != 0 || strcmp(now, was) != 0))
		why = "the record was forgotten or replaced meanwhile";
	else if (remember_record_format(record, &text) == 0 && write_entry(login, memory, "approval", &text, &why) == 0)
		rc = 0;
	if (rc != 0)
		auth_log(login->pamh, LOG_WARNING, "approval not remembered: %s", why);
	strbuf_wipe_free(&text);
	return rc;
}

static int load_note(const struct login *login, const struct login_memory *memory, enum remember_note kind,
		     struct remember_burst *note)
{
	char *text = NULL;
	const char *why;
	memset(note, 0, sizeof(*note));
	if (read_entry(login, memory, kind == REMEMBER_NOTE_WAIT ? "wait" : "end", &text, &why) != 0)
		return -1;
	int rc = remember_burst_parse(kind, text, strlen(text), note, &why);
	free(text);
	return rc;
}

static void store_note(struct login *login, const struct login_memory *memory, enum remember_note kind,
		       const struct remember_burst *note)
{
	struct strbuf text;
	strbuf_init(&text, REMEMBER_FILE_MAX);
	const char *why = "a field cannot be written";
	if (remember_burst_format(kind, note, &text) != 0 ||
	    write_entry(login, memory, kind == REMEMBER_NOTE_WAIT ? "wait" : "end", &text, &why) != 0)
		idp_debug(&login->idp, "burst note not written: %s", why);
	strbuf_wipe_free(&text);
}

static void announce_burst(struct login *login, const struct login_memory *memory, const char *user_code,
			   const char *uri, const char *uri_complete)
{
	struct remember_burst note = {
		.id = (char *)memory->burst,
		.user_code = (char *)user_code,
		.verification_uri = (char *)uri,
		.verification_uri_complete = (char *)uri_complete,
	};
	store_note(login, memory, REMEMBER_NOTE_WAIT, &note);
}

/* The key of this login, or -1 when it has none (remember is then off for it). */
static int compute_key(const struct login *login, struct login_memory *memory)
{
	char fingerprint[CONFIG_FINGERPRINT_HEX + 1];
	const struct login_context *context = login->context;
	if (oauth2_config_fingerprint(login->config, fingerprint) != 0)
		return -1;
	struct remember_key_parts parts = {
		.config_fingerprint = fingerprint,
		.service = context->service,
		.user = context->user,
		.rhost = context->rhost,
		.tty = context->tty,
		.auth_info = context->auth_info,
		.caller_uid = context->caller_uid,
		.session = context->caller_session,
	};
	return remember_key_compute(&parts, memory->key);
}

static int new_burst_id(char out[REMEMBER_BURST_HEX + 1])
{
	unsigned char bytes[REMEMBER_BURST_HEX / 2];
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return -1;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* The approval of a record, as this login's: who approved, and the log line. */
static enum login_result approve_from_record(struct login *login, const struct remember_record *record, const char *how,
					     const char *judged)
{
	snprintf(login->identity->sub, sizeof(login->identity->sub), "%s", record->sub);
	snprintf(login->identity->username, sizeof(login->identity->username), "%s",
		 strcmp(record->username, "-") == 0 ? "" : record->username);
	int64_t age = clock_wall_seconds() - record->approved_at;
	char judgement[320];
	snprintf(judgement, sizeof(judgement), "%s", judged != NULL ? judged : "");
	return login_fail(login, LOGIN_APPROVED, "remembered approval_age=%llds %s sub=%s%s%s",
			  (long long)(age > 0 ? age : 0), how, record->sub, judgement[0] != '\0' ? "; " : "",
			  judgement);
}

/* Asks again, after logging why the record was not reused. */
static enum login_result ask_again(struct login *login, const char *why)
{
	auth_log(login->pamh, LOG_NOTICE, "remembered approval for %s not reused: %s; asking with a new code",
		 login->context->user, why);
	memset(login->identity, 0, sizeof(*login->identity));
	return LOGIN_CONTINUE;
}

/* RFC 6749 §6: one refresh-token request, and the new token judged exactly as a fresh
 * login's. Anything short of a clean pass asks again with a device flow (never a grant):
 * a revoked grant or disabled account (invalid_grant), a scope no longer granted, an
 * outage; an explicit access_denied, or a token for somebody else, ends the login. Once
 * the request is sent the record is dropped unless the refreshed one is stored. */
static enum login_result revalidate(struct login *login, struct login_memory *memory, struct remember_record *record,
				    const char *identity)
{
	char why[512];
	enum login_result result = login_step(login, idp_resolve_endpoints(&login->idp));
	if (result != LOGIN_CONTINUE) {
		memory->keep_record = result == LOGIN_IDP_UNAVAILABLE;
		snprintf(why, sizeof(why), "revalidation impossible: %s", login->reason);
		return ask_again(login, why);
	}
	struct token_answer answer;
	memory->refresh_sent = true;
	enum idp_status status = idp_refresh_token(&login->idp, record->refresh_token, &answer);
	if (status != IDP_OK) {
		snprintf(why, sizeof(why), "revalidation failed: %s", login->reason);
		token_grant_clear(&answer.grant);
		return ask_again(login, why);
	}
	switch (answer.outcome) {
	case TOKEN_GRANTED:
		break;
	case TOKEN_DENIED:
		return login_fail(login, LOGIN_DENIED,
				  "revalidation of a remembered approval: access_denied at the IdP");
	case TOKEN_EXPIRED:
		snprintf(why, sizeof(why), "the refresh token was refused (%s): grant revoked or account disabled",
			 answer.error.code);
		return ask_again(login, why);
	default:
		snprintf(why, sizeof(why), "the refresh token was refused: error=%s description=\"%s\"",
			 answer.error.code, answer.error.description);
		return ask_again(login, why);
	}
	result = login_judge_grant(login, &answer.grant, GRANT_REQUESTER);
	if (result == LOGIN_APPROVED && strcmp(login->identity->sub, record->sub) != 0) {
		token_grant_clear(&answer.grant);
		result =
		    login_fail(login, LOGIN_TOKEN_INVALID,
			       "revalidation of a remembered approval: the refreshed token is for sub=%s, not sub=%s",
			       login->identity->sub, record->sub);
		memset(login->identity, 0, sizeof(*login->identity));
		return result;
	}
	if (result != LOGIN_APPROVED) {
		token_grant_clear(&answer.grant);
		snprintf(why, sizeof(why), "the refreshed token %s: %s",
			 result == LOGIN_IDP_UNAVAILABLE ? "could not be checked" : "failed the checks", login->reason);
		return ask_again(login, why);
	}
	/* RFC 6749 §6: a new refresh token replaces the old one (rotation); none keeps it. One
	 * the record cannot hold ends the record: the old one may be dead already. */
	bool storable = !answer.grant.refresh_token_unusable;
	if (answer.grant.refresh_token != NULL) {
		secret_free(record->refresh_token);
		record->refresh_token = answer.grant.refresh_token;
		answer.grant.refresh_token = NULL;
	}
	token_grant_clear(&answer.grant);
	record->revalidated_at = clock_wall_seconds();
	free(record->burst);
	record->burst = strdup(memory->burst);
	if (!storable || record->burst == NULL || store_record(login, memory, record, identity) != 0) {
		if (!storable)
			auth_log(login->pamh, LOG_WARNING,
				 "approval not remembered: the IdP's new refresh token cannot be stored");
		/* This login passed every check; the record goes (login_remember_end). */
		return approve_from_record(login, record, "revalidated=yes (record dropped)", login->reason);
	}
	memory->refresh_stored = true;
	/* approve_from_record copies the judgement's reason before it writes its own. */
	return approve_from_record(login, record, "revalidated=yes", login->reason);
}

/* The leader, holding the key: is there a record it may reuse? */
static enum login_result reuse_record(struct login *login, struct login_memory *memory)
{
	struct remember_record record;
	const char *why = NULL;
	char identity[128];
	if (load_record(login, memory, &record, identity, sizeof(identity), &why) != 0) {
		idp_debug(&login->idp, "no remembered approval: %s", why);
		return LOGIN_CONTINUE;
	}
	enum login_result result = LOGIN_CONTINUE;
	switch (remember_record_judge(&record, clock_wall_seconds(), login->config->remember, &why)) {
	case REMEMBER_REUSE_NONE:
		idp_debug(&login->idp, "remembered approval not reused: %s", why);
		break;
	case REMEMBER_REUSE_TIME_ONLY:
		/* No refresh token: nothing to ask the IdP; the README says this is weaker. */
		free(record.burst);
		record.burst = strdup(memory->burst);
		if (record.burst != NULL && store_record(login, memory, &record, identity) == 0)
			result = approve_from_record(login, &record,
						     "revalidated=no (time only: the IdP gave no refresh token)", NULL);
		else
			result = ask_again(login, "the record could not be renewed");
		break;
	case REMEMBER_REUSE_REVALIDATE:
		result = revalidate(login, memory, &record, identity);
		break;
	}
	remember_record_clear(&record);
	return result;
}

/* What a login of a burst shows: the leader's code, and that it waits for that approval.
 * With prompt = enter it waits for Enter as the leader does: sshd before 10.3 shows text
 * only with a prompt (FACTS.md), and a silent wait would look like a hang. Returns the
 * conversation's PAM code. */
static int show_burst(struct login *login, const struct remember_burst *note)
{
	int rc = PAM_BUF_ERR;
	struct line_list lines, messages;
	line_list_init(&lines);
	line_list_init(&messages);
	struct device_authorization auth = {
		.user_code = note->user_code,
		.verification_uri = note->verification_uri,
		.verification_uri_complete =
		    strcmp(note->verification_uri_complete, "-") == 0 ? NULL : note->verification_uri_complete,
	};
	if (line_list_append(&lines, "Another login of yours with the same key is waiting for this approval; "
				     "this one goes on when it is approved.") == 0 &&
	    login_display_render(login->context, &auth, (enum qr_mode)login->config->qr, &lines) == 0 &&
	    login_display_pack(&lines, PAM_MAX_MSG_SIZE - 1, &messages) == 0)
		rc = conversation_show_info(login->pamh, &messages);
	if (rc == PAM_SUCCESS && login->config->prompt == PROMPT_ENTER)
		rc = conversation_wait_for_enter(login->pamh, "Press Enter after approving: ");
	line_list_free(&lines);
	line_list_free(&messages);
	return rc;
}

/* Whether this login may use remembered approvals at all; NULL when it may, else why not.
 * A remote login is bound to the client's SSH key, or to nothing (anyone connecting as
 * the user from the same address would share it: NAT, a jump host); with the key, sshd
 * runs PAM only after the client proved it, so no unauthenticated client makes files
 * here. A setuid caller is bound to its login session, not to the PAM_TTY it chooses. */
static const char *remember_refused(const struct login_context *context)
{
	if (context->caller_uid != 0 && context->caller_session == NULL)
		return "the caller has no controlling terminal to bind it to";
	if (context->rhost != NULL && context->rhost[0] != '\0' &&
	    (context->auth_info == NULL || strncmp(context->auth_info, "publickey ", 10) != 0) &&
	    (context->auth_info == NULL || strstr(context->auth_info, "\npublickey ") == NULL))
		return "a remote login without the client's SSH key (sshd: AuthenticationMethods "
		       "publickey,keyboard-interactive)";
	return NULL;
}

/* A login of a burst: how the leader's burst SEEN ended, once it has. LOGIN_CONTINUE
 * when it has not ended, or ended in a way that was the leader's own (its terminal went
 * away): this login then carries on by itself. */
static enum login_result burst_outcome(struct login *login, struct login_memory *memory,
				       const struct remember_burst *seen, bool *ended)
{
	struct remember_burst end;
	*ended = false;
	if (seen->id == NULL || load_note(login, memory, REMEMBER_NOTE_END, &end) != 0)
		return LOGIN_CONTINUE;
	enum login_result result = LOGIN_CONTINUE;
	bool same = strcmp(end.id, seen->id) == 0;
	if (same && login_result_from_name(end.outcome, &result)) {
		*ended = true;
		if (result == LOGIN_APPROVED) {
			struct remember_record record;
			const char *why;
			result = LOGIN_CONTINUE;
			if (load_record(login, memory, &record, NULL, 0, &why) == 0) {
				if (strcmp(record.burst, seen->id) == 0)
					result = approve_from_record(login, &record, "burst=yes",
								     "approved in another login with the same key");
				remember_record_clear(&record);
			}
		} else if (result == LOGIN_CONV_ERROR || result == LOGIN_SYSTEM_ERROR || result == LOGIN_CONTINUE ||
			   result == LOGIN_ALREADY_REFUSED) {
			result = LOGIN_CONTINUE;
		} else {
			result = login_fail(login, result, "the login this one waited for (same key) ended: %s",
					    end.outcome);
		}
	}
	remember_burst_clear(&end);
	return result;
}

enum login_result login_remember_begin(struct login *login, struct login_memory *memory)
{
	memset(memory, 0, sizeof(*memory));
	memory->lock_fd = -1;
	if (login->config->remember <= 0)
		return LOGIN_CONTINUE;
	const char *refused = remember_refused(login->context);
	if (refused != NULL) {
		idp_debug(&login->idp, "remember off for this login: %s", refused);
		return LOGIN_CONTINUE;
	}
	if (compute_key(login, memory) != 0 || new_burst_id(memory->burst) != 0) {
		auth_log(login->pamh, LOG_WARNING, "remembered approvals unavailable for this login: out of memory");
		return LOGIN_CONTINUE;
	}
	struct remember_burst seen = { 0 };
	bool shown = false, waiting = false;
	enum login_result result = LOGIN_CONTINUE;
	for (;;) {
		bool busy = false, ended = false;
		const char *why = NULL;
		char lock[REMEMBER_NAME_MAX];
		entry_name(lock, memory, "lock");
		int fd = private_dir_lock(login->config->remember_dir, lock, TRUSTED_OWNER, &busy, &why);
		if (fd < 0 && !busy) {
			auth_log(login->pamh, LOG_WARNING, "remembered approvals unavailable: %s: %s",
				 login->config->remember_dir, why);
			break;
		}
		/* The leader this login waited for may have ended just now. */
		result = burst_outcome(login, memory, &seen, &ended);
		if (ended && result != LOGIN_CONTINUE) {
			private_dir_unlock(fd);
			break;
		}
		if (fd >= 0) {
			memory->leader = true;
			memory->lock_fd = fd;
			announce_burst(login, memory, "-", "-", "-");
			result = reuse_record(login, memory);
			break;
		}
		if (!waiting) {
			/* Tell the leader that someone waits for its end note. */
			struct strbuf mark;
			strbuf_init(&mark, 0);
			if (strbuf_append_str(&mark, "waiting\n") == 0)
				write_entry(login, memory, "waiting", &mark, &why);
			strbuf_wipe_free(&mark);
			waiting = true;
			continue; /* the leader may have ended before it saw the mark */
		}
		if (ended) {
			/* Its leader went away without an answer: this login tries to lead. */
			remember_burst_clear(&seen);
			shown = false;
			continue;
		}
		struct remember_burst wait;
		if (load_note(login, memory, REMEMBER_NOTE_WAIT, &wait) == 0) {
			if (seen.id == NULL || strcmp(seen.id, wait.id) != 0 ||
			    strcmp(seen.user_code, wait.user_code) != 0) {
				remember_burst_clear(&seen);
				seen = wait;
				shown = false;
			} else {
				remember_burst_clear(&wait);
			}
		}
		if (seen.id != NULL && !shown && strcmp(seen.user_code, "-") != 0) {
			int rc = show_burst(login, &seen);
			shown = true;
			if (rc != PAM_SUCCESS) {
				result = login_fail(login, rc == PAM_BUF_ERR ? LOGIN_SYSTEM_ERROR : LOGIN_CONV_ERROR,
						    "conversation failed: %s", pam_strerror(login->pamh, rc));
				break;
			}
			continue; /* after Enter: look again at once */
		}
		if (clock_monotonic_ms() >= login->idp.deadline_ms) {
			result =
			    login_fail(login, LOGIN_EXPIRED,
				       "waited for the approval of another login with the same key until the timeout");
			break;
		}
		clock_sleep_ms(BURST_POLL_MS);
	}
	remember_burst_clear(&seen);
	return result;
}

void login_remember_shown(struct login *login, struct login_memory *memory, const struct device_authorization *auth)
{
	if (!memory->leader)
		return;
	announce_burst(login, memory, auth->user_code, auth->verification_uri,
		       auth->verification_uri_complete != NULL ? auth->verification_uri_complete : "-");
}

void login_remember_keep(struct login *login, struct login_memory *memory, const struct token_grant *grant)
{
	if (!memory->leader)
		return;
	const struct login_identity *identity = login->identity;
	const char *not_kept = NULL;
	if (grant->refresh_token_unusable)
		not_kept = "the IdP's refresh token cannot be stored (reuse would silently be time-only)";
	else if (identity->sub[0] == '\0')
		not_kept = "the approver's sub is unknown";
	if (not_kept != NULL) {
		auth_log(login->pamh, LOG_NOTICE, "approval not remembered: %s", not_kept);
		return;
	}
	char user[256], service[256], rhost[256];
	record_text(login->context->user, user, sizeof(user));
	record_text(login->context->service, service, sizeof(service));
	record_text(login->context->rhost, rhost, sizeof(rhost));
	struct remember_record record = {
		.key = memory->key,
		.burst = memory->burst,
		.approved_at = clock_wall_seconds(),
		.remember = login->config->remember,
		.caller_uid = login->context->caller_uid,
		.user = user,
		.service = service,
		.rhost = rhost,
		.sub = (char *)identity->sub,
		.username = identity->username[0] != '\0' ? (char *)identity->username : "-",
		.refresh_token = grant->refresh_token,
	};
	/* The record is a new approval's now: whatever an earlier refresh left is gone. */
	if (store_record(login, memory, &record, NULL) == 0)
		memory->refresh_stored = true;
}

/* How long each kind of entry may outlive its login (private_dir_sweep): a record its
 * longest possible window, the notes and locks of a burst an hour. */
static long entry_max_age(const char *name)
{
	size_t len = strlen(name);
	if (len > 9 && strcmp(name + len - 9, ".approval") == 0 && name[0] != '.')
		return REMEMBER_SECONDS_MAX + REMEMBER_CLOCK_SKEW;
	return 3600;
}

void login_remember_end(struct login *login, struct login_memory *memory, enum login_result result)
{
	if (!memory->leader)
		return;
	/* A denial, a refusal or a failed revalidation drops the record; a failure of this
	 * login's own (its terminal, memory) or an outage that kept it from being judged does
	 * not. A refresh that was sent and whose answer was not stored drops it always. */
	bool local = result == LOGIN_CONV_ERROR || result == LOGIN_SYSTEM_ERROR;
	bool outage = result == LOGIN_IDP_UNAVAILABLE || result == LOGIN_UNAVAILABLE_REFUSED;
	bool spent = memory->refresh_sent && !memory->refresh_stored;
	char record[REMEMBER_NAME_MAX], lock[REMEMBER_NAME_MAX], identity[128] = "";
	entry_name(record, memory, "approval");
	entry_name(lock, memory, "lock");
	if (spent || (result != LOGIN_APPROVED && !local && !(outage && memory->keep_record)))
		remove_entry(login, memory, "approval");
	/* The end note is for the logins waiting for this one; they say so (K.waiting), and
	 * without them none is written (private_dir_sweep removes both later). */
	char waiting[REMEMBER_NAME_MAX], present[128] = "";
	entry_name(waiting, memory, "waiting");
	if (private_dir_identity(login->config->remember_dir, waiting, present, sizeof(present)) == 0 &&
	    present[0] != '\0') {
		struct remember_burst note = { .id = memory->burst, .outcome = (char *)login_result_name(result) };
		store_note(login, memory, REMEMBER_NOTE_END, &note);
	}
	remove_entry(login, memory, "wait");
	/* Leftovers of other keys' logins (and of killed ones); then the lock itself, when
	 * there is no record left to guard. */
	private_dir_sweep(login->config->remember_dir, TRUSTED_OWNER, clock_wall_seconds(), entry_max_age);
	if (private_dir_identity(login->config->remember_dir, record, identity, sizeof(identity)) == 0 &&
	    identity[0] == '\0')
		private_dir_unlock_remove(login->config->remember_dir, lock, memory->lock_fd);
	else
		private_dir_unlock(memory->lock_fd);
	memory->lock_fd = -1;
	memory->leader = false;
}

/* ---- for the admin ---- */

struct visit {
	const struct oauth2_config *config;
	const char *forget_user; /* forget: NULL for every record */
	long forget_uid;         /* and the records this uid asked for as the caller; -1: none */
	bool forget;
	remember_report report;
	void *data;
	int count;
};

static int visit_record(const char *name, void *data)
{
	struct visit *visit = data;
	const char *dir = visit->config->remember_dir, *why;
	char *text = NULL;
	struct remember_record record;
	if (private_dir_read(dir, name, TRUSTED_OWNER, REMEMBER_FILE_MAX, &text, &why) != 0 ||
	    remember_record_parse(text, strlen(text), NULL, &record, &why) != 0) {
		secret_free(text);
		/* Unreadable or foreign entries are never reused; --forget-all drops them too. */
		if (visit->forget && visit->forget_user == NULL && private_dir_remove(dir, name) == 0)
			visit->count++;
		return 0;
	}
	secret_free(text);
	if (visit->forget) {
		if ((visit->forget_user == NULL || strcmp(visit->forget_user, record.user) == 0 ||
		     (visit->forget_uid >= 0 && record.caller_uid == visit->forget_uid)) &&
		    private_dir_remove(dir, name) == 0)
			visit->count++;
	} else {
		bool revalidates = record.refresh_token != NULL;
		secret_free(record.refresh_token);
		record.refresh_token = NULL;
		visit->report(visit->data, &record, revalidates);
		visit->count++;
	}
	remember_record_clear(&record);
	return 0;
}

int login_remember_list(const struct oauth2_config *config, remember_report report, void *data, const char **why)
{
	struct visit visit = { .config = config, .report = report, .data = data };
	if (private_dir_each(config->remember_dir, TRUSTED_OWNER, ".approval", visit_record, &visit, why) != 0)
		return -1;
	return visit.count;
}

int login_remember_forget(const struct oauth2_config *config, const char *user, long caller_uid, const char **why)
{
	struct visit visit = { .config = config, .forget_user = user, .forget_uid = caller_uid, .forget = true };
	if (private_dir_each(config->remember_dir, TRUSTED_OWNER, ".approval", visit_record, &visit, why) != 0)
		return -1;
	return visit.count;
}
