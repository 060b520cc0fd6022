/* Unit-test helpers: a scratch directory per test, and files written with an exact mode.
 * Include after <cmocka.h>. */
#ifndef PAM_OAUTH2_TEST_SCRATCH_DIR_H
#define PAM_OAUTH2_TEST_SCRATCH_DIR_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates /tmp/NAME.XXXXXX into DIR (SIZE bytes). Returns 0 or -1. */
static inline int scratch_dir_create(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static inline int scratch_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* Removes DIR and everything in it, without following symlinks. Returns 0 or -1. */
static inline int scratch_dir_remove(const char *dir)
{
	return nftw(dir, scratch_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes LEN bytes of CONTENT to PATH with exactly MODE (whatever the umask). */
static inline void write_bytes(const char *path, const char *content, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static inline void write_file(const char *path, const char *content, mode_t mode)
{
	write_bytes(path, content, strlen(content), mode);
}

#endif
