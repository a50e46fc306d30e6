/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * tp_x86_64.c: the thread pointer for bindings that run the guest in ring 0
 * (hvt, virtio): the FS base MSR, written directly.
 */

#include "bindings.h"

#define MSR_FS_BASE 0xc0000100U

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
