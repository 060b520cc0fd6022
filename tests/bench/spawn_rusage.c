/* spawn_rusage OUTFILE PRELOAD PROGRAM [ARG]...
 *
 * Runs PROGRAM with LD_PRELOAD=PRELOAD (empty: none), waits for it and writes
 * "utime_us stime_us maxrss_kib wait_status" of that child alone to OUTFILE.
 *
 * Why not wait4() from Python directly: Linux carries the peak RSS of the address space
 * a process had before execve() into its ru_maxrss, and a child forked (or vforked) from
 * the Python harness starts with the harness's resident set (about 10-25 MiB). This small
 * process forks from a small address space, so the child's ru_maxrss is its own.
 * Built by tests/bench/run.py; not part of the module or of `make check`. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: spawn_rusage OUTFILE PRELOAD PROGRAM [ARG]...\n");
		return 127;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (pid == 0) {
		if (argv[2][0] != '\0')
			setenv("LD_PRELOAD", argv[2], 1);
		execv(argv[3], argv + 3);
		perror("execv");
		_exit(127);
	}
	int status = 0;
	struct rusage usage;
	if (wait4(pid, &status, 0, &usage) < 0) {
		perror("wait4");
		return 127;
	}
	FILE *out = fopen(argv[1], "w");
	if (out != NULL) {
		fprintf(out, "%ld %ld %ld %d\n", (long)usage.ru_utime.tv_sec * 1000000L + (long)usage.ru_utime.tv_usec,
			(long)usage.ru_stime.tv_sec * 1000000L + (long)usage.ru_stime.tv_usec, usage.ru_maxrss, status);
		fclose(out);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
