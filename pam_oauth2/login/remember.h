/* Remembered approvals (remember = SECONDS): before a device flow, reuse a recent approval
 * for the same key (configuration, service, user, remote host, terminal, caller, SSH key),
 * revalidated with one refresh-token request when the IdP issued one; while another login
 * with that key waits for its approval, wait for the same one (a burst); after the login,
 * keep or drop the record. The records and notes are rules/remember_record.h's, their
 * files io/private_dir.h's. */
#ifndef PAM_OAUTH2_LOGIN_REMEMBER_H
#define PAM_OAUTH2_LOGIN_REMEMBER_H

#include "idp/device_authorization.h"
#include "idp/token.h"
#include "login/result.h"
#include "rules/remember_record.h"

#include <stdbool.h>

struct login;

#define REMEMBER_NAME_MAX (REMEMBER_KEY_HEX + 16)

struct login_memory {
	bool leader; /* this login holds the key's lock: it alone asks the IdP */
	int lock_fd;
	char key[REMEMBER_KEY_HEX + 1];
	char burst[REMEMBER_BURST_HEX + 1]; /* this login's burst id, as leader */
	/* The record was not judged (an outage before any refresh was sent): keep it. */
	bool keep_record;
	/* A refresh was sent: the IdP may have rotated the token, so the record is dropped
	 * unless the new one was stored (a rotated-away token sent again can revoke the
	 * grant, oidc-provider's reuse detection). */
	bool refresh_sent;
	bool refresh_stored;
};

/* Before the device flow. LOGIN_APPROVED: a remembered approval (revalidated when it can
 * be) or the approval of the burst this login waited for, with LOGIN->identity and the
 * reason filled; LOGIN_CONTINUE: ask with a device flow (as the key's leader when remember
 * is on); else how the login ends (a denial at revalidation, a burst's denial, the
 * timeout while waiting). Call login_remember_end in every case. */
enum login_result login_remember_begin(struct login *login, struct login_memory *memory);

/* The leader's device code is shown: the others of its burst show it too. */
void login_remember_shown(struct login *login, struct login_memory *memory, const struct device_authorization *auth);

/* The device flow approved with GRANT: keep the record (with its refresh token). */
void login_remember_keep(struct login *login, struct login_memory *memory, const struct token_grant *grant);

/* The login ends with RESULT: a leader tells its burst how it ended, drops the record
 * after anything but an approval or a local failure, and lets go of the key. */
void login_remember_end(struct login *login, struct login_memory *memory, enum login_result result);

/* For the admin (pam_oauth2-check): each record in CONFIG's remember_dir, parsed (never
 * its refresh token: REPORT gets the record with it removed), and dropping them. */
struct oauth2_config;
typedef void (*remember_report)(void *data, const struct remember_record *record, bool revalidates);
/* Returns the number of records, or -1 when the directory is unsafe or unreadable (*WHY). */
int login_remember_list(const struct oauth2_config *config, remember_report report, void *data, const char **why);
/* Drops the records of USER: those for that PAM user, and those USER asked for as the
 * caller (CALLER_UID: su's and sudo's invoking user; -1 when USER is no local account);
 * every record when USER is NULL. Returns how many, or -1 (*WHY). */
int login_remember_forget(const struct oauth2_config *config, const char *user, long caller_uid, const char **why);

#endif
