/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_seccomp (spt only): makes a system call the tender's seccomp filter
 * does not allow (getpid). The process must be killed with SIGSYS.
 */

#include "../common/testlib.h"

static long forbidden_syscall(void)
{
    long ret;
#if defined(__x86_64__)
    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(39L) /* getpid */
                         : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = 172; /* getpid */
    register long x0 __asm__("x0");
    __asm__ __volatile__("svc #0" : "=r"(x0) : "r"(x8) : "memory");
    ret = x0;
#elif defined(__powerpc64__)
    register long r0 __asm__("r0") = 20; /* getpid */
    register long r3 __asm__("r3");
    __asm__ __volatile__("sc"
                         : "=r"(r3), "+r"(r0)
                         :
                         : "memory", "cr0", "ctr", "r4", "r5", "r6", "r7", "r8",
                           "r9", "r10", "r11", "r12");
    ret = r3;
#else
#error "test_seccomp: no system call sequence for this architecture"
#endif
    return ret;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("seccomp");
    t_puts("Calling getpid(), which the filter forbids...\n");
    long pid = forbidden_syscall();
    t_printf("FAILURE: getpid() returned %ld\n", pid);
    return SOLO5_EXIT_FAILURE;
}
