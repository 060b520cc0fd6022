/* LD_PRELOAD shim for tests: appends every syslog line the process writes to the file
 * named by SYSLOG_CAPTURE_FILE, one line each ("PRIORITY MESSAGE"), instead of sending
 * it to the system log. Lets tests assert on the module's log lines, and that no
 * secret ever reaches them.
 *
 * The file named when the process started is kept too: sshd empties the environment of
 * the child that runs pam_authenticate (auth-pam.c, sshpam_thread: environ[0] = NULL),
 * and that child must still be heard (tests/e2e/test_remember_ssh.py). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static char initial_path[4096];

__attribute__((constructor)) static void remember_path(void)
{
	const char *path = getenv("SYSLOG_CAPTURE_FILE");
	if (path != NULL && strlen(path) < sizeof(initial_path))
		strcpy(initial_path, path);
}

void openlog(const char *ident, int option, int facility);
void closelog(void);
void syslog(int priority, const char *format, ...);
void vsyslog(int priority, const char *format, va_list args);
void __syslog_chk(int priority, int flag, const char *format, ...);
void __vsyslog_chk(int priority, int flag, const char *format, va_list args);

void openlog(const char *ident, int option, int facility)
{
	(void)ident, (void)option, (void)facility;
}

void closelog(void)
{
}

void vsyslog(int priority, const char *format, va_list args)
{
	const char *path = getenv("SYSLOG_CAPTURE_FILE");
	if (path == NULL && initial_path[0] != '\0')
		path = initial_path;
	if (path == NULL)
		return;
	FILE *file = fopen(path, "ae");
	if (file == NULL)
		return;
	fprintf(file, "%d ", priority);
	vfprintf(file, format, args);
	fputc('\n', file);
	fclose(file);
}

void syslog(int priority, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsyslog(priority, format, args);
	va_end(args);
}

void __vsyslog_chk(int priority, int flag, const char *format, va_list args)
{
	(void)flag;
	vsyslog(priority, format, args);
}

void __syslog_chk(int priority, int flag, const char *format, ...)
{
	(void)flag;
	va_list args;
	va_start(args, format);
	vsyslog(priority, format, args);
	va_end(args);
}
