/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * yield.c: solo5_yield() by the poll hypercall. The tender waits until a
 * network device has input or the timeout passes; the timeout is relative,
 * the deadline absolute monotonic time.
 */

#include "hvt.h"

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    struct hvt_hc_poll p = {0};
    solo5_time_t now = solo5_clock_monotonic();

    p.timeout_nsecs = deadline > now ? deadline - now : 0;
    hvt_do_hypercall(HVT_HYPERCALL_POLL, &p);
    if (ready_set != NULL)
        *ready_set = p.ret > 0 ? p.ready_set : 0;
}
