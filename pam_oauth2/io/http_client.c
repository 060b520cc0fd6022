#include "config.h"

#include "io/http_client.h"

#include "util/sanitize.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http_client {
	CURL *curl;
	char *ca_file;
};

struct http_client *http_client_new(const char *ca_file, const char **why)
{
	/* libcurl writes TLS session secrets to the file SSLKEYLOGFILE names, read with plain
	 * getenv(): under sudo that is the invoking user's environment, so any user could have
	 * root write the secrets of this connection (client secret, tokens) to a path of their
	 * choice. Refuse rather than run TLS that way. */
	if (getenv("SSLKEYLOGFILE") != NULL) {
		*why = "SSLKEYLOGFILE is set in the environment: refusing to start TLS";
		return NULL;
	}
	*why = "out of memory";
	struct http_client *client = calloc(1, sizeof(*client));
	if (client == NULL)
		return NULL;
	/* curl_easy_init initialises libcurl on first use; 7.84+ does that thread-safely. */
	client->curl = curl_easy_init();
	client->ca_file = ca_file != NULL ? strdup(ca_file) : NULL;
	if (client->curl == NULL || (ca_file != NULL && client->ca_file == NULL)) {
		http_client_free(client);
		return NULL;
	}
	return client;
}

void http_client_free(struct http_client *client)
{
	if (client == NULL)
		return;
	if (client->curl != NULL)
		curl_easy_cleanup(client->curl);
	free(client->ca_file);
	free(client);
}

void http_response_clear(struct http_response *response)
{
	strbuf_wipe_free(&response->body);
	response->status_code = 0;
}

static size_t collect_body(char *data, size_t size, size_t count, void *userdata)
{
	struct strbuf *body = userdata;
	size_t len = size * count;
	/* Returning short makes curl stop with CURLE_WRITE_ERROR: the body was too large. */
	return strbuf_append(body, data, len) == 0 ? len : 0;
}

/* Keeps the response headers that decide caching; everything else is ignored. */
static size_t collect_header(char *data, size_t size, size_t count, void *userdata)
{
	struct http_response *response = userdata;
	size_t len = size * count;
	static const char cache_control[] = "cache-control:", expires[] = "expires:", retry_after[] = "retry-after:";
	char value[sizeof(response->cache_control)];
	const char *start = NULL;
	if (len > sizeof(cache_control) - 1 && strncasecmp(data, cache_control, sizeof(cache_control) - 1) == 0)
		start = data + sizeof(cache_control) - 1;
	else if (len > sizeof(expires) - 1 && strncasecmp(data, expires, sizeof(expires) - 1) == 0)
		start = data + sizeof(expires) - 1;
	else if (len > sizeof(retry_after) - 1 && strncasecmp(data, retry_after, sizeof(retry_after) - 1) == 0)
		start = data + sizeof(retry_after) - 1;
	if (start == NULL)
		return len;
	size_t value_len = len - (size_t)(start - data);
	while (value_len > 0 && (*start == ' ' || *start == '\t'))
		start++, value_len--;
	while (value_len > 0 &&
	       (start[value_len - 1] == '\r' || start[value_len - 1] == '\n' || start[value_len - 1] == ' '))
		value_len--;
	if (value_len >= sizeof(value))
		value_len = sizeof(value) - 1;
	memcpy(value, start, value_len);
	value[value_len] = '\0';
	if (tolower((unsigned char)data[0]) == 'c') {
		snprintf(response->cache_control, sizeof(response->cache_control), "%s", value);
	} else if (tolower((unsigned char)data[0]) == 'r') {
		/* RFC 9110 §10.2.3: delta-seconds, or an HTTP-date. */
		if (value_len > 0 && value_len <= 9 && strspn(value, "0123456789") == value_len) {
			response->retry_after = strtol(value, NULL, 10);
		} else {
			time_t when = curl_getdate(value, NULL);
			response->retry_at = when > 0 ? (int64_t)when : 0;
		}
	} else {
		time_t when = curl_getdate(value, NULL);
		response->expires_at = when > 0 ? (int64_t)when : 0;
	}
	return len;
}

/* Frees a header list after wiping it: it may carry the client secret or a token. */
static void wipe_headers(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static enum http_status classify_curl_error(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_UNREACHABLE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return HTTP_TLS_ERROR;
	case CURLE_WRITE_ERROR:
		return HTTP_TOO_LARGE;
	default:
		return HTTP_FAILED;
	}
}

/* OpenSSL decrypts each TLS record in place in its read buffer and frees that buffer
 * unwiped: every answer (access, refresh and ID tokens, device codes) would stay in the
 * heap (house rule 3; tests/hostile/test_secrets.py). SSL_OP_CLEANSE_PLAINTEXT (OpenSSL
 * 3.0) wipes it. libcurl's own request and download buffers stay out of our reach. */
static CURLcode cleanse_plaintext(CURL *curl, void *ssl_ctx, void *data)
{
	(void)curl, (void)data;
	SSL_CTX_set_options((SSL_CTX *)ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
	return CURLE_OK;
}

/* CURLOPT_SSL_CTX_FUNCTION: a libcurl built on another TLS library says NOT_BUILT_IN. */
static bool cleanse_tls_buffers(CURL *curl)
{
	CURLcode code = curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, cleanse_plaintext);
	return code == CURLE_OK || code == CURLE_NOT_BUILT_IN;
}

static enum http_status perform(struct http_client *client, const char *url, struct curl_slist *headers,
				const char *post_body, long timeout_ms, struct http_response *response, char *error,
				size_t error_size)
{
	CURL *curl = client->curl;
	char curl_error[CURL_ERROR_SIZE] = "";
	response->status_code = 0;
	response->cache_control[0] = '\0';
	response->expires_at = 0;
	response->retry_after = -1;
	response->retry_at = 0;

	/* Each request sets every option it relies on; the handle is reused for its connection. */
	curl_easy_reset(curl);
	bool ok = curl_easy_setopt(curl, CURLOPT_URL, url) == CURLE_OK &&
		  /* https only, no redirects: an IdP endpoint that moves is a configuration to fix. */
		  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
		  /* ca_file is the only trust anchor: Debian's libcurl keeps its CA directory
		   * (/etc/ssl/certs) active beside CAINFO, so any system-trusted CA could otherwise
		   * impersonate an IdP pinned to a private CA. */
		  (client->ca_file == NULL || (curl_easy_setopt(curl, CURLOPT_CAINFO, client->ca_file) == CURLE_OK &&
					       curl_easy_setopt(curl, CURLOPT_CAPATH, NULL) == CURLE_OK)) &&
		  /* The environment of sudo is the invoking user's: ignore its proxy variables. */
		  curl_easy_setopt(curl, CURLOPT_PROXY, "") == CURLE_OK &&
		  /* No signals (house rule 4): curl must not use SIGALRM for DNS timeouts. */
		  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK && cleanse_tls_buffers(curl) &&
		  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response->body) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_HEADERDATA, response) == CURLE_OK &&
		  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error) == CURLE_OK;
	if (ok && post_body != NULL) {
		ok = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body)) == CURLE_OK &&
		     curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body) == CURLE_OK;
	}
	if (!ok) {
		snprintf(error, error_size, "cannot set up the HTTP request");
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
		return HTTP_FAILED;
	}
	CURLcode code = curl_easy_perform(curl);
	/* Forget the pointers into our memory before it goes away. */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	/* The status line, when one arrived: also after a failure (a body too large, a reset
	 * mid-body), since a 200 from the token endpoint means someone approved. */
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status_code);
	if (code != CURLE_OK) {
		const char *detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(code);
		char *safe = sanitize_for_terminal(detail, strlen(detail), 160);
		snprintf(error, error_size, "%s", safe != NULL ? safe : "HTTP request failed");
		free(safe);
		return classify_curl_error(code);
	}
	if (response->status_code >= 300 && response->status_code < 400) {
		snprintf(error, error_size, "redirect (HTTP %ld) refused", response->status_code);
		return HTTP_FAILED;
	}
	return HTTP_DONE;
}

/* Sends one request: a form POST when POST_BODY is set, else a GET. AUTHORIZATION is
 * the Authorization header's value, or NULL. */
static enum http_status request(struct http_client *client, const char *url, const char *authorization,
				const char *post_body, long timeout_ms, struct http_response *response, char *error,
				size_t error_size)
{
	struct curl_slist *headers = NULL, *next;
	char *auth_header = NULL;
	enum http_status status = HTTP_FAILED;
	error[0] = '\0';
	strbuf_init(&response->body, HTTP_BODY_MAX);
	response->status_code = 0;
	response->cache_control[0] = '\0';
	response->expires_at = 0;
	response->retry_after = -1;
	response->retry_at = 0;
	if (authorization != NULL && asprintf(&auth_header, "Authorization: %s", authorization) < 0) {
		auth_header = NULL;
		goto done;
	}
	const char *lines[] = {
		"Accept: application/json", auth_header,
		post_body != NULL ? "Content-Type: application/x-www-form-urlencoded" : NULL,
		post_body != NULL ? "Expect:" : NULL, /* no 100-continue round trip */
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (lines[i] == NULL)
			continue;
		if ((next = curl_slist_append(headers, lines[i])) == NULL)
			goto done;
		headers = next;
	}
	status = perform(client, url, headers, post_body, timeout_ms, response, error, error_size);
done:
	if (status == HTTP_FAILED && error[0] == '\0')
		snprintf(error, error_size, "out of memory");
	wipe_headers(headers);
	secret_free(auth_header);
	return status;
}

enum http_status http_post_form(struct http_client *client, const char *url, const char *body,
				const char *authorization, long timeout_ms, struct http_response *response, char *error,
				size_t error_size)
{
	return request(client, url, authorization, body, timeout_ms, response, error, error_size);
}

enum http_status http_get_with_bearer(struct http_client *client, const char *url, const char *token, long timeout_ms,
				      struct http_response *response, char *error, size_t error_size)
{
	struct strbuf authorization;
	strbuf_init(&authorization, 0);
	if (token == NULL)
		return request(client, url, NULL, NULL, timeout_ms, response, error, error_size);
	if (strbuf_appendf(&authorization, "Bearer %s", token) != 0) {
		strbuf_wipe_free(&authorization);
		strbuf_init(&response->body, HTTP_BODY_MAX);
		response->status_code = 0;
		snprintf(error, error_size, "out of memory");
		return HTTP_FAILED;
	}
	enum http_status status =
	    request(client, url, authorization.data, NULL, timeout_ms, response, error, error_size);
	strbuf_wipe_free(&authorization);
	return status;
}
