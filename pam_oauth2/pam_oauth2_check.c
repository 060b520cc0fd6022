/* pam_oauth2-check: tells an admin, before the module guards sshd or sudo, whether a
 * configuration can work (--config) and what a login would do, step by step (--login).
 * Built from the module's own sources: the same loader, the same flow, the same display. */
#include "config.h"

#include "config/pitfalls.h"
#include "io/clock.h"
#include "io/local_account.h"
#include "login/check.h"
#include "login/flow.h"
#include "login/remember.h"
#include "login/result.h"
#include "config/oauth2_config.h"

#include <getopt.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

enum { EXIT_WORKS = 0, EXIT_FAILS = 1, EXIT_USAGE = 2 };

#define MAX_ARGS 64

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pam_oauth2-check --config FILE [--arg KEY=VALUE]... [--service NAME]\n"
		"       pam_oauth2-check --login USER [--config FILE] [--arg KEY=VALUE]... [--service NAME]\n"
		"       pam_oauth2-check --remembered | --forget USER | --forget-all [--config FILE]\n"
		"       pam_oauth2-check --list-keys\n"
		"\n"
		"Loads the configuration exactly as pam_oauth2.so does (FILE, default %s, then\n"
		"each --arg as a module argument would override it) and then:\n"
		"  --config FILE   checks it: every problem with its line, file ownership and modes,\n"
		"                  discovery, TLS to every endpoint, the signing keys, and a real device\n"
		"                  authorization request (client id, authentication and scopes accepted)\n"
		"  --login USER    runs a whole login for USER in this terminal, as the module would,\n"
		"                  printing every decision (endpoints, scope and identity sources, granted\n"
		"                  scopes, the identity and the rule that matched or refused)\n"
		"  --service NAME  the PAM service name to show (default pam_oauth2-check)\n"
		"  --remembered    lists the remembered approvals in remember_dir (no secrets)\n"
		"  --forget USER   drops USER's remembered approvals; --forget-all drops them all\n"
		"  --list-keys     prints every configuration key: name, type, default, help\n"
		"Exit status: 0 when a login can work (or worked), 1 when not, 2 for usage or\n"
		"configuration errors. Nothing secret is printed.\n",
		OAUTH2_CONFIG_DEFAULT_PATH);
}

static void list_keys(void)
{
	static const char *const type_names[] = {
		[CONFIG_URL] = "url",   [CONFIG_STRING] = "string",   [CONFIG_SCOPES] = "scopes",
		[CONFIG_PATH] = "path", [CONFIG_SECONDS] = "seconds", [CONFIG_CHOICE] = "choice",
		[CONFIG_BOOL] = "bool",
	};
	for (const struct config_key *key = oauth2_config_keys; key->name != NULL; key++) {
		char type[128];
		snprintf(type, sizeof(type), "%s", type_names[key->type]);
		if (key->type == CONFIG_CHOICE) {
			for (size_t i = 0; key->choices[i] != NULL; i++)
				snprintf(type + strlen(type), sizeof(type) - strlen(type), "%c%s", i ? '|' : '(',
					 key->choices[i]);
			snprintf(type + strlen(type), sizeof(type) - strlen(type), ")");
		}
		const char *fallback =
		    key->default_value != NULL && key->default_value[0] != '\0' ? key->default_value : "-";
		printf("%s\t%s\t%s\t%s\n", key->name, type, fallback, key->help);
	}
}

/* The terminal conversation: info to stdout, errors to stderr, prompts read from stdin. */
static int terminal_conversation(int count, const struct pam_message **messages, struct pam_response **responses,
				 void *data)
{
	(void)data;
	struct pam_response *answers = calloc((size_t)count, sizeof(*answers));
	if (answers == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < count; i++) {
		const struct pam_message *message = messages[i];
		if (message->msg_style == PAM_TEXT_INFO) {
			printf("%s\n", message->msg);
		} else if (message->msg_style == PAM_ERROR_MSG) {
			fprintf(stderr, "%s\n", message->msg);
		} else {
			char line[512];
			printf("%s", message->msg);
			fflush(stdout);
			if (fgets(line, sizeof(line), stdin) == NULL) {
				for (int j = 0; j < i; j++)
					free(answers[j].resp);
				free(answers);
				return PAM_CONV_ERR;
			}
			line[strcspn(line, "\n")] = '\0';
			answers[i].resp = strdup(line);
		}
	}
	fflush(stdout);
	*responses = answers;
	return PAM_SUCCESS;
}

static void print_problem(void *data, const char *problem)
{
	(void)data;
	printf("FAIL %-30s %s\n", "configuration", problem);
}

static void print_warning(void *data, const char *topic, const char *advice)
{
	(void)data;
	printf("WARN %-30s %s\n", topic, advice);
}

static void print_step(void *data, bool ok, const char *step, const char *detail)
{
	(void)data;
	printf("%-4s %-30s %s\n", ok ? "ok" : "FAIL", step, detail);
	fflush(stdout);
}

/* What the command line asked for. */
struct request {
	const char *module_args[MAX_ARGS + 1]; /* as the module would get them; NULL-terminated */
	int module_argc;
	char *config_arg; /* "config=FILE", or NULL */
	const char *user; /* --login USER, or NULL for --config */
	const char *service;
	enum { MEMORY_NONE, MEMORY_LIST, MEMORY_FORGET, MEMORY_FORGET_ALL } memory;
	const char *forget_user;
};

/* Parses the options into REQUEST. Returns -1 to go on, or the exit status to end with. */
static int parse_options(int argc, char **argv, struct request *request)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "login", required_argument, NULL, 'l' },
		{ "arg", required_argument, NULL, 'a' },    { "service", required_argument, NULL, 's' },
		{ "list-keys", no_argument, NULL, 'k' },    { "remembered", no_argument, NULL, 'r' },
		{ "forget", required_argument, NULL, 'f' }, { "forget-all", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int option;
	while ((option = getopt_long(argc, argv, "c:l:a:s:khrf:F", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			free(request->config_arg);
			if (asprintf(&request->config_arg, "config=%s", optarg) < 0) {
				request->config_arg = NULL;
				return EXIT_USAGE;
			}
			break;
		case 'l':
			request->user = optarg;
			break;
		case 'a':
			if (request->module_argc == MAX_ARGS - 1) {
				fprintf(stderr, "pam_oauth2-check: too many --arg\n");
				return EXIT_USAGE;
			}
			request->module_args[request->module_argc++] = optarg;
			break;
		case 's':
			request->service = optarg;
			break;
		case 'r':
			request->memory = MEMORY_LIST;
			break;
		case 'f':
			request->memory = MEMORY_FORGET;
			request->forget_user = optarg;
			break;
		case 'F':
			request->memory = MEMORY_FORGET_ALL;
			break;
		case 'k':
			list_keys();
			return EXIT_WORKS;
		case 'h':
			usage(stdout);
			return EXIT_WORKS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc ||
	    (request->config_arg == NULL && request->user == NULL && request->memory == MEMORY_NONE) ||
	    (request->memory != MEMORY_NONE && request->user != NULL)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (request->config_arg != NULL)
		request->module_args[request->module_argc++] = request->config_arg;
	request->module_args[request->module_argc] = NULL;
	return -1;
}

/* One record, without its refresh token: whose, where, by whom, how old, how reused. */
static void print_record(void *data, const struct remember_record *record, bool revalidates)
{
	const struct oauth2_config *config = data;
	int64_t age = clock_wall_seconds() - record->approved_at;
	long window = config->remember < record->remember ? config->remember : (long)record->remember;
	long left = window - (long)age;
	printf("user=%s caller_uid=%lld service=%s rhost=%s sub=%s username=%s age=%llds left=%lds reuse=%s "
	       "revalidated=%s\n",
	       record->user, (long long)record->caller_uid, record->service, record->rhost, record->sub,
	       record->username, (long long)age, left > 0 ? left : 0, revalidates ? "refresh-token" : "time-only",
	       record->revalidated_at > 0 ? "yes" : "no");
}

/* --remembered, --forget USER, --forget-all. */
static int run_memory(const struct oauth2_config *config, const struct request *request)
{
	const char *why = NULL;
	int count;
	if (request->memory == MEMORY_LIST) {
		count = login_remember_list(config, print_record, (void *)config, &why);
		if (count >= 0)
			printf("%d remembered approval%s in %s (remember = %ld s)\n", count, count == 1 ? "" : "s",
			       config->remember_dir, config->remember);
	} else {
		uid_t uid;
		const char *user = request->memory == MEMORY_FORGET ? request->forget_user : NULL;
		long caller = user != NULL && local_account_uid(user, &uid) ? (long)uid : -1;
		count = login_remember_forget(config, user, caller, &why);
		if (count >= 0)
			printf("dropped %d remembered approval%s\n", count, count == 1 ? "" : "s");
	}
	if (count < 0 && strcmp(why, "directory is missing") == 0) {
		printf("no remembered approvals: %s does not exist\n", config->remember_dir);
		return EXIT_WORKS;
	}
	if (count < 0) {
		fprintf(stderr, "pam_oauth2-check: %s: %s\n", config->remember_dir, why);
		return EXIT_FAILS;
	}
	return EXIT_WORKS;
}

/* --config: the check of every step; --login USER: a whole login, every decision printed. */
static enum login_result run_request(pam_handle_t *pamh, const struct oauth2_config *config,
				     const struct request *request)
{
	if (request->user == NULL) {
		enum login_result result = login_flow_check(pamh, config, print_step, NULL);
		printf("%s\n", result == LOGIN_APPROVED ? "A login can work with this configuration."
							: "A login cannot work with this configuration.");
		return result;
	}
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	struct login_context context = {
		.user = request->user,
		.host = host,
		.service = request->service,
		.caller_uid = (long)getuid(),
		.user_is_superuser = local_account_is_superuser(request->user),
	};
	struct login_identity identity;
	char reason[512];
	enum login_result result = login_flow_run(pamh, config, &context, &identity, reason, sizeof(reason));
	printf("result: %s (%s): %s\n", login_result_name(result), pam_strerror(pamh, login_result_pam_code(result)),
	       reason);
	return result;
}

int main(int argc, char **argv)
{
	struct request request = { .service = "pam_oauth2-check" };
	int status = parse_options(argc, argv, &request);
	if (status >= 0) {
		free(request.config_arg);
		return status;
	}
	struct oauth2_config config;
	printf("configuration: %s\n", request.config_arg != NULL ? request.config_arg + 7 : OAUTH2_CONFIG_DEFAULT_PATH);
	/* Every problem, each with its file and line (or argument), not only the first. */
	if (oauth2_config_check(&config, request.module_argc, request.module_args, OAUTH2_CONFIG_DEFAULT_PATH,
				TRUSTED_OWNER, print_problem, NULL) != 0) {
		free(request.config_arg);
		return EXIT_USAGE;
	}
	if (request.memory != MEMORY_NONE) {
		int code = run_memory(&config, &request);
		oauth2_config_free(&config);
		free(request.config_arg);
		return code;
	}
	printf("ok   %-30s client %s, scope '%s', require_scope '%s'\n", "configuration", config.client_id,
	       config.scope, config.require_scope);
	/* Warnings, not failures: choices that work but are weak, and known IdP pitfalls. */
	config_pitfalls(&config, print_warning, NULL);

	/* The module's log lines go to stderr as well as to syslog; --login shows every step. */
	openlog("pam_oauth2-check", LOG_PERROR | LOG_PID, LOG_AUTHPRIV);
	if (request.user != NULL)
		config.debug = true;
	/* --login shows a whole device flow: it neither uses nor leaves a remembered approval. */
	config.remember = 0;
	struct pam_conv conversation = { terminal_conversation, NULL };
	pam_handle_t *pamh = NULL;
	int exit_code = EXIT_FAILS;
	if (pam_start(request.service, request.user != NULL ? request.user : "nobody", &conversation, &pamh) !=
	    PAM_SUCCESS) {
		fprintf(stderr, "pam_oauth2-check: pam_start failed\n");
	} else {
		exit_code = run_request(pamh, &config, &request) == LOGIN_APPROVED ? EXIT_WORKS : EXIT_FAILS;
		pam_end(pamh, PAM_SUCCESS);
	}
	oauth2_config_free(&config);
	free(request.config_arg);
	closelog();
	return exit_code;
}
