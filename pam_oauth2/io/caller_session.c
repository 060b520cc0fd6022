#include "config.h"

#include "io/caller_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fields of /proc/PID/stat after the command name (which may hold spaces and ")"):
 * FIELDS[0] is field 3 (state), so field N is FIELDS[N - 3] (proc(5)). */
static int stat_fields(const char *path, char *text, size_t size, char **fields, int count)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got;
	do
		got = read(fd, text, size - 1);
	while (got < 0 && errno == EINTR);
	close(fd);
	if (got <= 0)
		return -1;
	text[got] = '\0';
	char *cursor = strrchr(text, ')');
	if (cursor == NULL)
		return -1;
	cursor++;
	for (int i = 0; i < count; i++) {
		while (*cursor == ' ')
			cursor++;
		if (*cursor == '\0')
			return -1;
		fields[i] = cursor;
		cursor += strcspn(cursor, " ");
		if (*cursor != '\0')
			*cursor++ = '\0';
	}
	return 0;
}

int caller_session_identity(char *out, size_t size)
{
	char self[1024], leader[1024], path[64];
	char *mine[5], *theirs[20];
	/* proc(5): field 6 session, field 7 tty_nr; field 22 starttime. */
	if (stat_fields("/proc/self/stat", self, sizeof(self), mine, 5) != 0)
		return -1;
	long tty = strtol(mine[4], NULL, 10), sid = strtol(mine[3], NULL, 10);
	if (tty == 0 || sid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", sid);
	if (stat_fields(path, leader, sizeof(leader), theirs, 20) != 0)
		return -1;
	int n = snprintf(out, size, "tty=%ld sid=%ld start=%s", tty, sid, theirs[19]);
	return n > 0 && (size_t)n < size ? 0 : -1;
}
