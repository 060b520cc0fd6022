#include "config.h"

#include "io/private_dir.h"

#include "io/trusted_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_LEN 4096

int private_dir_check(const char *dir, uid_t owner, bool create, const char **why)
{
	struct stat st;
	if (lstat(dir, &st) != 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*why = "directory cannot be created";
			return -1;
		}
		/* The caller's umask (su passes it through) must not decide the mode. */
		chmod(dir, 0700);
	}
	if (lstat(dir, &st) != 0) {
		*why = "directory is missing";
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != owner || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*why = "directory is not a directory of root's with mode 0700";
		return -1;
	}
	return 0;
}

static bool safe_name(const char *name)
{
	if (name[0] == '\0' || name[0] == '.')
		return false;
	for (const char *c = name; *c != '\0'; c++) {
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '.'))
			return false;
	}
	return true;
}

static int entry_path(char out[PATH_LEN], const char *dir, const char *name, const char **why)
{
	if (!safe_name(name) || snprintf(out, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN) {
		*why = "entry name unsafe or path too long";
		return -1;
	}
	return 0;
}

int private_dir_read(const char *dir, const char *name, uid_t owner, size_t max_size, char **content, const char **why)
{
	char path[PATH_LEN];
	*content = NULL;
	if (private_dir_check(dir, owner, false, why) != 0 || entry_path(path, dir, name, why) != 0)
		return -1;
	return trusted_file_read(path, owner, S_IRWXG | S_IRWXO, max_size, content, why);
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t written = write(fd, data, len);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return false;
		data += written;
		len -= (size_t)written;
	}
	return true;
}

int private_dir_replace(const char *dir, const char *name, uid_t owner, const char *data, size_t len, const char **why)
{
	char path[PATH_LEN], temporary[PATH_LEN];
	if (private_dir_check(dir, owner, true, why) != 0 || entry_path(path, dir, name, why) != 0)
		return -1;
	if (snprintf(temporary, sizeof(temporary), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(temporary)) {
		*why = "path too long";
		return -1;
	}
	/* mkstemp creates the file 0600 with O_EXCL: nobody else's file is ever written. */
	int fd = mkstemp(temporary);
	if (fd < 0) {
		*why = "cannot create a file";
		return -1;
	}
	bool ok = fchmod(fd, 0600) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(temporary, path) != 0) {
		unlink(temporary);
		*why = "cannot write the file";
		return -1;
	}
	return 0;
}

int private_dir_remove(const char *dir, const char *name)
{
	char path[PATH_LEN];
	const char *why;
	if (entry_path(path, dir, name, &why) != 0)
		return -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int private_dir_lock(const char *dir, const char *name, uid_t owner, bool *busy, const char **why)
{
	char path[PATH_LEN];
	*busy = false;
	if (private_dir_check(dir, owner, true, why) != 0 || entry_path(path, dir, name, why) != 0)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0) {
		*why = errno == ELOOP ? "lock is a symbolic link" : "lock cannot be opened";
		return -1;
	}
	struct stat st, now;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 || fchmod(fd, 0600) != 0) {
		close(fd);
		*why = "lock is not a file of root's with mode 0600";
		return -1;
	}
	/* flock, not fcntl: its lock belongs to this open file, so two PAM handles of one
	 * process exclude each other too. */
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		*busy = errno == EWOULDBLOCK;
		*why = *busy ? "held by another login" : "lock cannot be taken";
		close(fd);
		return -1;
	}
	/* Its holder may have removed it meanwhile (private_dir_unlock_remove): then this is
	 * a lock nobody else will ever ask for. */
	if (lstat(path, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		close(fd);
		*busy = true;
		*why = "held by another login (renewed)";
		return -1;
	}
	return fd;
}

void private_dir_unlock_remove(const char *dir, const char *name, int fd)
{
	if (fd < 0)
		return;
	private_dir_remove(dir, name);
	close(fd);
}

int private_dir_identity(const char *dir, const char *name, char *out, size_t size)
{
	char path[PATH_LEN];
	const char *why;
	struct stat st;
	if (entry_path(path, dir, name, &why) != 0)
		return -1;
	if (lstat(path, &st) != 0) {
		snprintf(out, size, "%s", "");
		return errno == ENOENT ? 0 : -1;
	}
	long long mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	int n = snprintf(out, size, "%llu:%llu:%lld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 mtime_ns);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

void private_dir_sweep(const char *dir, uid_t owner, long long now, long (*max_age)(const char *name))
{
	const char *why;
	if (private_dir_check(dir, owner, false, &why) != 0)
		return;
	DIR *listing = opendir(dir);
	if (listing == NULL)
		return;
	struct dirent *entry;
	while ((entry = readdir(listing)) != NULL) {
		const char *name = entry->d_name;
		char path[PATH_LEN];
		struct stat st;
		long age = strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ? 0 : max_age(name);
		if (age <= 0 || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
		    (long long)st.st_mtim.tv_sec + age > now)
			continue;
		size_t len = strlen(name);
		if (len > 5 && strcmp(name + len - 5, ".lock") == 0) {
			bool busy;
			int fd = private_dir_lock(dir, name, owner, &busy, &why);
			private_dir_unlock_remove(dir, name, fd);
		} else {
			unlink(path);
		}
	}
	closedir(listing);
}

void private_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the only descriptor of the open file ends its flock */
}

int private_dir_each(const char *dir, uid_t owner, const char *suffix, int (*visit)(const char *name, void *data),
		     void *data, const char **why)
{
	if (private_dir_check(dir, owner, false, why) != 0)
		return -1;
	DIR *listing = opendir(dir);
	if (listing == NULL) {
		*why = "directory cannot be read";
		return -1;
	}
	size_t suffix_len = strlen(suffix);
	struct dirent *entry;
	while ((entry = readdir(listing)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (len > suffix_len && safe_name(entry->d_name) &&
		    strcmp(entry->d_name + len - suffix_len, suffix) == 0 && visit(entry->d_name, data) != 0)
			break;
	}
	closedir(listing);
	return 0;
}
