/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_ppc64le.c: what Linux system calls look like on 64-bit Power (the
 * calls themselves are in sys.c). "sc" takes the number in r0 and
 * arguments in r3-r8; the result comes back in r3, and a set
 * summary-overflow bit in CR0 says it is a positive errno.
 */

#include "spt.h"

/* Natural alignment on ppc64: 16 bytes, data at offset 8. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
};

_Static_assert(sizeof(struct sys_epoll_event) <= SYS_EPOLL_EVENT_MAX,
               "SYS_EPOLL_EVENT_MAX is too small");

const struct sys_arch sys_arch = {
    .nr =
        {
            [SYS_CALL_READ] = 3,
            [SYS_CALL_WRITE] = 4,
            [SYS_CALL_PREAD64] = 179,
            [SYS_CALL_PWRITE64] = 180,
            [SYS_CALL_CLOCK_GETTIME] = 246,
            [SYS_CALL_TIMERFD_SETTIME] = 311,
            [SYS_CALL_EPOLL_PWAIT] = 303,
            [SYS_CALL_EXIT_GROUP] = 234,
        },
    .epoll_event_size = sizeof(struct sys_epoll_event),
    .epoll_data_offset = offsetof(struct sys_epoll_event, data),
};

long sys_raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
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

/*
 * The thread pointer is r13, an ordinary register that compilers never
 * allocate; user space sets it without a system call.
 */
long sys_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("mr 13, %0" : : "r"(base) : "memory");
    return 0;
}
