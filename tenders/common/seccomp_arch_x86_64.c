/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_arch_x86_64.c: what the seccomp generator needs to know about
 * x86_64 hosts.
 *
 * x86_64: system calls of the x32 ABI (numbers with __X32_SYSCALL_BIT set)
 * come in with AUDIT_ARCH_X86_64 too, and are killed before any rule.
 * Little-endian: an argument's low half comes first.
 */

#include <asm/unistd.h>
#include <linux/audit.h>

#include "seccomp_bpf.h"

const struct sc_arch sc_arch = {
    .name = "x86_64",
    .audit_arch = AUDIT_ARCH_X86_64,
    .kill_from = __X32_SYSCALL_BIT,
    .lo_offset = 0,
    .hi_offset = 4,
};
