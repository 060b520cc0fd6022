#include "config.h"

#include "util/form_encode.h"

#include <stdbool.h>
#include <string.h>

static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

int form_urlencode(struct strbuf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		char encoded[3];
		size_t len = 1;
		if (is_unreserved(*p)) {
			encoded[0] = (char)*p;
		} else if (*p == ' ') {
			encoded[0] = '+';
		} else {
			encoded[0] = '%';
			encoded[1] = hex[*p >> 4];
			encoded[2] = hex[*p & 0x0f];
			len = 3;
		}
		if (strbuf_append(out, encoded, len) != 0)
			return -1;
	}
	return 0;
}

int form_append_field(struct strbuf *body, const char *name, const char *value)
{
	if (body->len > 0 && strbuf_append(body, "&", 1) != 0)
		return -1;
	if (form_urlencode(body, name) != 0 || strbuf_append(body, "=", 1) != 0)
		return -1;
	return form_urlencode(body, value);
}
