#include "config.h"

#include "util/json_fields.h"

#include <json-c/printbuf.h>
#include "util/json_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The tokener copies each string and number it reads into its buffer, which grows and is
 * freed unwiped: a body holding tokens would leave pieces of them in freed memory. */
static void wipe_tokener_buffer(struct json_tokener *tokener)
{
	struct printbuf *buffer = tokener->pb;
	if (buffer != NULL && buffer->buf != NULL && buffer->size > 0)
		explicit_bzero(buffer->buf, (size_t)buffer->size);
}

struct json_object *json_parse_object(const char *body, size_t len, const char **why)
{
	*why = NULL;
	if (len == 0 || len > INT32_MAX) {
		*why = "empty body";
		return NULL;
	}
	/* Strictness is ours (json_text.h), not JSON_TOKENER_STRICT's, whose meaning changes
	 * between json-c releases; json-c then only builds the objects of text known good. */
	*why = json_text_check(body, len, JSON_MAX_DEPTH);
	if (*why != NULL)
		return NULL;
	size_t start = 0; /* the checked text holds a value: this stops before LEN */
	while (body[start] == ' ' || body[start] == '\t' || body[start] == '\r' || body[start] == '\n')
		start++;
	if (body[start] != '{') {
		*why = "JSON is not an object";
		return NULL;
	}
	struct json_tokener *tokener = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tokener == NULL) {
		*why = "out of memory";
		return NULL;
	}
	/* The tokener copies each string it reads into a buffer that grows by realloc, which
	 * frees the smaller block unwiped: sized once for the whole text beforehand, it never
	 * grows, and the one block is wiped below. */
	if (tokener->pb != NULL && printbuf_memset(tokener->pb, 0, 0, (int)len + 1) >= 0)
		printbuf_reset(tokener->pb);
	struct json_object *obj = json_tokener_parse_ex(tokener, body, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tokener);
	wipe_tokener_buffer(tokener);
	json_tokener_free(tokener);
	if (err != json_tokener_success || !json_object_is_type(obj, json_type_object)) {
		/* Not reached for checked text; kept so that a json-c that disagrees fails closed. */
		json_object_put(obj);
		*why = "malformed JSON";
		return NULL;
	}
	return obj;
}

static struct json_object *json_field(struct json_object *obj, const char *key)
{
	struct json_object *value = NULL;
	if (!json_object_object_get_ex(obj, key, &value) || json_object_is_type(value, json_type_null))
		return NULL;
	return value;
}

enum json_field_status json_get_string(struct json_object *obj, const char *key, size_t max_len, char **out)
{
	*out = NULL;
	struct json_object *value = json_field(obj, key);
	if (value == NULL)
		return JSON_FIELD_ABSENT;
	if (!json_object_is_type(value, json_type_string))
		return JSON_FIELD_BAD_TYPE;
	const char *text = json_object_get_string(value);
	size_t len = (size_t)json_object_get_string_len(value);
	if (len == 0 || len > max_len || strlen(text) != len)
		return JSON_FIELD_BAD_VALUE;
	*out = strndup(text, len);
	return *out != NULL ? JSON_FIELD_OK : JSON_FIELD_BAD_VALUE;
}

enum json_field_status json_get_integer(struct json_object *obj, const char *key, long min, long max, long *out)
{
	struct json_object *value = json_field(obj, key);
	if (value == NULL)
		return JSON_FIELD_ABSENT;
	if (!json_object_is_type(value, json_type_int))
		return JSON_FIELD_BAD_TYPE;
	int64_t number = json_object_get_int64(value);
	/* json-c saturates out-of-range numbers at INT64_MIN/MAX; those fall outside any sane range. */
	if (number < min || number > max)
		return JSON_FIELD_BAD_VALUE;
	*out = (long)number;
	return JSON_FIELD_OK;
}

static void wipe_strings(struct json_object *obj)
{
	if (json_object_is_type(obj, json_type_string)) {
		/* json-c owns this buffer and frees it next: wiping it in place is safe. */
		explicit_bzero((char *)json_object_get_string(obj), (size_t)json_object_get_string_len(obj));
	} else if (json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, key, value)
		{
			(void)key;
			wipe_strings(value);
		}
	} else if (json_object_is_type(obj, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			wipe_strings(json_object_array_get_idx(obj, i));
	}
}

void json_object_wipe_put(struct json_object *obj)
{
	/* Callers pass objects only they hold: nothing else still reads these strings. */
	if (obj == NULL)
		return;
	wipe_strings(obj);
	json_object_put(obj);
}
