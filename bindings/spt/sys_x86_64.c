/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * sys_x86_64.c: what Linux system calls look like on x86_64 (the calls
 * themselves are in sys.c). "syscall" takes the number in rax and
 * arguments in rdi, rsi, rdx, r10, r8 and r9, returns the result (or
 * -errno) in rax, and clobbers rcx and r11.
 */

#include "spt.h"

#define NR_arch_prctl 158
#define ARCH_SET_FS 0x1002

/* x86_64 packs struct epoll_event: 12 bytes, data at offset 4. */
struct sys_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

_Static_assert(sizeof(struct sys_epoll_event) <= SYS_EPOLL_EVENT_MAX,
               "SYS_EPOLL_EVENT_MAX is too small");

const struct sys_arch sys_arch = {
    .nr =
        {
            [SYS_CALL_READ] = 0,
            [SYS_CALL_WRITE] = 1,
            [SYS_CALL_PREAD64] = 17,
            [SYS_CALL_PWRITE64] = 18,
            [SYS_CALL_CLOCK_GETTIME] = 228,
            [SYS_CALL_TIMERFD_SETTIME] = 286,
            [SYS_CALL_EPOLL_PWAIT] = 281,
            [SYS_CALL_EXIT_GROUP] = 231,
        },
    .epoll_event_size = sizeof(struct sys_epoll_event),
    .epoll_data_offset = offsetof(struct sys_epoll_event, data),
};

long sys_raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
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

long sys_set_tls_base(uintptr_t base)
{
    return sys_raw6(NR_arch_prctl, ARCH_SET_FS, (long)base, 0, 0, 0, 0);
}
