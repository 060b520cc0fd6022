#include "config.h"

#include "login/display.h"

#include "util/sanitize.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* Names from the login's context are shown, never trusted: a user name given to ssh can
 * hold escape sequences. */
#define CONTEXT_FIELD_MAX 64

static char *safe_field(const char *text, const char *fallback)
{
	if (text == NULL || text[0] == '\0')
		text = fallback;
	return sanitize_for_terminal(text, strlen(text), CONTEXT_FIELD_MAX);
}

static int append_context_line(const struct login_context *context, struct line_list *lines)
{
	char *user = safe_field(context->user, "?");
	char *host = safe_field(context->host, "this host");
	char *service = safe_field(context->service, "login");
	char *rhost = context->rhost != NULL && context->rhost[0] != '\0' ? safe_field(context->rhost, "") : NULL;
	int rc = -1;
	if (user != NULL && host != NULL && service != NULL) {
		if (rhost != NULL)
			rc = line_list_appendf(lines, "Approve sign-in as %s on %s (%s) from %s.", user, host, service,
					       rhost);
		else
			rc = line_list_appendf(lines, "Approve sign-in as %s on %s (%s).", user, host, service);
	}
	free(user);
	free(host);
	free(service);
	free(rhost);
	return rc;
}

int login_display_render(const struct login_context *context, const struct device_authorization *auth,
			 enum qr_mode qr_mode, struct line_list *lines)
{
	if (append_context_line(context, lines) != 0)
		return -1;
	/* The parser admitted only https URIs and codes of visible ASCII, so they print as they are. */
	if (line_list_appendf(lines, "Open %s and enter the code: %s", auth->verification_uri, auth->user_code) != 0)
		return -1;
	if (qr_mode != QR_OFF) {
		const char *qr_text =
		    auth->verification_uri_complete != NULL ? auth->verification_uri_complete : auth->verification_uri;
		struct line_list qr_lines;
		line_list_init(&qr_lines);
		/* A QR that cannot be drawn costs the person a scan, not the login: the text above suffices. */
		int rc = 0;
		if (qr_render(qr_text, qr_mode, &qr_lines) == 0 && qr_lines.count > 0) {
			rc = line_list_append(lines, "Or scan:");
			for (size_t i = 0; rc == 0 && i < qr_lines.count; i++)
				rc = line_list_append(lines, qr_lines.lines[i]);
		}
		line_list_free(&qr_lines);
		if (rc != 0)
			return -1;
	}
	return line_list_append(lines, "Approve only if you started this sign-in yourself.");
}

int login_display_pack(const struct line_list *lines, size_t max_bytes, struct line_list *messages)
{
	struct strbuf message;
	strbuf_init(&message, 0);
	/* Lines are counted, not bytes: an empty line adds no byte to a new message, yet is a line. */
	size_t in_message = 0;
	for (size_t i = 0; i < lines->count; i++) {
		const char *line = lines->lines[i];
		size_t len = strlen(line);
		if (len > max_bytes)
			len = max_bytes;
		size_t joined = message.len + (in_message > 0 ? 1 : 0) + len;
		if (in_message > 0 && joined > max_bytes) {
			if (line_list_append_owned(messages, strbuf_release(&message)) != 0)
				goto fail;
			in_message = 0;
		}
		if ((in_message > 0 && strbuf_append(&message, "\n", 1) != 0) ||
		    strbuf_append(&message, line, len) != 0)
			goto fail;
		in_message++;
	}
	if (in_message > 0 && line_list_append_owned(messages, strbuf_release(&message)) != 0)
		goto fail;
	strbuf_wipe_free(&message);
	return 0;
fail:
	strbuf_wipe_free(&message);
	return -1;
}
