/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys.c: the Linux system calls of the spt binding, the same on every
 * architecture. Only the calls the solo5-spt seccomp filter allows are
 * here; their numbers, the layout of struct epoll_event and the system
 * call instruction come from sys_<arch>.c.
 */

#include "spt.h"

static long call(enum sys_call c, long a0, long a1, long a2, long a3)
{
    return sys_raw6(sys_arch.nr[c], a0, a1, a2, a3, 0, 0);
}

long sys_read(int fd, void *buf, size_t n)
{
    return call(SYS_CALL_READ, fd, (long)buf, (long)n, 0);
}

long sys_write(int fd, const void *buf, size_t n)
{
    return call(SYS_CALL_WRITE, fd, (long)buf, (long)n, 0);
}

long sys_pread64(int fd, void *buf, size_t n, uint64_t off)
{
    return call(SYS_CALL_PREAD64, fd, (long)buf, (long)n, (long)off);
}

long sys_pwrite64(int fd, const void *buf, size_t n, uint64_t off)
{
    return call(SYS_CALL_PWRITE64, fd, (long)buf, (long)n, (long)off);
}

long sys_clock_gettime(int clock, struct sys_timespec *ts)
{
    return call(SYS_CALL_CLOCK_GETTIME, clock, (long)ts, 0, 0);
}

long sys_timerfd_settime_abs(int fd, const struct sys_timespec *expiry)
{
    struct sys_timespec its[2] = {{0, 0}, *expiry}; /* interval, value */

    return call(SYS_CALL_TIMERFD_SETTIME, fd, SYS_TFD_TIMER_ABSTIME, (long)its,
                0);
}

long sys_epoll_wait_data(int epfd, uint64_t *data, int max)
{
    /* Room for MFT_MAX_ENTRIES + 1 events of any layout, 8-byte aligned. */
    uint64_t ev[(MFT_MAX_ENTRIES + 1) * SYS_EPOLL_EVENT_MAX / 8];
    size_t size = sys_arch.epoll_event_size;

    if (max > MFT_MAX_ENTRIES + 1)
        max = MFT_MAX_ENTRIES + 1;
    /* No timeout (-1), no signal mask. */
    long n = call(SYS_CALL_EPOLL_PWAIT, epfd, (long)ev, max, -1);
    for (long i = 0; i < n; i++)
        memcpy(&data[i],
               (const uint8_t *)ev + (size_t)i * size +
                   sys_arch.epoll_data_offset,
               sizeof data[i]);
    return n;
}

void sys_exit_group(int status)
{
    for (;;)
        call(SYS_CALL_EXIT_GROUP, status, 0, 0, 0);
}
