/* The records of remembered approvals and the notes of a burst: one format for all three,
 * a header line and then one "name value" line per field, every value visible ASCII,
 * every field named once. A record is only as good as its parse: anything unexpected
 * makes it no record at all (the login asks again). */
#include "config.h"

#include "rules/remember_record.h"

#include "util/sanitize.h"
#include "util/sha256_hex.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 1024 /* any field but the refresh token */

enum field_type { FIELD_TEXT, FIELD_SECRET, FIELD_TIME };

struct field {
	const char *name;
	enum field_type type;
	size_t offset;
	bool required;
};

/* Field initializers, braced where used: clang-format 14 and 19 lay out a braced macro
 * body differently. */
#define RECORD_FIELD(name, type, required) #name, type, offsetof(struct remember_record, name), required
static const struct field record_fields[] = {
	{ RECORD_FIELD(key, FIELD_TEXT, true) },         { RECORD_FIELD(burst, FIELD_TEXT, true) },
	{ RECORD_FIELD(approved_at, FIELD_TIME, true) }, { RECORD_FIELD(revalidated_at, FIELD_TIME, true) },
	{ RECORD_FIELD(remember, FIELD_TIME, true) },    { RECORD_FIELD(caller_uid, FIELD_TIME, true) },
	{ RECORD_FIELD(user, FIELD_TEXT, true) },        { RECORD_FIELD(service, FIELD_TEXT, true) },
	{ RECORD_FIELD(rhost, FIELD_TEXT, true) },       { RECORD_FIELD(sub, FIELD_TEXT, true) },
	{ RECORD_FIELD(username, FIELD_TEXT, true) },    { RECORD_FIELD(refresh_token, FIELD_SECRET, false) },
};

#define BURST_FIELD(name) #name, FIELD_TEXT, offsetof(struct remember_burst, name), true
static const struct field wait_fields[] = {
	{ BURST_FIELD(id) },
	{ BURST_FIELD(user_code) },
	{ BURST_FIELD(verification_uri) },
	{ BURST_FIELD(verification_uri_complete) },
};
static const struct field end_fields[] = {
	{ BURST_FIELD(id) },
	{ BURST_FIELD(outcome) },
};

#define RECORD_HEADER "pam_oauth2 remembered-approval 1"
#define WAIT_HEADER "pam_oauth2 burst-wait 1"
#define END_HEADER "pam_oauth2 burst-end 1"

int remember_key_compute(const struct remember_key_parts *parts, char out[REMEMBER_KEY_HEX + 1])
{
	char uid[32];
	snprintf(uid, sizeof(uid), "%ld", parts->caller_uid);
	const char *values[] = { "pam_oauth2 remember key 1",
				 parts->config_fingerprint,
				 parts->service,
				 parts->user,
				 parts->rhost,
				 parts->tty,
				 parts->auth_info,
				 uid,
				 parts->session };
	enum { COUNT = sizeof(values) / sizeof(values[0]) };
	/* Each part as "LENGTH:TEXT": no two different sets of parts hash the same input. */
	char lengths[COUNT][24];
	const char *input[2 * COUNT];
	for (size_t i = 0; i < COUNT; i++) {
		const char *value = values[i] != NULL ? values[i] : "";
		snprintf(lengths[i], sizeof(lengths[i]), "%zu:", strlen(value));
		input[2 * i] = lengths[i];
		input[2 * i + 1] = value;
	}
	return sha256_hex(input, 2 * COUNT, out);
}

static bool is_hex(const char *text, size_t len)
{
	if (text == NULL || strlen(text) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

static int format_fields(const char *header, const struct field *fields, size_t count, const void *object,
			 struct strbuf *out)
{
	if (strbuf_appendf(out, "%s\n", header) != 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *base = (const char *)object + fields[i].offset;
		if (fields[i].type == FIELD_TIME) {
			if (strbuf_appendf(out, "%s %" PRId64 "\n", fields[i].name, *(const int64_t *)base) != 0)
				return -1;
			continue;
		}
		const char *value = *(char *const *)base;
		if (value == NULL && !fields[i].required)
			continue;
		size_t max = fields[i].type == FIELD_SECRET ? REFRESH_TOKEN_MAX : FIELD_MAX;
		if (value == NULL || value[0] == '\0' || strlen(value) > max ||
		    !is_visible_ascii(value, strlen(value)) ||
		    strbuf_appendf(out, "%s %s\n", fields[i].name, value) != 0)
			return -1;
	}
	return 0;
}

static void clear_fields(const struct field *fields, size_t count, void *object)
{
	for (size_t i = 0; i < count; i++) {
		char *base = (char *)object + fields[i].offset;
		if (fields[i].type == FIELD_TIME) {
			*(int64_t *)base = 0;
			continue;
		}
		char **value = (char **)base;
		if (fields[i].type == FIELD_SECRET)
			secret_free(*value);
		else
			free(*value);
		*value = NULL;
	}
}

static bool parse_time(const char *text, size_t len, int64_t *out)
{
	if (len == 0 || len > 18) /* below INT64_MAX whatever the digits */
		return false;
	int64_t value = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	*out = value;
	return true;
}

/* One line: "NAME VALUE". The value of a secret is copied straight into its field. */
static const char *parse_line(const char *line, size_t len, const struct field *fields, size_t count, void *object,
			      bool *seen)
{
	const char *space = memchr(line, ' ', len);
	if (space == NULL)
		return "a line without a value";
	size_t name_len = (size_t)(space - line), value_len = len - name_len - 1;
	const char *value = space + 1;
	for (size_t i = 0; i < count; i++) {
		if (strlen(fields[i].name) != name_len || memcmp(fields[i].name, line, name_len) != 0)
			continue;
		if (seen[i])
			return "a field named twice";
		seen[i] = true;
		char *base = (char *)object + fields[i].offset;
		if (fields[i].type == FIELD_TIME)
			return parse_time(value, value_len, (int64_t *)base) ? NULL : "a time that is not a number";
		size_t max = fields[i].type == FIELD_SECRET ? REFRESH_TOKEN_MAX : FIELD_MAX;
		if (value_len == 0 || value_len > max || !is_visible_ascii(value, value_len))
			return "a value that is empty, too long or not visible ASCII";
		if ((*(char **)base = strndup(value, value_len)) == NULL)
			return "out of memory";
		return NULL;
	}
	return "an unknown field";
}

static int parse_fields(const char *header, const struct field *fields, size_t count, const char *text, size_t len,
			void *object, const char **why)
{
	bool seen[16] = { false };
	size_t header_len = strlen(header);
	*why = NULL;
	if (len > REMEMBER_FILE_MAX || memchr(text, '\0', len) != NULL) {
		*why = "too long, or holds a NUL byte";
		return -1;
	}
	if (len < header_len + 1 || memcmp(text, header, header_len) != 0 || text[header_len] != '\n') {
		*why = "not a file of this kind or version";
		return -1;
	}
	const char *cursor = text + header_len + 1, *end = text + len;
	while (*why == NULL && cursor < end) {
		const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
		if (newline == NULL) {
			*why = "cut short (no final newline)";
			break;
		}
		*why = parse_line(cursor, (size_t)(newline - cursor), fields, count, object, seen);
		cursor = newline + 1;
	}
	for (size_t i = 0; *why == NULL && i < count; i++) {
		if (fields[i].required && !seen[i])
			*why = "a required field is missing";
	}
	if (*why == NULL)
		return 0;
	clear_fields(fields, count, object);
	return -1;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

int remember_record_format(const struct remember_record *record, struct strbuf *out)
{
	if (!is_hex(record->key, REMEMBER_KEY_HEX) || !is_hex(record->burst, REMEMBER_BURST_HEX))
		return -1;
	return format_fields(RECORD_HEADER, record_fields, COUNT(record_fields), record, out);
}

int remember_record_parse(const char *text, size_t len, const char *expected_key, struct remember_record *record,
			  const char **why)
{
	memset(record, 0, sizeof(*record));
	if (parse_fields(RECORD_HEADER, record_fields, COUNT(record_fields), text, len, record, why) != 0)
		return -1;
	if (!is_hex(record->key, REMEMBER_KEY_HEX) || !is_hex(record->burst, REMEMBER_BURST_HEX))
		*why = "a key or burst that is not hex of the right length";
	else if (expected_key != NULL && strcmp(record->key, expected_key) != 0)
		*why = "written for another key (another configuration, service, user, host or client key)";
	if (*why == NULL)
		return 0;
	remember_record_clear(record);
	return -1;
}

void remember_record_clear(struct remember_record *record)
{
	clear_fields(record_fields, COUNT(record_fields), record);
}

enum remember_reuse remember_record_judge(const struct remember_record *record, int64_t now, long window,
					  const char **why)
{
	*why = NULL;
	if (window <= 0) {
		*why = "remember is off";
		return REMEMBER_REUSE_NONE;
	}
	if (record->approved_at > now + REMEMBER_CLOCK_SKEW || record->revalidated_at > now + REMEMBER_CLOCK_SKEW) {
		*why = "approved in the future (the clock was set back)";
		return REMEMBER_REUSE_NONE;
	}
	/* The window counts from the person's approval: a revalidation proves the grant is
	 * still good, it does not make the approval younger. */
	if (now - record->approved_at >= window || now - record->approved_at >= record->remember) {
		*why = "older than remember";
		return REMEMBER_REUSE_NONE;
	}
	return record->refresh_token != NULL ? REMEMBER_REUSE_REVALIDATE : REMEMBER_REUSE_TIME_ONLY;
}

int remember_burst_format(enum remember_note kind, const struct remember_burst *burst, struct strbuf *out)
{
	if (!is_hex(burst->id, REMEMBER_BURST_HEX))
		return -1;
	if (kind == REMEMBER_NOTE_WAIT)
		return format_fields(WAIT_HEADER, wait_fields, COUNT(wait_fields), burst, out);
	return format_fields(END_HEADER, end_fields, COUNT(end_fields), burst, out);
}

int remember_burst_parse(enum remember_note kind, const char *text, size_t len, struct remember_burst *burst,
			 const char **why)
{
	memset(burst, 0, sizeof(*burst));
	int rc = kind == REMEMBER_NOTE_WAIT
		     ? parse_fields(WAIT_HEADER, wait_fields, COUNT(wait_fields), text, len, burst, why)
		     : parse_fields(END_HEADER, end_fields, COUNT(end_fields), text, len, burst, why);
	if (rc == 0 && !is_hex(burst->id, REMEMBER_BURST_HEX)) {
		*why = "a burst id that is not hex of the right length";
		remember_burst_clear(burst);
		rc = -1;
	}
	return rc;
}

void remember_burst_clear(struct remember_burst *burst)
{
	free(burst->id);
	free(burst->user_code);
	free(burst->verification_uri);
	free(burst->verification_uri_complete);
	free(burst->outcome);
	memset(burst, 0, sizeof(*burst));
}
