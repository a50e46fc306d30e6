/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * yield.c: solo5_yield(). Until the deadline passes or a network device
 * has a frame waiting, the CPU halts; the PIT (armed for the time left, at
 * most ~55 ms at a time) or a device's interrupt wakes it to look again.
 */

#include "virtio.h"

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    solo5_handle_set_t ready;

    for (;;) {
        ready = virtio_net_ready();
        if (ready != 0)
            break;
        solo5_time_t now = solo5_clock_monotonic();
        if (now >= deadline)
            break;
        time_arm_timer(deadline - now);
        intr_wait();
    }
    if (ready_set != NULL)
        *ready_set = ready;
}
