/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * time.c: the clocks and the wake-up timer.
 *
 * Monotonic time is Xen's system time for our vCPU (the PV clock in
 * vcpu_info): system_time at tsc_timestamp, plus the TSC ticks since then
 * scaled by tsc_shift and tsc_to_system_mul. Wall time is the wall clock
 * at system time 0 (shared info's wc_*) plus system time. Both are read
 * under their version counters, which are odd while the hypervisor
 * updates them.
 *
 * The wake-up timer is the local APIC's, in TSC-deadline mode (Xen's PV
 * one-shot timer is not there under QEMU's Xen emulation, while a PVH
 * guest always has a local APIC). Without TSC-deadline mode it counts
 * down in one-shot mode, its rate measured against the PV clock.
 */

#include "xen.h"

#define NSEC_PER_SEC 1000000000ULL
#define CPUID1_ECX_TSC_DEADLINE (1U << 24)
#define MSR_TSC_DEADLINE 0x6e0
#define LVT_TSC_DEADLINE (2U << 17)
#define LVT_ONE_SHOT 0U
#define LVT_MASKED (1U << 16)
#define DIVIDE_BY_1 0xbU
/* Calibration of the one-shot count: 10 ms of PV clock time. */
#define CALIBRATION_NS (NSEC_PER_SEC / 100)

static bool tsc_deadline;
static uint64_t apic_ticks_per_ms;

struct clock_snapshot {
    uint64_t tsc_timestamp, system_time;
    uint32_t mul;
    int8_t shift;
};

static struct clock_snapshot snapshot(void)
{
    volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
    struct clock_snapshot s;
    uint32_t v;

    do {
        v = t->version;
        compiler_barrier();
        s.tsc_timestamp = t->tsc_timestamp;
        s.system_time = t->system_time;
        s.mul = t->tsc_to_system_mul;
        s.shift = t->tsc_shift;
        compiler_barrier();
    } while ((v & 1) || v != t->version);
    return s;
}

static uint64_t scale_delta(uint64_t delta, const struct clock_snapshot *s)
{
    if (s->shift >= 0)
        delta <<= s->shift;
    else
        delta >>= -s->shift;
    return (uint64_t)(((unsigned __int128)delta * s->mul) >> 32);
}

solo5_time_t solo5_clock_monotonic(void)
{
    struct clock_snapshot s = snapshot();
    uint64_t now = rdtsc();

    /* A TSC read just before an update can be older than its stamp. */
    uint64_t delta = now > s.tsc_timestamp ? now - s.tsc_timestamp : 0;
    return s.system_time + scale_delta(delta, &s);
}

solo5_time_t solo5_clock_wall(void)
{
    uint32_t v, sec_lo, sec_hi, nsec;

    do {
        v = shared_info->wc_version;
        compiler_barrier();
        sec_lo = shared_info->wc_sec;
        sec_hi = shared_info->wc_sec_hi;
        nsec = shared_info->wc_nsec;
        compiler_barrier();
    } while ((v & 1) || v != shared_info->wc_version);
    uint64_t boot = (((uint64_t)sec_hi << 32) | sec_lo) * NSEC_PER_SEC + nsec;
    return boot + solo5_clock_monotonic();
}

/* TSC ticks in (ns) nanoseconds, at most ~4.3 s (2^32 ns, so that 64-bit
 * arithmetic does): scale_delta() backwards. Longer waits wake early and
 * re-arm. */
static uint64_t ns_to_tsc(uint64_t ns, const struct clock_snapshot *s)
{
    if (ns > UINT32_MAX)
        ns = UINT32_MAX;
    uint64_t t = (ns << 32) / s->mul;

    if (s->shift >= 0)
        return t >> s->shift;
    /* Xen keeps the shift small; stop short of overflowing anyway. */
    if (-s->shift >= 32 || t > (UINT64_MAX >> 1 >> -s->shift))
        return UINT64_MAX >> 2;
    return t << -s->shift;
}

static void calibrate_one_shot(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_1);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_ONE_SHOT);
    lapic_write(LAPIC_TIMER_INIT, UINT32_MAX);
    solo5_time_t t0 = solo5_clock_monotonic();
    uint32_t c0 = lapic_read(LAPIC_TIMER_COUNT);
    solo5_time_t t1;
    do
        t1 = solo5_clock_monotonic();
    while (t1 - t0 < CALIBRATION_NS);
    uint32_t c1 = lapic_read(LAPIC_TIMER_COUNT);
    lapic_write(LAPIC_TIMER_INIT, 0);
    apic_ticks_per_ms = (uint64_t)(c0 - c1) * 1000000ULL / (t1 - t0);
    if (apic_ticks_per_ms == 0)
        bindings_panic("the local APIC timer does not count");
}

void time_init(void)
{
    struct clock_snapshot s = snapshot();

    if (s.mul == 0)
        bindings_panic("the hypervisor gives no PV clock");
    if (!lapic_init(IRQ_VECTOR_BASE + XEN_SPURIOUS_IRQ))
        bindings_panic("no usable local APIC for the wake-up timer");
    cpu_trap_set_interrupt(IRQ_VECTOR_BASE + XEN_TIMER_IRQ,
                           irq_entry_table[XEN_TIMER_IRQ]);
    cpu_trap_set_interrupt(IRQ_VECTOR_BASE + XEN_SPURIOUS_IRQ,
                           irq_entry_table[XEN_SPURIOUS_IRQ]);
    tsc_deadline = cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE;
    if (tsc_deadline) {
        lapic_write(LAPIC_LVT_TIMER,
                    LVT_TSC_DEADLINE | (IRQ_VECTOR_BASE + XEN_TIMER_IRQ));
    } else {
        calibrate_one_shot();
        lapic_write(LAPIC_LVT_TIMER,
                    LVT_ONE_SHOT | (IRQ_VECTOR_BASE + XEN_TIMER_IRQ));
    }
    log_printf(LOG_DEBUG, "Solo5: wake-up timer: local APIC, %s\n",
               tsc_deadline ? "TSC deadline" : "one-shot");
}

void time_arm_timer(solo5_time_t deadline)
{
    solo5_time_t now = solo5_clock_monotonic();
    uint64_t ns = deadline > now ? deadline - now : 0;

    if (tsc_deadline) {
        struct clock_snapshot s = snapshot();
        /* 0 would disarm the timer; 1 fires at once. */
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + ns_to_tsc(ns, &s) + 1);
        return;
    }
    /* The count is 32 bits: longer waits wake early and re-arm. */
    uint64_t ticks = ns / 1000000ULL * apic_ticks_per_ms +
                     (ns % 1000000ULL) * apic_ticks_per_ms / 1000000ULL + 1;
    lapic_write(LAPIC_TIMER_INIT,
                ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks);
}

void time_timer_irq(void)
{
    /* Waking the CPU from HLT was the whole job. */
    lapic_eoi();
}
