/* An ordered list of owned text lines: what the user is shown, before it is packed
 * into PAM messages. */
#ifndef PAM_OAUTH2_LINE_LIST_H
#define PAM_OAUTH2_LINE_LIST_H

#include <stddef.h>

struct line_list {
	char **lines;
	size_t count;
	size_t capacity;
};

void line_list_init(struct line_list *list);
/* Copies TEXT. Returns 0, or -1 when memory runs out. */
int line_list_append(struct line_list *list, const char *text);
/* Takes ownership of TEXT (freed on failure too). */
int line_list_append_owned(struct line_list *list, char *text);
int line_list_appendf(struct line_list *list, const char *format, ...) __attribute__((format(printf, 2, 3)));
void line_list_free(struct line_list *list);

#endif
