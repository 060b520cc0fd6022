/* device_poll.h: when to poll the token endpoint, driven by a fake clock (plain
 * milliseconds). */
#include "config.h"

#include "rules/device_poll.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A point in time far from zero, so no test depends on the clock starting at 0. */
#define T0 ((int64_t)1000000000)
#define SECONDS(s) (1000 * (int64_t)(s))
/* A login deadline that never matters. */
#define NO_LOGIN_DEADLINE (T0 + SECONDS(100000))

/* The wait before the next poll at NOW_MS; fails the test when the action is not WAIT. */
static int64_t wait_at(const struct device_poll *poll, int64_t now_ms)
{
	int64_t wait_ms = -1;
	assert_int_equal(device_poll_next_action(poll, now_ms, &wait_ms), POLL_ACTION_WAIT);
	return wait_ms;
}

static void test_first_poll_waits_one_interval_after_start(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	assert_int_equal(wait_at(&poll, T0), SECONDS(5));
	/* Asked again 2 s later, only the rest of the interval is left. */
	assert_int_equal(wait_at(&poll, T0 + SECONDS(2)), SECONDS(3));
}

static void test_interval_zero_is_raised_to_one_second(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 0, 600, NO_LOGIN_DEADLINE);
	assert_int_equal(wait_at(&poll, T0), SECONDS(1));
}

static void test_negative_interval_is_raised_to_one_second(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, -7, 600, NO_LOGIN_DEADLINE);
	assert_int_equal(wait_at(&poll, T0), SECONDS(1));
}

static void test_pending_keeps_the_interval(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	for (int i = 0; i < 10; i++) {
		now += 200; /* each request takes 0.2 s */
		device_poll_record(&poll, POLL_EVENT_PENDING, now);
		assert_int_equal(wait_at(&poll, now), SECONDS(5));
		now += SECONDS(5);
	}
}

static void test_slow_down_adds_five_seconds(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(10));
}

static void test_slow_down_adds_five_seconds_cumulatively(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, now);
	now += SECONDS(10);
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(15));
	/* RFC 8628 §3.5: "this and all subsequent requests": pending answers keep the +10 s. */
	for (int i = 0; i < 3; i++) {
		now += SECONDS(15);
		device_poll_record(&poll, POLL_EVENT_PENDING, now);
		assert_int_equal(wait_at(&poll, now), SECONDS(15));
	}
}

static void test_timeout_doubles_the_interval(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 3600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(10));
	now += SECONDS(10);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(20));
}

static void test_timeout_backoff_stops_at_the_cap(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 3600, NO_LOGIN_DEADLINE);
	int64_t now = T0;
	/* 5 -> 10 -> 20 -> 40 -> 60 (not 80) -> 60 ... */
	const int64_t expected[] = { SECONDS(10),          SECONDS(20),          SECONDS(40),
				     POLL_INTERVAL_CAP_MS, POLL_INTERVAL_CAP_MS, POLL_INTERVAL_CAP_MS };
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		now += SECONDS(1);
		device_poll_record(&poll, POLL_EVENT_TIMEOUT, now);
		assert_int_equal(wait_at(&poll, now), expected[i]);
	}
}

static void test_timeout_never_shortens_an_interval_above_the_cap(void **state)
{
	(void)state;
	/* The server asked for 120 s between polls: a timeout must not make us poll sooner. */
	struct device_poll poll;
	device_poll_start(&poll, T0, 120, 3600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(120);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, now);
	assert_true(wait_at(&poll, now) >= SECONDS(120));
}

static void test_timeout_never_undoes_slow_down_near_the_cap(void **state)
{
	(void)state;
	/* 58 s + slow_down = 63 s, above the cap: a timeout must keep at least 63 s. */
	struct device_poll poll;
	device_poll_start(&poll, T0, 58, 3600, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(58);
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, now);
	now += SECONDS(63);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, now);
	assert_true(wait_at(&poll, now) >= SECONDS(63));
}

static void test_timeout_sets_last_was_timeout(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	assert_false(poll.last_was_timeout);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, T0 + SECONDS(15));
	assert_true(poll.last_was_timeout);
}

static void test_pending_after_timeout_clears_last_was_timeout(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, T0 + SECONDS(15));
	device_poll_record(&poll, POLL_EVENT_PENDING, T0 + SECONDS(26));
	assert_false(poll.last_was_timeout);
}

static void test_slow_down_after_timeout_clears_last_was_timeout(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	device_poll_record(&poll, POLL_EVENT_TIMEOUT, T0 + SECONDS(15));
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, T0 + SECONDS(26));
	assert_false(poll.last_was_timeout);
}

static void test_deadline_is_expiry_when_sooner_than_login_deadline(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 30, T0 + SECONDS(300));
	assert_int_equal(poll.deadline_ms, T0 + SECONDS(30));
}

static void test_deadline_is_login_deadline_when_sooner_than_expiry(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 1800, T0 + SECONDS(300));
	assert_int_equal(poll.deadline_ms, T0 + SECONDS(300));
}

static void test_gives_up_when_next_poll_would_start_after_deadline(void **state)
{
	(void)state;
	struct device_poll poll;
	/* The code expires 12 s after start: polls at 5 and 10 s fit, one at 15 s does not. */
	device_poll_start(&poll, T0, 5, 12, NO_LOGIN_DEADLINE);
	int64_t now = T0;
	assert_int_equal(wait_at(&poll, now), SECONDS(5));
	now += SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_PENDING, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(5));
	now += SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_PENDING, now);
	int64_t wait_ms;
	assert_int_equal(device_poll_next_action(&poll, now, &wait_ms), POLL_ACTION_GIVE_UP);
}

static void test_gives_up_at_the_login_deadline(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 1800, T0 + SECONDS(7));
	int64_t now = T0 + SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_PENDING, now);
	int64_t wait_ms;
	assert_int_equal(device_poll_next_action(&poll, now, &wait_ms), POLL_ACTION_GIVE_UP);
}

static void test_slow_down_can_push_the_next_poll_past_the_deadline(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 12, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	/* Next poll would be at 5 + 10 = 15 s, after the 12 s expiry. */
	device_poll_record(&poll, POLL_EVENT_SLOW_DOWN, now);
	int64_t wait_ms;
	assert_int_equal(device_poll_next_action(&poll, now, &wait_ms), POLL_ACTION_GIVE_UP);
}

static void test_poll_starting_exactly_at_deadline_is_allowed(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 10, NO_LOGIN_DEADLINE);
	int64_t now = T0 + SECONDS(5);
	device_poll_record(&poll, POLL_EVENT_PENDING, now);
	assert_int_equal(wait_at(&poll, now), SECONDS(5));
	/* One millisecond less life and the same poll is refused. */
	device_poll_start(&poll, T0, 5, 10, T0 + SECONDS(10) - 1);
	device_poll_record(&poll, POLL_EVENT_PENDING, now);
	int64_t wait_ms;
	assert_int_equal(device_poll_next_action(&poll, now, &wait_ms), POLL_ACTION_GIVE_UP);
}

static void test_wait_is_measured_from_the_end_of_the_last_request(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	/* The poll started at 5 s and took 3.5 s: the next may start 5 s after it ended. */
	int64_t ended = T0 + SECONDS(5) + 3500;
	device_poll_record(&poll, POLL_EVENT_PENDING, ended);
	assert_int_equal(wait_at(&poll, ended), SECONDS(5));
	assert_int_equal(wait_at(&poll, ended + 1500), SECONDS(5) - 1500);
}

static void test_late_caller_waits_zero(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 600, NO_LOGIN_DEADLINE);
	/* The person took 40 s to press Enter: the first poll is due already. */
	assert_int_equal(wait_at(&poll, T0 + SECONDS(40)), 0);
}

static void test_late_caller_past_the_deadline_gives_up(void **state)
{
	(void)state;
	struct device_poll poll;
	device_poll_start(&poll, T0, 5, 30, NO_LOGIN_DEADLINE);
	int64_t wait_ms;
	assert_int_equal(device_poll_next_action(&poll, T0 + SECONDS(31), &wait_ms), POLL_ACTION_GIVE_UP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_poll_waits_one_interval_after_start),
		cmocka_unit_test(test_interval_zero_is_raised_to_one_second),
		cmocka_unit_test(test_negative_interval_is_raised_to_one_second),
		cmocka_unit_test(test_pending_keeps_the_interval),
		cmocka_unit_test(test_slow_down_adds_five_seconds),
		cmocka_unit_test(test_slow_down_adds_five_seconds_cumulatively),
		cmocka_unit_test(test_timeout_doubles_the_interval),
		cmocka_unit_test(test_timeout_backoff_stops_at_the_cap),
		cmocka_unit_test(test_timeout_never_shortens_an_interval_above_the_cap),
		cmocka_unit_test(test_timeout_never_undoes_slow_down_near_the_cap),
		cmocka_unit_test(test_timeout_sets_last_was_timeout),
		cmocka_unit_test(test_pending_after_timeout_clears_last_was_timeout),
		cmocka_unit_test(test_slow_down_after_timeout_clears_last_was_timeout),
		cmocka_unit_test(test_deadline_is_expiry_when_sooner_than_login_deadline),
		cmocka_unit_test(test_deadline_is_login_deadline_when_sooner_than_expiry),
		cmocka_unit_test(test_gives_up_when_next_poll_would_start_after_deadline),
		cmocka_unit_test(test_gives_up_at_the_login_deadline),
		cmocka_unit_test(test_slow_down_can_push_the_next_poll_past_the_deadline),
		cmocka_unit_test(test_poll_starting_exactly_at_deadline_is_allowed),
		cmocka_unit_test(test_wait_is_measured_from_the_end_of_the_last_request),
		cmocka_unit_test(test_late_caller_waits_zero),
		cmocka_unit_test(test_late_caller_past_the_deadline_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
