#include "config.h"

#include "io/trusted_file.h"

#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens PATH and checks what was opened: a regular file of OWNER without FORBIDDEN_MODE
 * bits. Returns the descriptor, or -1 with *WHY. */
static int open_trusted(const char *path, int open_flags, uid_t owner, mode_t forbidden_mode, const char **why)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (the S_ISREG check refuses it). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | open_flags);
	if (fd < 0) {
		*why = errno == ELOOP ? "is a symbolic link" : "cannot be opened";
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "is not a regular file";
	} else if (st.st_uid != owner) {
		*why = "is not owned by root";
	} else if ((st.st_mode & forbidden_mode) != 0) {
		*why = (forbidden_mode & (S_IRGRP | S_IROTH)) != 0 ? "is accessible by group or others (chmod 600)"
								   : "is writable by group or others";
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

static int read_trusted(const char *path, int open_flags, uid_t owner, mode_t forbidden_mode, size_t max_size,
			char **content, const char **why)
{
	*content = NULL;
	int fd = open_trusted(path, open_flags, owner, forbidden_mode, why);
	if (fd < 0)
		return -1;
	struct strbuf text;
	/* One byte past the limit tells "too large" from "exactly at the limit". */
	strbuf_init(&text, max_size + 1);
	int rc = -1;
	char chunk[4096];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*why = "cannot be read";
			break;
		}
		if (got == 0) {
			rc = 0;
			break;
		}
		if (strbuf_append(&text, chunk, (size_t)got) != 0) {
			*why = "is too large";
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (rc == 0 && (text.len > max_size || (text.len > 0 && memchr(text.data, '\0', text.len) != NULL))) {
		*why = text.len > max_size ? "is too large" : "holds a NUL byte";
		rc = -1;
	}
	if (rc == 0 && (*content = strbuf_release(&text)) == NULL) {
		*why = "out of memory";
		rc = -1;
	}
	strbuf_wipe_free(&text);
	close(fd);
	return rc;
}

int trusted_file_read(const char *path, uid_t owner, mode_t forbidden_mode, size_t max_size, char **content,
		      const char **why)
{
	return read_trusted(path, O_NOFOLLOW, owner, forbidden_mode, max_size, content, why);
}

int trusted_file_check_following(const char *path, uid_t owner, mode_t forbidden_mode, const char **why)
{
	int fd = open_trusted(path, 0, owner, forbidden_mode, why);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int trusted_file_identity(const char *path, char *out, size_t size)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	long long mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	int n = snprintf(out, size, "%llu:%llu:%lld:%lld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (long long)st.st_size, mtime_ns);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int secret_file_read(const char *path, uid_t owner, char **secret, const char **why)
{
	char *content;
	*secret = NULL;
	if (trusted_file_read(path, owner, S_IRWXG | S_IRWXO, SECRET_FILE_MAX, &content, why) != 0)
		return -1;
	size_t len = strlen(content);
	while (len > 0 && (content[len - 1] == '\n' || content[len - 1] == '\r'))
		content[--len] = '\0';
	if (len == 0 || strchr(content, '\n') != NULL) {
		*why = "must hold one non-empty line";
		secret_free(content);
		return -1;
	}
	*secret = content;
	return 0;
}
