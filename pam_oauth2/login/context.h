/* What a login is for (the PAM user, this host, the service, the remote host, and two
 * facts about the caller) and who approved it: the types the entry points hand to the
 * login layer and get back. */
#ifndef PAM_OAUTH2_LOGIN_CONTEXT_H
#define PAM_OAUTH2_LOGIN_CONTEXT_H

#include <stdbool.h>

/* Who logs in where. */
struct login_context {
	const char *user;
	const char *host;
	const char *service;
	const char *rhost;
	const char *tty;
	/* sshd's SSH_AUTH_INFO_0 from the PAM environment: how the client authenticated so
	 * far ("publickey ssh-ed25519 AAAA..." with AuthenticationMethods publickey,
	 * keyboard-interactive); part of a remembered approval's key. NULL when unset. */
	const char *auth_info;
	long caller_uid; /* the real uid: sudo's invoking user; root for sshd */
	/* A setuid caller's login session (io/caller_session.h: controlling terminal, session
	 * id, the leader's start time); NULL when root calls or when there is none. */
	const char *caller_session;
	/* The PAM user's account has uid 0: its name is matched exactly, whatever
	 * username_case says ("Root" at the IdP never becomes root). */
	bool user_is_superuser;
	/* The caller's real uid is not root (sudo, su, pkexec): the invoking user can stop
	 * the process mid-request and so fake an outage; outages are then refusals. */
	bool caller_can_interrupt;
};

#define LOGIN_IDENTITY_MAX 257

/* Who approved, for the session's environment: plain visible ASCII, "" when unknown. */
struct login_identity {
	char sub[LOGIN_IDENTITY_MAX];
	char username[LOGIN_IDENTITY_MAX];
};

#endif
