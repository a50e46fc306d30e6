/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_arch_aarch64.c: what the seccomp generator needs to know about
 * aarch64 hosts.
 *
 * aarch64: 32-bit (AArch32) calls come in with another audit arch and are
 * killed by the arch check.
 * Little-endian: an argument's low half comes first.
 */

#include <linux/audit.h>

#include "seccomp_bpf.h"

const struct sc_arch sc_arch = {
    .name = "aarch64",
    .audit_arch = AUDIT_ARCH_AARCH64,
    .kill_from = 0,
    .lo_offset = 0,
    .hi_offset = 4,
};
