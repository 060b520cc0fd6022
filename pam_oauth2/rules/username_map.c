#include "config.h"

#include "rules/username_map.h"

#include "util/sanitize.h"

#include <string.h>
#include <strings.h>

/* One line's fields: identity and the comma-separated user list, as spans of the content. */
struct map_line {
	const char *identity;
	size_t identity_len;
	const char *users;
	size_t users_len;
	bool blank; /* empty or comment */
	bool valid;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static struct map_line split_line(const char *line, size_t len)
{
	struct map_line out = { 0 };
	size_t i = 0;
	while (i < len && is_space(line[i]))
		i++;
	if (i == len || line[i] == '#') {
		out.blank = out.valid = true;
		return out;
	}
	out.identity = line + i;
	while (i < len && !is_space(line[i]))
		i++;
	out.identity_len = (size_t)(line + i - out.identity);
	while (i < len && is_space(line[i]))
		i++;
	out.users = line + i;
	while (i < len && !is_space(line[i]))
		i++;
	out.users_len = (size_t)(line + i - out.users);
	while (i < len && is_space(line[i]))
		i++;
	/* Exactly two fields; no empty user in the list ("a,,b", ",a", "a,"). */
	out.valid = out.users_len > 0 && i == len && out.users[0] != ',' && out.users[out.users_len - 1] != ',' &&
		    memmem(out.users, out.users_len, ",,", 2) == NULL;
	for (size_t j = 0; j < len; j++) {
		if (((unsigned char)line[j] < 0x20 && line[j] != '\t' && line[j] != '\r') || line[j] == 0x7f)
			out.valid = false;
	}
	return out;
}

/* Calls VISIT for each line; stops when it returns true. Returns that line's number or 0. */
static unsigned for_each_line(const char *content, bool (*visit)(const struct map_line *, void *), void *data)
{
	unsigned number = 0;
	for (const char *line = content; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		struct map_line fields = split_line(line, len);
		number++;
		if (visit(&fields, data))
			return number;
		line += len + (end != NULL ? 1 : 0);
	}
	return 0;
}

static bool is_invalid(const struct map_line *line, void *data)
{
	(void)data;
	return !line->valid;
}

int username_map_validate(const char *content, unsigned *bad_line, const char **why)
{
	*bad_line = for_each_line(content, is_invalid, NULL);
	if (*bad_line != 0) {
		*why = "expected 'IDENTITY LOCALUSER[,LOCALUSER...]'";
		return -1;
	}
	return 0;
}

struct lookup {
	const char *identity;
	const char *local_user;
	bool ignore_case;
};

static bool lists_user(const struct map_line *line, void *data)
{
	const struct lookup *lookup = data;
	if (line->blank || !line->valid || line->identity_len != strlen(lookup->identity))
		return false;
	bool same = lookup->ignore_case
			? ascii_equal_ignoring_case(line->identity, lookup->identity, line->identity_len)
			: memcmp(line->identity, lookup->identity, line->identity_len) == 0;
	if (!same)
		return false;
	size_t user_len = strlen(lookup->local_user);
	for (const char *user = line->users; user < line->users + line->users_len;) {
		const char *comma = memchr(user, ',', (size_t)(line->users + line->users_len - user));
		size_t len = comma != NULL ? (size_t)(comma - user) : (size_t)(line->users + line->users_len - user);
		if (len == user_len && memcmp(user, lookup->local_user, len) == 0)
			return true;
		user += len + 1;
	}
	return false;
}

bool username_map_allows(const char *content, const char *identity, const char *local_user, bool ignore_case)
{
	struct lookup lookup = { identity, local_user, ignore_case };
	return for_each_line(content, lists_user, &lookup) != 0;
}
