/* Remembered approvals (remember = SECONDS): the key a reuse must match, the record kept
 * after an approval, the rule that says whether a record may be reused, and the two
 * notes of a burst (a login waiting for an approval, and how it ended). Pure: the files
 * are io/approval_store.c's, the decisions the login layer's (login/remember.c). */
#ifndef PAM_OAUTH2_RULES_REMEMBER_RECORD_H
#define PAM_OAUTH2_RULES_REMEMBER_RECORD_H

#include "util/strbuf.h"

#include <stddef.h>
#include <stdint.h>

#define REMEMBER_KEY_HEX 64
#define REMEMBER_BURST_HEX 32
#define REMEMBER_SECONDS_MAX 28800 /* a working day: beyond it, ask again */
#define REMEMBER_FILE_MAX 16384
#define REFRESH_TOKEN_MAX 8192
/* A record approved this far in the future (the wall clock was set back) is not reused. */
#define REMEMBER_CLOCK_SKEW 60

/* Everything a reuse must match. Each part is text (NULL is the same as ""). */
struct remember_key_parts {
	const char *config_fingerprint; /* issuer, client and every policy key (config/) */
	const char *service;
	const char *user;
	const char *rhost;
	const char *tty;
	const char *auth_info; /* sshd's SSH_AUTH_INFO_0: the client's public key, when known */
	long caller_uid;       /* the real uid of the caller (sudo's invoking user) */
	const char *session;   /* a setuid caller's login session (io/caller_session.h) */
};

/* The key, as 64 hex digits of SHA-256 over the length-prefixed parts (no two different
 * sets of parts give the same input). Returns 0, or -1 (memory, OpenSSL). */
int remember_key_compute(const struct remember_key_parts *parts, char out[REMEMBER_KEY_HEX + 1]);

/* The record of one approval. Every text is visible ASCII (0x21-0x7e); NULL: none. */
struct remember_record {
	char *key;              /* the remember key it was written for */
	char *burst;            /* the burst that approved or last revalidated it */
	int64_t approved_at;    /* wall clock: when a person approved with a device code */
	int64_t revalidated_at; /* the last refresh that passed every check, 0: never */
	int64_t remember;       /* the window it was approved under (seconds) */
	int64_t caller_uid;     /* who asked: sudo's and su's invoking user, root for sshd */
	char *user;             /* the PAM user, service and remote host: for listing and */
	char *service;          /* --forget, never for matching (the key does that) */
	char *rhost;
	char *sub;           /* who approved */
	char *username;      /* their name at the IdP, "-" when unknown */
	char *refresh_token; /* secret; NULL: time-only reuse */
};

/* The record as a file body. Returns 0, or -1 when a field is missing or not visible
 * ASCII, or memory runs out. */
int remember_record_format(const struct remember_record *record, struct strbuf *out);

/* Reads a record body. With EXPECTED_KEY set the record must be for that key. Returns 0,
 * or -1 with a fixed reason in *WHY (unknown, repeated or missing fields, bytes outside
 * visible ASCII, a key of another configuration); RECORD then holds nothing. */
int remember_record_parse(const char *text, size_t len, const char *expected_key, struct remember_record *record,
			  const char **why);

/* Frees every field; the refresh token is wiped first. */
void remember_record_clear(struct remember_record *record);

enum remember_reuse {
	REMEMBER_REUSE_NONE,      /* ask again (*WHY says why) */
	REMEMBER_REUSE_TIME_ONLY, /* no refresh token: the approval's age alone decides */
	REMEMBER_REUSE_REVALIDATE /* one refresh-token request, checked like a fresh login */
};

/* Whether RECORD may stand in for a new approval at NOW under remember = WINDOW seconds:
 * the approval (not its last revalidation) must be younger than WINDOW and than the
 * window it was approved under (raising remember revives nothing). */
enum remember_reuse remember_record_judge(const struct remember_record *record, int64_t now, long window,
					  const char **why);

/* A burst: while one login for a key waits for its approval, the others with that key
 * wait for the same one. The waiting login's note says what to show; its end note how it
 * ended (a login_result name), so that a denial denies them all. No device code: the
 * others never poll. */
struct remember_burst {
	char *id;                        /* REMEMBER_BURST_HEX random hex digits */
	char *user_code;                 /* "-" until the IdP has answered */
	char *verification_uri;          /* "-" until then */
	char *verification_uri_complete; /* "-" when none */
	char *outcome;                   /* end notes only */
};

enum remember_note { REMEMBER_NOTE_WAIT, REMEMBER_NOTE_END };

int remember_burst_format(enum remember_note kind, const struct remember_burst *burst, struct strbuf *out);
int remember_burst_parse(enum remember_note kind, const char *text, size_t len, struct remember_burst *burst,
			 const char **why);
void remember_burst_clear(struct remember_burst *burst);

#endif
