/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_launch_x86_64.c: x86_64 specifics of solo5-spt.
 */

#include <asm/prctl.h>
#include <sys/syscall.h>

#include "spt.h"

void spt_arch_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    (void)in;
    /* The binding sets its TLS base (%fs) through arch_prctl(). */
    SC_ALLOW(p, "arch_prctl(ARCH_SET_FS)", SYS_arch_prctl,
             SC_ARG(0, SC_EQ, ARCH_SET_FS));
}

void spt_arch_launch(uint64_t stack_top, uint64_t entry, const void *arg)
{
    /*
     * Enter as if called: the stack pointer 8 bytes below a 16-byte
     * boundary, where a return address would be. The argument goes in %rdi.
     * Nothing of the tender is needed past this point.
     */
    uint64_t sp = stack_top - 8;

    __asm__ __volatile__("mov %0, %%rsp\n\t"
                         "xor %%ebp, %%ebp\n\t"
                         "cld\n\t"
                         "jmp *%1"
                         :
                         : "r"(sp), "r"(entry), "D"(arg)
                         : "memory");
    __builtin_unreachable();
}
