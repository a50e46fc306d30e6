/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tp_aarch64.c: the thread pointer for bindings that run the guest at EL1
 * (hvt): TPIDR_EL0, written directly.
 */

#include "bindings.h"

int platform_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("msr tpidr_el0, %0" : : "r"(base) : "memory");
    return 0;
}
