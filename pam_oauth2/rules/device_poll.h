/* When to poll the token endpoint, and when to stop (RFC 8628 §3.4, §3.5).
 * Pure: the caller passes the clock (milliseconds, monotonic) and what happened. */
#ifndef PAM_OAUTH2_DEVICE_POLL_H
#define PAM_OAUTH2_DEVICE_POLL_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 8628 §3.5: slow_down adds 5 seconds for this and every later request. */
#define SLOW_DOWN_STEP_MS 5000
/* Backoff after connection timeouts stops growing here. */
#define POLL_INTERVAL_CAP_MS 60000

struct device_poll {
	int64_t interval_ms;     /* the least time between the end of one request and the next */
	int64_t last_request_ms; /* when the previous request (device authorization or poll) ended */
	int64_t deadline_ms;     /* no request starts after this */
	bool last_was_timeout;   /* the most recent poll timed out at the transport */
	int64_t not_before_ms;   /* a Retry-After: no request before then (0: none) */
};

enum poll_event {
	POLL_EVENT_PENDING,   /* authorization_pending */
	POLL_EVENT_SLOW_DOWN, /* slow_down */
	POLL_EVENT_TIMEOUT    /* the request timed out before an answer */
};

enum poll_action {
	POLL_ACTION_WAIT,   /* wait *WAIT_MS, then poll */
	POLL_ACTION_GIVE_UP /* the next poll would start after the deadline */
};

/* Starts polling after the device authorization response ended at NOW_MS. The
 * deadline is the sooner of EXPIRES_IN seconds from then and LOGIN_DEADLINE_MS; an
 * interval under one second is raised to one (waiting longer is always allowed). */
void device_poll_start(struct device_poll *poll, int64_t now_ms, long interval_s, long expires_in_s,
		       int64_t login_deadline_ms);

/* Records that a poll ending at NOW_MS was answered with EVENT. */
void device_poll_record(struct device_poll *poll, enum poll_event event, int64_t now_ms);

/* Records a slow_down answer ending at NOW_MS with the server's hints: a new INTERVAL_S
 * in the body (GitHub sends one; 0: none) and a Retry-After of RETRY_AFTER_S seconds
 * (with a 429; 0: none). The interval grows by 5 s, or to the server's when that is
 * larger, and never shrinks; the next request waits for Retry-After too. */
void device_poll_record_slow_down(struct device_poll *poll, int64_t now_ms, long interval_s, long retry_after_s);

/* What to do next, at NOW_MS. */
enum poll_action device_poll_next_action(const struct device_poll *poll, int64_t now_ms, int64_t *wait_ms);

#endif
