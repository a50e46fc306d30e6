/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * yield.c: solo5_yield(). Until the deadline passes or a network device
 * has a frame waiting, the CPU halts; the timer (armed for the deadline)
 * or an event channel upcall wakes it to look again. Everything is looked
 * at with interrupts disabled, so a wake-up that comes after the look
 * ends the halt at once (intr_wait()).
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
