/* A growable, always NUL-terminated byte buffer. Its memory is wiped before it is
 * freed or grown, so it may hold secrets (request bodies, tokens). */
#ifndef PAM_OAUTH2_STRBUF_H
#define PAM_OAUTH2_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;
	size_t len;
	size_t capacity;
	size_t limit; /* 0: no limit; else appends past it fail */
};

void strbuf_init(struct strbuf *buf, size_t limit);
/* Each returns 0, or -1 when memory runs out or the limit would be passed. */
int strbuf_append(struct strbuf *buf, const char *bytes, size_t len);
int strbuf_append_str(struct strbuf *buf, const char *text);
int strbuf_appendf(struct strbuf *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (never NULL on success) and resets the buffer. */
char *strbuf_release(struct strbuf *buf);
void strbuf_wipe_free(struct strbuf *buf);

/* Wipes and frees a C string; NULL is fine. */
void secret_free(char *secret);

#endif
