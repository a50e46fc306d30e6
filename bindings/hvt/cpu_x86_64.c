/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_x86_64.c: the x86_64 parts of the hvt binding. The tender starts us
 * in long mode with its own GDT and no IDT; we install ours and enable the
 * SIMD state (bindings/common/trap_x86_64.c and fpu_x86_64.c). The cycle
 * counter is the TSC; the thread pointer is the FS base MSR.
 */

#include "hvt.h"

#define MSR_FS_BASE 0xc0000100U

void hvt_cpu_init(void)
{
    cpu_trap_init();
    cpu_fpu_init();
}

uint64_t hvt_cpu_ticks(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void hvt_cpu_halt(void)
{
    for (;;)
        __asm__ __volatile__("cli\n\thlt");
}

int platform_set_tls_base(uintptr_t base)
{
    /* A non-canonical address would make WRMSR fault. */
    uint64_t top = (uint64_t)base >> 47;
    if (top != 0 && top != 0x1ffff)
        return -1;
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(MSR_FS_BASE), "a"((uint32_t)base),
                           "d"((uint32_t)((uint64_t)base >> 32)));
    return 0;
}
