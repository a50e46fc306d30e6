/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_x86_64.c: the x86_64 parts of the hvt binding. The tender starts us
 * in long mode with its own GDT and no IDT; we install ours and enable the
 * SIMD state (bindings/common/trap_x86_64.c and fpu_x86_64.c). The cycle
 * counter is the TSC; the thread pointer is the FS base MSR
 * (common/tp_x86_64.c).
 */

#include "hvt.h"

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
