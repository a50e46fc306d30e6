/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_launch_ppc64le.c: 64-bit Power (ELFv2 ABI) specifics of solo5-spt.
 */

#include "spt.h"

/* The smallest ELFv2 stack frame: back chain, CR save, LR save, TOC save.
 * A function saves its return address into its caller's frame, so the
 * entry point needs one above its stack pointer. */
#define MIN_FRAME 32

void spt_arch_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    /* The binding sets its thread pointer by writing r13: nothing to
     * allow. */
    (void)p;
    (void)in;
}

void spt_arch_launch(uint64_t stack_top, uint64_t entry, const void *arg)
{
    /*
     * Enter through the global entry point as an indirect call does: the
     * entry address in r12 (from which the entry code computes its TOC
     * pointer, r2), the argument in r3, a 16-byte aligned stack pointer
     * with a caller's frame above it whose back chain is zero (ending
     * backtraces), and a zero link register, so that a return from the
     * entry point faults. Nothing of the tender is needed past this point.
     */
    uint64_t sp = (stack_top & ~(uint64_t)15) - MIN_FRAME;
    register uint64_t r3 __asm__("r3") = (uint64_t)(uintptr_t)arg;
    register uint64_t r11 __asm__("r11") = sp;
    register uint64_t r12 __asm__("r12") = entry;

    *(volatile uint64_t *)(uintptr_t)sp = 0;
    __asm__ __volatile__("mr 1, 11\n\t"
                         "li 0, 0\n\t"
                         "mtlr 0\n\t"
                         "mtctr 12\n\t"
                         "bctr"
                         :
                         : "r"(r3), "r"(r11), "r"(r12)
                         : "memory");
    __builtin_unreachable();
}
