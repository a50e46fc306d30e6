/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_aarch64.c: the aarch64 parts of the hvt binding. solo5-hvt starts us
 * at EL1 on SP_EL1 with interrupts masked, the MMU on (its page tables give
 * each part of memory its own permissions) and FP/SIMD enabled; we install
 * our exception vectors and make sure of the FP/SIMD state
 * (bindings/common/trap_aarch64.c and fpu_aarch64.c). Hypercalls are
 * 32-bit stores to an MMIO window (hvt_abi.h). The cycle counter is the
 * generic timer's virtual count, CNTVCT_EL0, whose frequency the tender
 * read from CNTFRQ_EL0; the thread pointer is TPIDR_EL0 (common/tp_aarch64.c).
 */

#include "hvt.h"

void hvt_cpu_init(void)
{
    cpu_trap_init();
    cpu_fpu_init();
}

uint64_t hvt_cpu_ticks(void)
{
    uint64_t v;

    /* The ISB keeps the read from being hoisted above earlier code. */
    __asm__ __volatile__("isb\n\t"
                         "mrs %0, cntvct_el0"
                         : "=r"(v)
                         :
                         : "memory");
    return v;
}

void hvt_cpu_halt(void)
{
    /* With every interrupt masked and no timer armed, WFI never wakes up
     * (KVM parks the vCPU instead of spinning). */
    for (;;)
        __asm__ __volatile__("msr daifset, #0xf\n\t"
                             "wfi");
}
