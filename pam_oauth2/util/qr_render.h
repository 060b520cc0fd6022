/* A QR code as lines of text, for terminals that show nothing but characters. */
#ifndef PAM_OAUTH2_QR_RENDER_H
#define PAM_OAUTH2_QR_RENDER_H

#include "util/line_list.h"

enum qr_mode {
	QR_OFF,
	QR_UTF8, /* two module rows per line with half blocks */
	QR_ASCII /* one module row per line, two characters per module */
};

/* The quiet zone the QR specification asks for around the symbol, in modules. */
#define QR_QUIET_ZONE 4

/* Appends the QR code of TEXT (byte mode, error correction level L) to LINES.
 * Light modules, the quiet zone included, are drawn and dark ones left blank: on
 * the usual light-on-dark terminal that gives dark modules on a light field, as
 * `qrencode -t UTF8` does. Returns 0, or -1 when the text does not fit a QR code
 * or memory runs out. QR_OFF appends nothing. */
/* The configuration's names of each mode, index = value, NULL-terminated. */
extern const char *const qr_mode_names[];

int qr_render(const char *text, enum qr_mode mode, struct line_list *lines);

#endif
