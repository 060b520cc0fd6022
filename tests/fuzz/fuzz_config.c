/* libFuzzer target: the configuration loader. The input up to its first NUL byte is
 * the file; each further NUL-separated part is one module argument. The file lives
 * in a memfd (no disk), made 0600 and owned by us, which is what the loader checks
 * (file_owner = getuid()). */
#include "fuzz_common.h"

#include "config/oauth2_config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 8

static int config_fd = -1;
static char config_arg[64];
static bool strict_log; /* on unless PAM_OAUTH2_FUZZ_LAX_LOG is set */

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	config_fd = memfd_create("fuzz_pam_oauth2.conf", MFD_CLOEXEC);
	if (config_fd < 0 || fchmod(config_fd, 0600) != 0) {
		perror("fuzz_config: memfd");
		abort();
	}
	snprintf(config_arg, sizeof(config_arg), "config=/proc/self/fd/%d", config_fd);
	/* Error lines must be terminal-safe (the bug in crashers/config is fixed). */
	strict_log = getenv("PAM_OAUTH2_FUZZ_LAX_LOG") == NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t file_len = nul != NULL ? (size_t)(nul - data) : size;
	FUZZ_ASSERT(ftruncate(config_fd, 0) == 0);
	FUZZ_ASSERT(pwrite(config_fd, data, file_len, 0) == (ssize_t)file_len);

	/* The arguments: ours first, then the input's, except a second config= (which only
	 * tests the "given once" rule and could name any file on the machine). */
	char *rest = fuzz_strndup(data, size);
	const char *argv[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = config_arg;
	for (size_t at = file_len + 1; at < size && argc < MAX_ARGS + 1; at += strlen(rest + at) + 1) {
		if (strncmp(rest + at, "config=", 7) != 0)
			argv[argc++] = rest + at;
	}

	struct oauth2_config config;
	char error[512];
	memset(&config, 0, sizeof(config));
	memset(error, 'x', sizeof(error));
	if (oauth2_config_load(&config, argc, argv, "/nonexistent/pam_oauth2.conf", getuid(), error, sizeof(error)) ==
	    0) {
		FUZZ_ASSERT(config.client_id != NULL);
		FUZZ_ASSERT(config.token_endpoint != NULL || config.issuer != NULL);
		oauth2_config_free(&config);
	} else {
		/* The error goes to syslog as one bounded line. */
		FUZZ_ASSERT(memchr(error, '\0', sizeof(error)) != NULL);
		FUZZ_ASSERT(strchr(error, '\n') == NULL);
		/* And it is free of control bytes and invalid UTF-8 (crashers/config/). */
		if (strict_log && !fuzz_terminal_safe(error)) {
			fprintf(stderr, "unsafe error line: \"%s\"\n", error);
			abort();
		}
	}
	free(rest);
	return 0;
}
