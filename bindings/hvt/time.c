/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * time.c: the clocks. Monotonic time is the CPU's cycle counter scaled by
 * the frequency the tender measured, counted from start of day; wall time
 * is the host's wall clock read once at start of day plus monotonic time.
 * Neither needs a hypercall after start of day.
 */

#include "hvt.h"

#define NSEC_PER_SEC 1000000000ULL

static uint64_t tick_base;   /* counter value at start of day */
static uint64_t ns_per_tick; /* 32.32 fixed point */
static uint64_t wall_base;   /* wall clock at start of day, ns */

void time_init(const struct hvt_boot_info *bi)
{
    uint64_t freq = bi->cpu_cycle_freq;

    /* NSEC_PER_SEC << 32 fits in 64 bits, so any frequency of at least
     * 1 Hz gives a multiplier that does too. */
    if (freq == 0)
        bindings_panic("the tender gave no cycle counter frequency");
    ns_per_tick = (NSEC_PER_SEC << 32) / freq;

    struct hvt_hc_walltime w = {0};
    tick_base = hvt_cpu_ticks();
    hvt_do_hypercall(HVT_HYPERCALL_WALLTIME, &w);
    wall_base = w.nsecs;
    log_printf(LOG_DEBUG, "Solo5: cycle counter at %llu Hz\n",
               (unsigned long long)freq);
}

solo5_time_t solo5_clock_monotonic(void)
{
    uint64_t ticks = hvt_cpu_ticks() - tick_base;

    return (solo5_time_t)(((unsigned __int128)ticks * ns_per_tick) >> 32);
}

solo5_time_t solo5_clock_wall(void)
{
    return wall_base + solo5_clock_monotonic();
}
