/* Drives one PAM transaction through the real libpam, like pamtester, but reports the
 * exact return code of each step, so tests can tell PAM_AUTH_ERR from
 * PAM_AUTHINFO_UNAVAIL. Usage: pam_drive SERVICE USER [RHOST]
 * PAM_DRIVE_CONFDIR=DIR reads the service from DIR (pam_start_confdir).
 * PAM_DRIVE_CONV=none|null-response imitates a broken application.
 * PAM_DRIVE_FLAGS=silent passes PAM_SILENT; PAM_DRIVE_ATTEMPTS=N retries on the same handle.
 * Messages go to stdout as "INFO: ..." / "ERROR: ..." lines; a prompt is printed as
 * "PROMPT: text" (no echo) or "PROMPT-ECHO: text" (echoed) and answered with one line
 * from stdin. PAM_DRIVE_PAUSE_AT_END=1: after pam_end, print "ENDED PID" and wait for a
 * line on stdin before exiting, so a test can read what the process's memory still holds.
 * PAM_DRIVE_REAL_UID=N (run as root): keep effective uid 0 but make the real uid N, as
 * sudo, su and pkexec run while they authenticate.
 * PAM_DRIVE_TTY=TEXT sets PAM_TTY; PAM_DRIVE_PUTENV=NAME=VALUE puts one variable into the
 * PAM environment before pam_authenticate, as sshd does with SSH_AUTH_INFO_0. */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int conversation(int count, const struct pam_message **messages, struct pam_response **responses, void *data)
{
	(void)data;
	struct pam_response *answers = calloc((size_t)count, sizeof(*answers));
	if (answers == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < count; i++) {
		const struct pam_message *m = messages[i];
		switch (m->msg_style) {
		case PAM_TEXT_INFO:
			printf("INFO: %s\n", m->msg);
			break;
		case PAM_ERROR_MSG:
			printf("ERROR: %s\n", m->msg);
			break;
		case PAM_PROMPT_ECHO_ON:
		case PAM_PROMPT_ECHO_OFF: {
			printf("%s: %s\n", m->msg_style == PAM_PROMPT_ECHO_OFF ? "PROMPT" : "PROMPT-ECHO", m->msg);
			fflush(stdout);
			char line[1024];
			if (fgets(line, sizeof(line), stdin) == NULL) {
				free(answers);
				return PAM_CONV_ERR;
			}
			line[strcspn(line, "\n")] = '\0';
			answers[i].resp = strdup(line);
			break;
		}
		default:
			free(answers);
			return PAM_CONV_ERR;
		}
		fflush(stdout);
	}
	*responses = answers;
	return PAM_SUCCESS;
}

static int null_response_conversation(int count, const struct pam_message **messages, struct pam_response **responses,
				      void *data)
{
	(void)data;
	for (int i = 0; i < count; i++)
		printf("%s: %s\n", messages[i]->msg_style == PAM_TEXT_INFO ? "INFO" : "PROMPT", messages[i]->msg);
	fflush(stdout);
	*responses = NULL;
	return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SERVICE USER [RHOST]\n", argv[0]);
		return 2;
	}
	/* PAM_DRIVE_CONV=none gives libpam no conversation function; =null-response answers a
	 * prompt with PAM_SUCCESS and no response: applications that misbehave. */
	const char *conv_mode = getenv("PAM_DRIVE_CONV");
	struct pam_conv conv = { conversation, NULL };
	if (conv_mode != NULL && strcmp(conv_mode, "none") == 0)
		conv.conv = NULL;
	else if (conv_mode != NULL && strcmp(conv_mode, "null-response") == 0)
		conv.conv = null_response_conversation;
	const char *real_uid = getenv("PAM_DRIVE_REAL_UID");
	if (real_uid != NULL && real_uid[0] != '\0' && setresuid((uid_t)atol(real_uid), 0, 0) != 0) {
		perror("setresuid");
		return 2;
	}
	pam_handle_t *pamh = NULL;
	/* PAM_DRIVE_CONFDIR: read the service from that directory (Linux-PAM >= 1.4), the real
	 * libpam without /etc/pam.d and without pam_wrapper's shared /tmp/pam.X directories. */
	const char *confdir = getenv("PAM_DRIVE_CONFDIR");
	int rc = confdir != NULL && confdir[0] != '\0' ? pam_start_confdir(argv[1], argv[2], &conv, confdir, &pamh)
						       : pam_start(argv[1], argv[2], &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		printf("RESULT start %d\n", rc);
		return 2;
	}
	if (argc > 3)
		pam_set_item(pamh, PAM_RHOST, argv[3]);
	const char *tty = getenv("PAM_DRIVE_TTY");
	if (tty != NULL && tty[0] != '\0')
		pam_set_item(pamh, PAM_TTY, tty);
	const char *putenv_text = getenv("PAM_DRIVE_PUTENV");
	if (putenv_text != NULL && putenv_text[0] != '\0' && (rc = pam_putenv(pamh, putenv_text)) != PAM_SUCCESS) {
		printf("RESULT putenv %d\n", rc);
		return 2;
	}
	/* PAM_DRIVE_FLAGS=silent passes PAM_SILENT, as sudo does by default. PAM_DRIVE_ATTEMPTS=N
	 * retries a failed authentication on the same handle, as sudo and the ssh client do. */
	const char *flags = getenv("PAM_DRIVE_FLAGS");
	const char *attempts_text = getenv("PAM_DRIVE_ATTEMPTS");
	int attempts = attempts_text != NULL ? atoi(attempts_text) : 1;
	for (int attempt = 1; attempt <= attempts; attempt++) {
		rc = pam_authenticate(pamh, flags != NULL && strcmp(flags, "silent") == 0 ? PAM_SILENT : 0);
		printf("RESULT authenticate %d %s\n", rc, pam_strerror(pamh, rc));
		fflush(stdout);
		if (rc == PAM_SUCCESS)
			break;
	}
	if (rc == PAM_SUCCESS) {
		int setcred = pam_setcred(pamh, PAM_ESTABLISH_CRED);
		printf("RESULT setcred %d %s\n", setcred, pam_strerror(pamh, setcred));
		char **env = pam_getenvlist(pamh);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
			printf("ENV: %s\n", env[i]);
			free(env[i]);
		}
		free(env);
	}
	fflush(stdout);
	pam_end(pamh, rc);
	const char *pause = getenv("PAM_DRIVE_PAUSE_AT_END");
	if (pause != NULL && strcmp(pause, "1") == 0) {
		char line[16];
		printf("ENDED %ld\n", (long)getpid());
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL)
			line[0] = '\0';
	}
	return rc == PAM_SUCCESS ? 0 : 1;
}
