/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_x86_64.c: raw Linux system calls on x86_64. Only the calls the
 * solo5-spt seccomp filter allows are here.
 */

#include "spt.h"

#define NR_read 0
#define NR_write 1
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_arch_prctl 158
#define NR_clock_gettime 228
#define NR_exit_group 231
#define NR_epoll_pwait 281
#define NR_timerfd_settime 286

#define ARCH_SET_FS 0x1002

/* x86_64 packs struct epoll_event: 12 bytes, data at offset 4. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

static long syscall3(long nr, long a0, long a1, long a2)
{
    long ret;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                         : "rcx", "r11", "memory");
    return ret;
}

static long syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
                     long a5)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
                           "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    return ret;
}

long sys_read(int fd, void *buf, size_t n)
{
    return syscall3(NR_read, fd, (long)buf, (long)n);
}

long sys_write(int fd, const void *buf, size_t n)
{
    return syscall3(NR_write, fd, (long)buf, (long)n);
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
    return syscall3(NR_clock_gettime, clock, (long)ts, 0);
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

long sys_set_tls_base(uintptr_t base)
{
    return syscall3(NR_arch_prctl, ARCH_SET_FS, (long)base, 0);
}

void sys_exit_group(int status)
{
    for (;;)
        syscall3(NR_exit_group, status, 0, 0);
}
