/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_launch_aarch64.c: aarch64 specifics of solo5-spt.
 */

#include "spt.h"

void spt_arch_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    /* The binding sets its thread pointer with "msr tpidr_el0": nothing
     * to allow. */
    (void)p;
    (void)in;
}

void spt_arch_launch(uint64_t stack_top, uint64_t entry, const void *arg)
{
    /*
     * Enter with a 16-byte aligned stack pointer, the argument in x0, and
     * a zero frame pointer and link register, so that backtraces end here
     * and a return from the entry point faults. The entry address and the
     * stack pointer sit in x16 and x17, which the sequence does not
     * overwrite (and through which a branch may land on a "bti c").
     * Nothing of the tender is needed past this point.
     */
    register uint64_t x0 __asm__("x0") = (uint64_t)(uintptr_t)arg;
    register uint64_t x16 __asm__("x16") = entry;
    register uint64_t x17 __asm__("x17") = stack_top & ~(uint64_t)15;

    __asm__ __volatile__("mov sp, x17\n\t"
                         "mov x29, xzr\n\t"
                         "mov x30, xzr\n\t"
                         "br x16"
                         :
                         : "r"(x0), "r"(x16), "r"(x17)
                         : "memory");
    __builtin_unreachable();
}
