/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * yield.c: solo5_yield(). The tender gives us an epoll set holding every
 * network device (event data = the device's handle) and a timerfd (event
 * data = SPT_INTERNAL_TIMERFD). A deadline is an absolute CLOCK_MONOTONIC
 * time, so it goes into the timerfd as is; arming the timer also clears a
 * previous expiry, so the timer never wakes a later call by mistake.
 */

#include "spt.h"

#define NSEC_PER_SEC 1000000000ULL

static int epollfd = -1;
static int timerfd = -1;

void yield_init(const struct spt_boot_info *bi)
{
    epollfd = bi->epollfd;
    timerfd = bi->timerfd;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    uint64_t data[MFT_MAX_ENTRIES + 1];
    solo5_handle_set_t ready = 0;

    /* An all-zero expiry would disarm the timer; 1 ns is long past. */
    if (deadline == 0)
        deadline = 1;
    struct sys_timespec expiry = {
        .tv_sec = (int64_t)(deadline / NSEC_PER_SEC),
        .tv_nsec = (int64_t)(deadline % NSEC_PER_SEC),
    };
    if (sys_timerfd_settime_abs(timerfd, &expiry) != 0)
        bindings_panic("timerfd_settime() failed");

    long n;
    do {
        n = sys_epoll_wait_data(epollfd, data,
                                (int)mft_count(MFT_DEV_NET_BASIC) + 1);
    } while (n == -SYS_EINTR);
    if (n < 0)
        bindings_panic("epoll_pwait() failed (%ld)", n);

    for (long i = 0; i < n; i++) {
        if (data[i] < MFT_MAX_ENTRIES)
            ready |= (solo5_handle_set_t)1 << data[i];
    }
    if (ready_set != NULL)
        *ready_set = ready;
}
