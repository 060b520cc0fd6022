#include "config.h"

#include "io/local_account.h"

#include <pwd.h>
#include <stddef.h>

bool local_account_is_superuser(const char *user)
{
	struct passwd entry, *found = NULL;
	char buffer[4096];
	return user != NULL && getpwnam_r(user, &entry, buffer, sizeof(buffer), &found) == 0 && found != NULL &&
	       found->pw_uid == 0;
}
