/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_aarch64.c: what Linux system calls look like on aarch64 (the generic
 * system call table; the calls themselves are in sys.c). "svc #0" takes
 * the number in x8 and arguments in x0-x5, and returns the result (or
 * -errno) in x0.
 */

#include "spt.h"

/* Natural alignment on aarch64: 16 bytes, data at offset 8. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
};

_Static_assert(sizeof(struct sys_epoll_event) <= SYS_EPOLL_EVENT_MAX,
               "SYS_EPOLL_EVENT_MAX is too small");

const struct sys_arch sys_arch = {
    .nr =
        {
            [SYS_CALL_READ] = 63,
            [SYS_CALL_WRITE] = 64,
            [SYS_CALL_PREAD64] = 67,
            [SYS_CALL_PWRITE64] = 68,
            [SYS_CALL_CLOCK_GETTIME] = 113,
            [SYS_CALL_TIMERFD_SETTIME] = 86,
            [SYS_CALL_EPOLL_PWAIT] = 22,
            [SYS_CALL_EXIT_GROUP] = 94,
        },
    .epoll_event_size = sizeof(struct sys_epoll_event),
    .epoll_data_offset = offsetof(struct sys_epoll_event, data),
};

long sys_raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
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

/* User space sets its own thread pointer; no system call needed. */
long sys_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("msr tpidr_el0, %0" : : "r"(base) : "memory");
    return 0;
}
