/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_ppc64le.c: raw Linux system calls on 64-bit Power. Only the calls
 * the solo5-spt seccomp filter allows are here. "sc" takes the number in
 * r0 and arguments in r3-r8; the result comes back in r3, and a set
 * summary-overflow bit in CR0 says it is a positive errno.
 */

#include "spt.h"

#define NR_read 3
#define NR_write 4
#define NR_pread64 179
#define NR_pwrite64 180
#define NR_exit_group 234
#define NR_clock_gettime 246
#define NR_epoll_pwait 303
#define NR_timerfd_settime 311

/* Natural alignment on ppc64: 16 bytes, data at offset 8. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
};

static long syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
                     long a5)
{
    register long r0 __asm__("r0") = nr;
    register long r3 __asm__("r3") = a0;
    register long r4 __asm__("r4") = a1;
    register long r5 __asm__("r5") = a2;
    register long r6 __asm__("r6") = a3;
    register long r7 __asm__("r7") = a4;
    register long r8 __asm__("r8") = a5;

    /* The kernel may change r0, r4-r12, CTR and CR0 on the way back. */
    __asm__ __volatile__("sc\n\t"
                         "bns+ 1f\n\t"
                         "neg %1, %1\n"
                         "1:"
                         : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6),
                           "+r"(r7), "+r"(r8)
                         :
                         : "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return r3;
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

/*
 * The thread pointer is r13, an ordinary register that compilers never
 * allocate; user space sets it without a system call.
 */
long sys_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("mr 13, %0" : : "r"(base) : "memory");
    return 0;
}

void sys_exit_group(int status)
{
    for (;;)
        syscall6(NR_exit_group, status, 0, 0, 0, 0, 0);
}
