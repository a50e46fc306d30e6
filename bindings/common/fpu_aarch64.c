/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fpu_aarch64.c: enabling the floating point and Advanced SIMD registers
 * at EL1, for bindings that run the guest there (hvt).
 *
 * CPACR_EL1.FPEN (bits 21:20) = 0b11 stops FP/SIMD instructions from
 * trapping at EL1 and EL0. solo5-hvt already sets it before entry, but a
 * tender that does not (or a future boot path) must not leave compiled
 * code faulting on its first "movi". SVE stays off: no tender enables it
 * for the vCPU, and nothing here is compiled to use it.
 *
 * FPCR is set to 0: round to nearest, no trapped exceptions, no
 * flush-to-zero, the state C code expects.
 */

#include "bindings.h"

#define CPACR_FPEN_MASK (3ULL << 20)
#define CPACR_FPEN_NONE (3ULL << 20) /* trap nothing */

void cpu_fpu_init(void)
{
    uint64_t cpacr;

    __asm__ __volatile__("mrs %0, cpacr_el1" : "=r"(cpacr));
    cpacr = (cpacr & ~CPACR_FPEN_MASK) | CPACR_FPEN_NONE;
    __asm__ __volatile__("msr cpacr_el1, %0\n\t"
                         "isb\n\t"
                         "msr fpcr, xzr"
                         :
                         : "r"(cpacr)
                         : "memory");
}
