/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_time: the monotonic clock advances, the wall clock is plausible,
 * and solo5_yield() sleeps until its deadline (not much less, not much
 * more) and returns at once for a deadline in the past.
 */

#include "../common/testlib.h"

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define SLEEP_NS (500 * NSEC_PER_MSEC)
#define SLACK_NS (150 * NSEC_PER_MSEC)

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("time");

    solo5_time_t t0 = solo5_clock_monotonic();
    solo5_time_t t1 = t0;
    for (int i = 0; i < 1000 && t1 == t0; i++)
        t1 = solo5_clock_monotonic();
    if (t1 <= t0)
        return t_fail("monotonic time does not advance");

    /* 2017-01-01T00:00:00Z */
    if (solo5_clock_wall() < 1483228800ULL * NSEC_PER_SEC)
        return t_fail("wall clock is before 2017");

    /* Deadlines in the past, including 0, return at once. */
    solo5_handle_set_t ready = ~0ULL;
    t0 = solo5_clock_monotonic();
    solo5_yield(0, &ready);
    solo5_yield(t0, NULL);
    t1 = solo5_clock_monotonic();
    if (ready != 0)
        return t_fail("solo5_yield() reported ready handles without devices");
    if (t1 - t0 > SLACK_NS)
        return t_fail("solo5_yield() with a past deadline slept");
    t_printf("yield with a past deadline took %llu ns\n",
             (unsigned long long)(t1 - t0));

    for (int i = 1; i <= 3; i++) {
        solo5_time_t w0 = solo5_clock_wall();
        t0 = solo5_clock_monotonic();
        solo5_yield(t0 + SLEEP_NS, NULL);
        t1 = solo5_clock_monotonic();
        solo5_time_t w1 = solo5_clock_wall();
        t_printf("[%d] asked for %llu ns, slept %llu ns (wall: %llu ns)\n", i,
                 (unsigned long long)SLEEP_NS, (unsigned long long)(t1 - t0),
                 (unsigned long long)(w1 - w0));
        if (t1 - t0 < SLEEP_NS)
            return t_fail("solo5_yield() returned before its deadline");
        if (t1 - t0 > SLEEP_NS + SLACK_NS)
            return t_fail("solo5_yield() slept far past its deadline");
        if (w1 < w0 || w1 - w0 < SLEEP_NS - SLACK_NS)
            return t_fail("wall clock does not follow the monotonic clock");
    }

    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
