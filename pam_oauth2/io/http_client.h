/* HTTPS requests to the IdP. The only file that knows libcurl. One client is made per
 * login and keeps its connection, so a login costs one TLS handshake per IdP host. */
#ifndef PAM_OAUTH2_HTTP_CLIENT_H
#define PAM_OAUTH2_HTTP_CLIENT_H

#include "util/strbuf.h"

#include <stddef.h>
#include <stdint.h>

/* No IdP answer we read is larger (RFC-sized JSON, tokens included). */
#define HTTP_BODY_MAX (64 * 1024)

enum http_status {
	HTTP_DONE,        /* a response arrived; look at its status code */
	HTTP_TIMEOUT,     /* no complete answer in time */
	HTTP_UNREACHABLE, /* name resolution or connection failed */
	HTTP_TLS_ERROR,   /* handshake or certificate verification failed */
	HTTP_TOO_LARGE,   /* the body passed HTTP_BODY_MAX */
	HTTP_FAILED       /* anything else (a redirect, a reset, memory) */
};

struct http_response {
	long status_code;        /* the status line's code; also set when the request then failed (0: none) */
	struct strbuf body;      /* wiped when cleared: it may hold tokens */
	char cache_control[512]; /* the Cache-Control header, "" when absent */
	int64_t expires_at;      /* the Expires header as a time, 0 when absent or unparsable */
	long retry_after;        /* Retry-After as delta-seconds, -1 when absent or a date */
	int64_t retry_at;        /* Retry-After as an HTTP-date, 0 when absent or seconds */
};

struct http_client;

/* CA_FILE may be NULL (the system store). Returns NULL with a reason in *WHY when
 * memory runs out, or when the environment would make libcurl leak TLS secrets. */
struct http_client *http_client_new(const char *ca_file, const char **why);
void http_client_free(struct http_client *client);

/* POSTs a form BODY to URL. AUTHORIZATION, when not NULL, is the Authorization header's
 * value. TIMEOUT_MS bounds the whole request. ERROR gets a safe one-line description
 * when the status is not HTTP_DONE. */
enum http_status http_post_form(struct http_client *client, const char *url, const char *body,
				const char *authorization, long timeout_ms, struct http_response *response, char *error,
				size_t error_size);

/* GETs URL, with "Authorization: Bearer TOKEN" unless TOKEN is NULL. */
enum http_status http_get_with_bearer(struct http_client *client, const char *url, const char *token, long timeout_ms,
				      struct http_response *response, char *error, size_t error_size);

void http_response_clear(struct http_response *response);

#endif
