#include "config.h"

#include "rules/device_poll.h"

void device_poll_start(struct device_poll *poll, int64_t now_ms, long interval_s, long expires_in_s,
		       int64_t login_deadline_ms)
{
	int64_t expiry_ms = now_ms + (int64_t)expires_in_s * 1000;
	poll->interval_ms = (interval_s < 1 ? 1 : (int64_t)interval_s) * 1000;
	poll->last_request_ms = now_ms;
	poll->deadline_ms = expiry_ms < login_deadline_ms ? expiry_ms : login_deadline_ms;
	poll->last_was_timeout = false;
	poll->not_before_ms = 0;
}

void device_poll_record(struct device_poll *poll, enum poll_event event, int64_t now_ms)
{
	poll->last_request_ms = now_ms;
	poll->last_was_timeout = false;
	switch (event) {
	case POLL_EVENT_PENDING:
		break;
	case POLL_EVENT_SLOW_DOWN:
		poll->interval_ms += SLOW_DOWN_STEP_MS;
		break;
	case POLL_EVENT_TIMEOUT:
		/* RFC 8628 §3.5: on a connection timeout, poll less often (exponential backoff). The cap
		 * stops the growth only: an interval already above it (the server's, or after slow_down)
		 * must never shrink, or we would poll faster than we were told to. */
		if (poll->interval_ms < POLL_INTERVAL_CAP_MS) {
			poll->interval_ms *= 2;
			if (poll->interval_ms > POLL_INTERVAL_CAP_MS)
				poll->interval_ms = POLL_INTERVAL_CAP_MS;
		}
		poll->last_was_timeout = true;
		break;
	}
}

void device_poll_record_slow_down(struct device_poll *poll, int64_t now_ms, long interval_s, long retry_after_s)
{
	device_poll_record(poll, POLL_EVENT_SLOW_DOWN, now_ms);
	/* Both hints are bounded: a day is past any device code's life, so polling gives up. */
	if (interval_s > 86400)
		interval_s = 86400;
	if (retry_after_s > 86400)
		retry_after_s = 86400;
	if ((int64_t)interval_s * 1000 > poll->interval_ms)
		poll->interval_ms = (int64_t)interval_s * 1000;
	if (retry_after_s > 0)
		poll->not_before_ms = now_ms + (int64_t)retry_after_s * 1000;
}

enum poll_action device_poll_next_action(const struct device_poll *poll, int64_t now_ms, int64_t *wait_ms)
{
	int64_t earliest = poll->last_request_ms + poll->interval_ms;
	if (poll->not_before_ms > earliest)
		earliest = poll->not_before_ms;
	int64_t start = earliest > now_ms ? earliest : now_ms;
	if (start > poll->deadline_ms) {
		*wait_ms = 0;
		return POLL_ACTION_GIVE_UP;
	}
	*wait_ms = start - now_ms;
	return POLL_ACTION_WAIT;
}
