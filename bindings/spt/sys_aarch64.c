/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_aarch64.c: raw Linux system calls on aarch64 (the generic system
 * call table). Only the calls the solo5-spt seccomp filter allows are
 * here. "svc #0" takes the number in x8 and arguments in x0-x5, and
 * returns the result (or -errno) in x0.
 */

#include "spt.h"

#define NR_epoll_pwait 22
#define NR_read 63
#define NR_write 64
#define NR_pread64 67
#define NR_pwrite64 68
#define NR_timerfd_settime 86
#define NR_exit_group 94
#define NR_clock_gettime 113

/* Natural alignment on aarch64: 16 bytes, data at offset 8. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
};

static long syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
                     long a5)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x4 __asm__("x4") = a4;
    register long x5 __asm__("x5") = a5;

    __asm__ __volatile__("svc #0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                         : "memory");
    return x0;
}

long sys_read(int fd, void *buf, size_t n)
{
    return syscall6(NR_read, fd, (long)buf, (long)n, 0, 0, 0);
}

long sys_write(int fd, const void *buf, size_t n)
{
    return syscall6(NR_write, fd, (long)buf, (long)n, 0, 0, 0);
}

long sys_pread64(int fd, void *buf, size_t n, uint64_t off)
{
    return syscall6(NR_pread64, fd, (long)buf, (long)n, (long)off, 0, 0);
}

long sys_pwrite64(int fd, const void *buf, size_t n, uint64_t off)
{
    return syscall6(NR_pwrite64, fd, (long)buf, (long)n, (long)off, 0, 0);
}

long sys_clock_gettime(int clock, struct sys_timespec *ts)
{
    return syscall6(NR_clock_gettime, clock, (long)ts, 0, 0, 0, 0);
}

long sys_timerfd_settime_abs(int fd, const struct sys_timespec *expiry)
{
    struct sys_timespec its[2] = {{0, 0}, *expiry}; /* interval, value */

    return syscall6(NR_timerfd_settime, fd, SYS_TFD_TIMER_ABSTIME, (long)its, 0,
                    0, 0);
}

long sys_epoll_wait_data(int epfd, uint64_t *data, int max)
{
    struct sys_epoll_event ev[MFT_MAX_ENTRIES + 1];

    if (max > (int)(sizeof ev / sizeof ev[0]))
        max = (int)(sizeof ev / sizeof ev[0]);
    long n = syscall6(NR_epoll_pwait, epfd, (long)ev, max, -1, 0, 0);
    for (long i = 0; i < n; i++)
        data[i] = ev[i].data;
    return n;
}

/* User space sets its own thread pointer; no system call needed. */
long sys_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("msr tpidr_el0, %0" : : "r"(base) : "memory");
    return 0;
}

void sys_exit_group(int status)
{
    for (;;)
        syscall6(NR_exit_group, status, 0, 0, 0, 0, 0);
}
