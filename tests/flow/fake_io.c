#include "config.h"

#include "fake_io.h"

#include "io/auth_log.h"
#include "io/clock.h"
#include "io/pam_conversation.h"
#include "util/strbuf.h"

#include <security/_pam_types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 32
#define MAX_REQUESTS 512
#define START_MS 1000000

struct route {
	char *url;
	const struct fake_reply *replies;
	size_t count;
	size_t served;
	void (*hook)(const struct fake_request *request, void *data);
	void *hook_data;
};

static struct {
	struct route routes[MAX_ROUTES];
	size_t route_count;
	struct fake_request requests[MAX_REQUESTS];
	size_t request_count;
	struct strbuf log, shown, errors;
	int64_t now_ms;
	int conversation_code;
	void (*enter_hook)(void *data);
	void *enter_data;
	void (*sleep_hook)(void *data);
	void *sleep_data;
} fake;

static char *copy(const char *text)
{
	return text != NULL ? strdup(text) : NULL;
}

void fake_reset(void)
{
	for (size_t i = 0; i < fake.route_count; i++)
		free(fake.routes[i].url);
	for (size_t i = 0; i < fake.request_count; i++) {
		free(fake.requests[i].url);
		free(fake.requests[i].body);
		free(fake.requests[i].authorization);
	}
	strbuf_wipe_free(&fake.log);
	strbuf_wipe_free(&fake.shown);
	strbuf_wipe_free(&fake.errors);
	memset(&fake, 0, sizeof(fake));
	strbuf_init(&fake.log, 0);
	strbuf_init(&fake.shown, 0);
	strbuf_init(&fake.errors, 0);
	fake.now_ms = START_MS;
}

static struct route *find_route(const char *url, bool create)
{
	for (size_t i = 0; i < fake.route_count; i++) {
		if (strcmp(fake.routes[i].url, url) == 0)
			return &fake.routes[i];
	}
	if (!create || fake.route_count == MAX_ROUTES)
		return NULL;
	struct route *route = &fake.routes[fake.route_count++];
	memset(route, 0, sizeof(*route));
	route->url = copy(url);
	return route;
}

void fake_route(const char *url, const struct fake_reply *replies, size_t count)
{
	struct route *route = find_route(url, true);
	route->replies = replies;
	route->count = count;
	route->served = 0;
}

void fake_on_request(const char *url, void (*hook)(const struct fake_request *request, void *data), void *data)
{
	struct route *route = find_route(url, true);
	route->hook = hook;
	route->hook_data = data;
}

void fake_on_enter(void (*hook)(void *data), void *data)
{
	fake.enter_hook = hook;
	fake.enter_data = data;
}

void fake_on_sleep(void (*hook)(void *data), void *data)
{
	fake.sleep_hook = hook;
	fake.sleep_data = data;
}

void fake_conversation_fails(int pam_code)
{
	fake.conversation_code = pam_code;
}

size_t fake_request_count(void)
{
	return fake.request_count;
}

const struct fake_request *fake_request_at(size_t index)
{
	return index < fake.request_count ? &fake.requests[index] : NULL;
}

size_t fake_requests_to(const char *url)
{
	size_t n = 0;
	for (size_t i = 0; i < fake.request_count; i++)
		n += strcmp(fake.requests[i].url, url) == 0;
	return n;
}

const struct fake_request *fake_request_to(const char *url, size_t index)
{
	for (size_t i = 0; i < fake.request_count; i++) {
		if (strcmp(fake.requests[i].url, url) == 0 && index-- == 0)
			return &fake.requests[i];
	}
	return NULL;
}

const char *fake_log(void)
{
	return fake.log.data != NULL ? fake.log.data : "";
}

const char *fake_shown(void)
{
	return fake.shown.data != NULL ? fake.shown.data : "";
}

const char *fake_errors(void)
{
	return fake.errors.data != NULL ? fake.errors.data : "";
}

int64_t fake_now_ms(void)
{
	return fake.now_ms;
}

void fake_advance_ms(int64_t ms)
{
	fake.now_ms += ms;
}

/* ---- io/clock.h ---- */

int64_t clock_monotonic_ms(void)
{
	return fake.now_ms;
}

int64_t clock_wall_seconds(void)
{
	return 1764547200 + fake.now_ms / 1000; /* 2025-12-01, moving with the monotonic clock */
}

void clock_sleep_ms(int64_t ms)
{
	if (ms > 0)
		fake.now_ms += ms;
	if (fake.sleep_hook != NULL)
		fake.sleep_hook(fake.sleep_data);
}

/* ---- io/http_client.h ---- */

struct http_client {
	int unused;
};

struct http_client *http_client_new(const char *ca_file, const char **why)
{
	(void)ca_file;
	*why = "out of memory";
	return calloc(1, sizeof(struct http_client));
}

void http_client_free(struct http_client *client)
{
	free(client);
}

void http_response_clear(struct http_response *response)
{
	strbuf_wipe_free(&response->body);
	response->status_code = 0;
}

static enum http_status serve(const char *url, const char *authorization, const char *post_body, long timeout_ms,
			      struct http_response *response, char *error, size_t error_size)
{
	strbuf_init(&response->body, HTTP_BODY_MAX);
	response->status_code = 0;
	response->cache_control[0] = '\0';
	response->expires_at = 0;
	response->retry_after = -1;
	response->retry_at = 0;
	error[0] = '\0';
	if (fake.request_count == MAX_REQUESTS) {
		snprintf(error, error_size, "fake: too many requests");
		return HTTP_FAILED;
	}
	struct fake_request *request = &fake.requests[fake.request_count++];
	*request = (struct fake_request){ .url = copy(url),
					  .body = copy(post_body),
					  .authorization = copy(authorization),
					  .at_ms = fake.now_ms,
					  .timeout_ms = timeout_ms };
	struct route *route = find_route(url, false);
	if (route != NULL && route->hook != NULL)
		route->hook(request, route->hook_data);
	route = find_route(url, false);
	if (route == NULL || route->count == 0) {
		snprintf(error, error_size, "Could not resolve host (fake: no route)");
		return HTTP_UNREACHABLE;
	}
	size_t index = route->served < route->count ? route->served : route->count - 1;
	route->served++;
	const struct fake_reply *reply = &route->replies[index];
	response->status_code = reply->status;
	if (reply->retry_after > 0)
		response->retry_after = reply->retry_after;
	if (reply->cache_control != NULL)
		snprintf(response->cache_control, sizeof(response->cache_control), "%s", reply->cache_control);
	if (reply->transport == HTTP_TIMEOUT) {
		fake.now_ms += timeout_ms;
		snprintf(error, error_size, "Operation timed out after %ld milliseconds", timeout_ms);
		return HTTP_TIMEOUT;
	}
	fake.now_ms += reply->latency_ms;
	if (reply->transport != HTTP_DONE) {
		snprintf(error, error_size, "fake transport failure");
		return reply->transport;
	}
	if (reply->body != NULL && strbuf_append(&response->body, reply->body, strlen(reply->body)) != 0) {
		snprintf(error, error_size, "Failure writing output to destination");
		return HTTP_TOO_LARGE;
	}
	return HTTP_DONE;
}

enum http_status http_post_form(struct http_client *client, const char *url, const char *body,
				const char *authorization, long timeout_ms, struct http_response *response, char *error,
				size_t error_size)
{
	(void)client;
	return serve(url, authorization, body, timeout_ms, response, error, error_size);
}

enum http_status http_get_with_bearer(struct http_client *client, const char *url, const char *token, long timeout_ms,
				      struct http_response *response, char *error, size_t error_size)
{
	(void)client;
	char authorization[8192] = "";
	if (token != NULL)
		snprintf(authorization, sizeof(authorization), "Bearer %s", token);
	return serve(url, token != NULL ? authorization : NULL, NULL, timeout_ms, response, error, error_size);
}

/* ---- io/pam_conversation.h ---- */

bool conversation_available(pam_handle_t *pamh)
{
	(void)pamh;
	return true;
}

int conversation_show_info(pam_handle_t *pamh, const struct line_list *messages)
{
	(void)pamh;
	if (fake.conversation_code != PAM_SUCCESS)
		return fake.conversation_code;
	for (size_t i = 0; i < messages->count; i++) {
		strbuf_appendf(&fake.shown, "%s\n", messages->lines[i]);
	}
	return PAM_SUCCESS;
}

int conversation_show_error(pam_handle_t *pamh, const char *text)
{
	(void)pamh;
	strbuf_appendf(&fake.errors, "%s\n", text);
	return PAM_SUCCESS;
}

int conversation_wait_for_enter(pam_handle_t *pamh, const char *prompt)
{
	(void)pamh;
	strbuf_appendf(&fake.shown, "%s\n", prompt);
	if (fake.conversation_code != PAM_SUCCESS)
		return fake.conversation_code;
	if (fake.enter_hook != NULL)
		fake.enter_hook(fake.enter_data);
	return PAM_SUCCESS;
}

/* ---- io/auth_log.h ---- */

void auth_log(pam_handle_t *pamh, int priority, const char *format, ...)
{
	(void)pamh, (void)priority;
	va_list args;
	va_start(args, format);
	char line[2048];
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	strbuf_appendf(&fake.log, "%s\n", line);
}

void auth_log_outcome(pam_handle_t *pamh, int priority, const char *result, const char *reason)
{
	auth_log(pamh, priority, "result=%s reason=%s", result, reason);
}
