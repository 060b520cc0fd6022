/* Strict, bounded access to JSON objects from the network: every field is
 * type-checked and length-checked, and a string holding a NUL byte is refused. */
#ifndef PAM_OAUTH2_JSON_FIELDS_H
#define PAM_OAUTH2_JSON_FIELDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Nesting a response may have: OAuth responses are flat; claims nest a little. */
#define JSON_MAX_DEPTH 16

enum json_field_status {
	JSON_FIELD_OK,
	JSON_FIELD_ABSENT,   /* missing, or JSON null */
	JSON_FIELD_BAD_TYPE, /* present with another type */
	JSON_FIELD_BAD_VALUE /* empty, too long, NUL inside, out of range */
};

/* Parses LEN bytes of BODY as one JSON object (nothing may follow it; UTF-8 is
 * validated). Returns the object (json_object_put it) or NULL; WHY says what was wrong. */
struct json_object *json_parse_object(const char *body, size_t len, const char **why);

/* Copies string field KEY (1..MAX_LEN bytes, no NUL inside) into a new string *OUT. */
enum json_field_status json_get_string(struct json_object *obj, const char *key, size_t max_len, char **out);

/* Reads integer field KEY within [MIN, MAX]. A JSON number with a fraction is BAD_TYPE. */
enum json_field_status json_get_integer(struct json_object *obj, const char *key, long min, long max, long *out);

/* Wipes every string value in OBJ (recursively) and drops the reference: for objects
 * that held tokens or codes, whose copies json-c would otherwise leave in freed memory. */
void json_object_wipe_put(struct json_object *obj);

#endif
