/* What the person at the terminal is shown: what they are approving (RFC 8628 §5.4),
 * where, the code as text (§3.3.1) and a QR code; then that text packed into PAM
 * messages no longer than PAM allows. */
#ifndef PAM_OAUTH2_LOGIN_DISPLAY_H
#define PAM_OAUTH2_LOGIN_DISPLAY_H

#include "idp/device_authorization.h"
#include "util/line_list.h"
#include "login/context.h"
#include "util/qr_render.h"

#include <stdbool.h>
#include <stddef.h>

/* CONTEXT's fields may come from the client side (a user name typed at ssh, a remote
 * host): they are sanitized here before display. NULL is fine. */
/* Appends the lines to show for AUTH to LINES. The QR code encodes
 * verification_uri_complete when the server sent one, else verification_uri; when
 * it cannot be drawn the text lines alone are shown. Returns 0 or -1 (memory). */
int login_display_render(const struct login_context *context, const struct device_authorization *auth,
			 enum qr_mode qr_mode, struct line_list *lines);

/* Packs LINES, in order, into MESSAGES: each message is whole lines joined by '\n',
 * at most MAX_BYTES long. A line longer than MAX_BYTES is cut there (lines are
 * built by us, so this is only a guard). Returns 0 or -1 (memory). */
int login_display_pack(const struct line_list *lines, size_t max_bytes, struct line_list *messages);

#endif
