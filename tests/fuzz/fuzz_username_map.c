/* libFuzzer target: the username map file. A map that validates is queried with
 * fixed pairs and with its own first line, which it must allow. */
#include "fuzz_common.h"

#include "rules/username_map.h"

/* The first line that is not blank or a comment, as identity and first local user
 * (the format of username_map.h: "IDENTITY  LOCALUSER[,LOCALUSER...]"). */
static bool first_pair(const char *content, char **identity, char **user)
{
	for (const char *line = content; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		size_t i = strspn(line, " \t\r");
		if (i < len && line[i] != '#') {
			size_t id_len = strcspn(line + i, " \t\r\n");
			size_t j = i + id_len + strspn(line + i + id_len, " \t\r");
			size_t user_len = strcspn(line + j, " \t\r\n,");
			if (user_len == 0)
				return false;
			*identity = strndup(line + i, id_len);
			*user = strndup(line + j, user_len);
			return *identity != NULL && *user != NULL;
		}
		line += len + (line[len] == '\n' ? 1 : 0);
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > USERNAME_MAP_MAX)
		return 0;
	char *content = fuzz_strndup(data, size);
	unsigned bad_line = 0;
	const char *why = NULL;
	if (username_map_validate(content, &bad_line, &why) != 0) {
		FUZZ_ASSERT(bad_line >= 1 && why != NULL);
		free(content);
		return 0;
	}
	(void)username_map_allows(content, "alice", "alice", false);
	(void)username_map_allows(content, "ALICE@example.com", "root", true);
	(void)username_map_allows(content, "", "", false);
	char *identity = NULL, *user = NULL;
	if (first_pair(content, &identity, &user)) {
		FUZZ_ASSERT(username_map_allows(content, identity, user, false));
		FUZZ_ASSERT(username_map_allows(content, identity, user, true));
	}
	free(identity);
	free(user);
	free(content);
	return 0;
}
