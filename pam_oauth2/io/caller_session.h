/* Which login session the calling process belongs to, as sudo's timestamps name it: the
 * controlling terminal, the session id and the session leader's start time. A setuid
 * caller's PAM_TTY is the invoker's to choose (su takes it from stdin; sudo leaves it
 * empty without a terminal); the controlling terminal and session of a process are not:
 * another session of the same user has another id, and a reused id another start time. */
#ifndef PAM_OAUTH2_CALLER_SESSION_H
#define PAM_OAUTH2_CALLER_SESSION_H

#include <stddef.h>

#define CALLER_SESSION_MAX 96

/* "tty=DEV sid=SID start=TICKS" for this process into OUT. Returns 0, or -1 when it has
 * no controlling terminal or /proc cannot tell. */
int caller_session_identity(char *out, size_t size);

#endif
