/* The I/O shell replaced for tests/flow: a scripted HTTP client (io/http_client.h), a
 * virtual clock (io/clock.h), a recorded PAM conversation (io/pam_conversation.h) and a
 * recorded syslog (io/auth_log.h). The login and IdP layers run on top unchanged, with
 * no network, no root and no waiting: a sleep moves the virtual clock. */
#ifndef PAM_OAUTH2_TEST_FAKE_IO_H
#define PAM_OAUTH2_TEST_FAKE_IO_H

#include "io/http_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One canned answer. TRANSPORT other than HTTP_DONE fails the request (HTTP_TIMEOUT
 * takes the request's whole timeout on the virtual clock); STATUS is still reported, as
 * a status line seen before the failure (0: none). */
struct fake_reply {
	long status;
	const char *body;
	enum http_status transport;
	int64_t latency_ms;
	const char *cache_control;
	long retry_after; /* a Retry-After header in seconds (0: none) */
};

/* One request the code under test made. */
struct fake_request {
	char *url;
	char *body;          /* NULL for a GET */
	char *authorization; /* the Authorization header's value, or NULL */
	int64_t at_ms;       /* virtual monotonic time when it was sent */
	long timeout_ms;
};

/* Forgets routes, requests, log and conversation; the clock starts again. */
void fake_reset(void);

/* Requests to URL get REPLIES in turn; the last one repeats. REPLIES must outlive the
 * test (static or a test's local array used before it returns). */
void fake_route(const char *url, const struct fake_reply *replies, size_t count);

/* Called when a request to URL arrives, before its reply is chosen (an approval at the
 * IdP, a key rotation): may change routes. */
void fake_on_request(const char *url, void (*hook)(const struct fake_request *request, void *data), void *data);

/* Called when the module waits for Enter (after the code is shown). */
void fake_on_enter(void (*hook)(void *data), void *data);

/* Called after every sleep (another process doing its part meanwhile). */
void fake_on_sleep(void (*hook)(void *data), void *data);

/* What the conversation answers: PAM_SUCCESS by default. */
void fake_conversation_fails(int pam_code);

size_t fake_request_count(void);
const struct fake_request *fake_request_at(size_t index);
size_t fake_requests_to(const char *url);
/* The INDEX-th request to URL, or NULL. */
const struct fake_request *fake_request_to(const char *url, size_t index);

/* Everything logged (one line each), shown as info, and shown as errors. */
const char *fake_log(void);
const char *fake_shown(void);
const char *fake_errors(void);

int64_t fake_now_ms(void);
/* Moves the virtual clock (a person taking their time). */
void fake_advance_ms(int64_t ms);

#endif
