#include "config.h"

#include "util/line_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void line_list_init(struct line_list *list)
{
	list->lines = NULL;
	list->count = 0;
	list->capacity = 0;
}

int line_list_append_owned(struct line_list *list, char *text)
{
	if (text == NULL)
		return -1;
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 16;
		char **grown = realloc(list->lines, capacity * sizeof(*grown));
		if (grown == NULL) {
			free(text);
			return -1;
		}
		list->lines = grown;
		list->capacity = capacity;
	}
	list->lines[list->count++] = text;
	return 0;
}

int line_list_append(struct line_list *list, const char *text)
{
	return line_list_append_owned(list, strdup(text));
}

int line_list_appendf(struct line_list *list, const char *format, ...)
{
	char *text = NULL;
	va_list args;
	va_start(args, format);
	int written = vasprintf(&text, format, args);
	va_end(args);
	if (written < 0)
		return -1;
	return line_list_append_owned(list, text);
}

void line_list_free(struct line_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->lines[i]);
	free(list->lines);
	line_list_init(list);
}
