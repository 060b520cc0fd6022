/* The module's lines in syslog (LOG_AUTHPRIV, through pam_syslog). The only file that
 * logs. Arguments from the network must be sanitized before they get here. */
#ifndef PAM_OAUTH2_AUTH_LOG_H
#define PAM_OAUTH2_AUTH_LOG_H

#include <security/pam_modules.h>
#include <stdbool.h>
#include <syslog.h>

void auth_log(pam_handle_t *pamh, int priority, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* The one line per login outcome: user, service and rhost (sanitized here), then
 * RESULT and REASON. */
void auth_log_outcome(pam_handle_t *pamh, int priority, const char *result, const char *reason);

#endif
