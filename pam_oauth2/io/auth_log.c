#include "config.h"

#include "io/auth_log.h"

#include "util/sanitize.h"

#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void auth_log(pam_handle_t *pamh, int priority, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	pam_vsyslog(pamh, priority, format, args);
	va_end(args);
}

/* A PAM item as safe, bounded text; "-" when unset. */
static char *item_text(pam_handle_t *pamh, int item)
{
	const void *value = NULL;
	if (pam_get_item(pamh, item, &value) != PAM_SUCCESS || value == NULL || ((const char *)value)[0] == '\0')
		value = "-";
	return sanitize_for_terminal(value, strlen(value), 64);
}

void auth_log_outcome(pam_handle_t *pamh, int priority, const char *result, const char *reason)
{
	char *user = item_text(pamh, PAM_USER);
	char *service = item_text(pamh, PAM_SERVICE);
	char *rhost = item_text(pamh, PAM_RHOST);
	/* The reason is built from sanitized parts, but cutting it to size may split a character. */
	char *safe_reason = sanitize_for_terminal(reason, strlen(reason), 480);
	auth_log(pamh, priority, "user=%s service=%s rhost=%s result=%s reason=%s", user ? user : "?",
		 service ? service : "?", rhost ? rhost : "?", result, safe_reason ? safe_reason : "?");
	free(safe_reason);
	free(user);
	free(service);
	free(rhost);
}
