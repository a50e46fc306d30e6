/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * yield.c: waiting. solo5_yield() halts until the deadline passes or a
 * network device has a frame waiting; xen_wait() until a condition of the
 * binding's own holds. The timer (armed for the deadline) or an event
 * channel upcall wakes the CPU to look again. Everything is looked at with
 * interrupts disabled, so a wake-up that comes after the look ends the
 * halt at once (intr_wait()).
 */

#include "xen.h"

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    solo5_handle_set_t ready;

    for (;;) {
        ready = net_ready();
        if (ready != 0)
            break;
        if (solo5_clock_monotonic() >= deadline)
            break;
        time_arm_timer(deadline);
        intr_wait();
    }
    if (ready_set != NULL)
        *ready_set = ready;
}

/* xen_wait() looks again at least this often, so that a notification the
 * other end never sent costs time, not a hang. */
#define POLL_NS 10000000ULL

bool xen_wait(bool (*ready)(void *), void *arg, uint64_t timeout_ns)
{
    solo5_time_t deadline = solo5_clock_monotonic() + timeout_ns;

    for (;;) {
        if (ready(arg))
            return true;
        solo5_time_t now = solo5_clock_monotonic();
        if (now >= deadline)
            return false;
        time_arm_timer(deadline - now > POLL_NS ? now + POLL_NS : deadline);
        intr_wait();
    }
}
