/* The clock: the one file that reads time or sleeps. A login measures its deadline and
 * its polling on the monotonic clock, and token lifetimes on the wall clock. Tests link
 * a virtual clock in its place (tests/flow). */
#ifndef PAM_OAUTH2_CLOCK_H
#define PAM_OAUTH2_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (never jumps). */
int64_t clock_monotonic_ms(void);

/* Seconds since the epoch (for exp, iat, nbf and cache lifetimes). */
int64_t clock_wall_seconds(void);

/* Sleeps MS milliseconds without signals or timers of our own (house rule 4: no signals,
 * no alarm()); an interrupted sleep resumes. */
void clock_sleep_ms(int64_t ms);

#endif
