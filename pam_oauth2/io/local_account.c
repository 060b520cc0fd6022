#include "config.h"

#include "io/local_account.h"

#include <pwd.h>
#include <stddef.h>
#include <string.h>

bool local_account_is_superuser(const char *user)
{
	if (user == NULL)
		return true;
	struct passwd entry, *found = NULL;
	char buffer[16384];
	int rc = getpwnam_r(user, &entry, buffer, sizeof(buffer), &found);
	/* getpwnam_r: 0 and no entry means "no such user"; an error code means no answer. */
	if (rc != 0)
		return true;
	bool superuser = found != NULL && found->pw_uid == 0;
	explicit_bzero(buffer, sizeof(buffer));
	return superuser;
}

bool local_account_uid(const char *user, uid_t *uid)
{
	struct passwd entry, *found = NULL;
	char buffer[16384];
	bool known = user != NULL && getpwnam_r(user, &entry, buffer, sizeof(buffer), &found) == 0 && found != NULL;
	if (known)
		*uid = found->pw_uid;
	explicit_bzero(buffer, sizeof(buffer));
	return known;
}
