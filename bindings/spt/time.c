/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * time.c: the monotonic and wall clocks, straight from the host.
 */

#include "spt.h"

#define NSEC_PER_SEC 1000000000ULL

static solo5_time_t clock_read(int clock)
{
    struct sys_timespec ts;

    if (sys_clock_gettime(clock, &ts) != 0)
        bindings_panic("clock_gettime(%d) failed", clock);
    return (solo5_time_t)ts.tv_sec * NSEC_PER_SEC + (solo5_time_t)ts.tv_nsec;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return clock_read(SYS_CLOCK_MONOTONIC);
}

solo5_time_t solo5_clock_wall(void)
{
    return clock_read(SYS_CLOCK_REALTIME);
}
