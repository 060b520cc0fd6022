#include "config.h"

#include "util/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *buf, size_t limit)
{
	buf->data = NULL;
	buf->len = 0;
	buf->capacity = 0;
	buf->limit = limit;
}

static int strbuf_reserve(struct strbuf *buf, size_t extra)
{
	if (extra > SIZE_MAX / 2 - buf->len)
		return -1;
	size_t needed = buf->len + extra + 1;
	if (buf->limit != 0 && buf->len + extra > buf->limit)
		return -1;
	if (needed <= buf->capacity)
		return 0;
	size_t capacity = buf->capacity ? buf->capacity : 64;
	while (capacity < needed)
		capacity *= 2;
	/* Not realloc: the old block may hold a secret and must be wiped. */
	char *grown = malloc(capacity);
	if (grown == NULL)
		return -1;
	if (buf->data != NULL) {
		memcpy(grown, buf->data, buf->len + 1);
		explicit_bzero(buf->data, buf->capacity);
		free(buf->data);
	} else {
		grown[0] = '\0';
	}
	buf->data = grown;
	buf->capacity = capacity;
	return 0;
}

int strbuf_append(struct strbuf *buf, const char *bytes, size_t len)
{
	if (strbuf_reserve(buf, len) != 0)
		return -1;
	if (len > 0)
		memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int strbuf_append_str(struct strbuf *buf, const char *text)
{
	return strbuf_append(buf, text, strlen(text));
}

int strbuf_appendf(struct strbuf *buf, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int needed = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (needed < 0 || strbuf_reserve(buf, (size_t)needed) != 0)
		return -1;
	va_start(args, format);
	vsnprintf(buf->data + buf->len, (size_t)needed + 1, format, args);
	va_end(args);
	buf->len += (size_t)needed;
	return 0;
}

char *strbuf_release(struct strbuf *buf)
{
	if (buf->data == NULL && strbuf_reserve(buf, 0) != 0)
		return NULL;
	char *data = buf->data;
	buf->data = NULL;
	buf->len = 0;
	buf->capacity = 0;
	return data;
}

void strbuf_wipe_free(struct strbuf *buf)
{
	if (buf->data != NULL) {
		explicit_bzero(buf->data, buf->capacity);
		free(buf->data);
	}
	buf->data = NULL;
	buf->len = 0;
	buf->capacity = 0;
}

void secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
