#include "config.h"

#include "util/qr_render.h"

#include "util/strbuf.h"

#include <qrencode.h>
#include <stdbool.h>

const char *const qr_mode_names[] = { "off", "utf8", "ascii", NULL };

/* Whether the module at (X, Y) is dark; outside the symbol is the light quiet zone. */
static bool module_is_dark(const QRcode *code, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= code->width || y >= code->width)
		return false;
	return (code->data[y * code->width + x] & 1) != 0;
}

static int render_utf8(const QRcode *code, struct line_list *lines)
{
	/* Drawn glyphs stand for light modules: upper half, lower half, both, none. */
	static const char *const glyphs[2][2] = {
		/* upper dark? no */ { "\xe2\x96\x88" /* full block */, "\xe2\x96\x80" /* upper half */ },
		/* upper dark? yes */ { "\xe2\x96\x84" /* lower half */, " " },
	};
	int size = code->width + 2 * QR_QUIET_ZONE;
	for (int y = 0; y < size; y += 2) {
		struct strbuf row;
		strbuf_init(&row, 0);
		for (int x = 0; x < size; x++) {
			bool upper_dark = module_is_dark(code, x, y);
			bool lower_dark = y + 1 < size ? module_is_dark(code, x, y + 1) : true;
			if (strbuf_append_str(&row, glyphs[upper_dark][lower_dark]) != 0) {
				strbuf_wipe_free(&row);
				return -1;
			}
		}
		if (line_list_append_owned(lines, strbuf_release(&row)) != 0)
			return -1;
	}
	return 0;
}

static int render_ascii(const QRcode *code, struct line_list *lines)
{
	int size = code->width + 2 * QR_QUIET_ZONE;
	for (int y = 0; y < size; y++) {
		struct strbuf row;
		strbuf_init(&row, 0);
		for (int x = 0; x < size; x++) {
			if (strbuf_append_str(&row, module_is_dark(code, x, y) ? "  " : "##") != 0) {
				strbuf_wipe_free(&row);
				return -1;
			}
		}
		if (line_list_append_owned(lines, strbuf_release(&row)) != 0)
			return -1;
	}
	return 0;
}

int qr_render(const char *text, enum qr_mode mode, struct line_list *lines)
{
	if (mode == QR_OFF)
		return 0;
	QRcode *code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
	if (code == NULL)
		return -1;
	int rc = mode == QR_UTF8 ? render_utf8(code, lines) : render_ascii(code, lines);
	QRcode_free(code);
	return rc;
}
