#include "config.h"

#include "util/basic_auth.h"

#include "util/form_encode.h"

#include <stdbool.h>
#include <string.h>

int base64_encode(struct strbuf *out, const unsigned char *data, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		unsigned int chunk = (unsigned int)data[i] << 16;
		if (i + 1 < len)
			chunk |= (unsigned int)data[i + 1] << 8;
		if (i + 2 < len)
			chunk |= data[i + 2];
		char quad[4] = {
			alphabet[(chunk >> 18) & 63],
			alphabet[(chunk >> 12) & 63],
			i + 1 < len ? alphabet[(chunk >> 6) & 63] : '=',
			i + 2 < len ? alphabet[chunk & 63] : '=',
		};
		if (strbuf_append(out, quad, sizeof(quad)) != 0)
			return -1;
	}
	return 0;
}

char *basic_auth_header_value(const char *client_id, const char *client_secret)
{
	struct strbuf credentials, header;
	strbuf_init(&credentials, 0);
	strbuf_init(&header, 0);
	int rc = form_urlencode(&credentials, client_id);
	rc = rc ? rc : strbuf_append(&credentials, ":", 1);
	rc = rc ? rc : form_urlencode(&credentials, client_secret);
	rc = rc ? rc : strbuf_append_str(&header, "Basic ");
	rc = rc ? rc : base64_encode(&header, (const unsigned char *)credentials.data, credentials.len);
	strbuf_wipe_free(&credentials);
	if (rc != 0) {
		strbuf_wipe_free(&header);
		return NULL;
	}
	return strbuf_release(&header);
}
