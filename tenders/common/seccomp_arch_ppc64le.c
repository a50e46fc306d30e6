/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_arch_ppc64le.c: what the seccomp generator needs to know about
 * ppc64le hosts.
 *
 * 64-bit Power, little-endian: big-endian and 32-bit calls come in with
 * other audit arches and are killed by the arch check.
 * Little-endian: an argument's low half comes first.
 */

#include <linux/audit.h>

#include "seccomp_bpf.h"

const struct sc_arch sc_arch = {
    .name = "ppc64le",
    .audit_arch = AUDIT_ARCH_PPC64LE,
    .kill_from = 0,
    .lo_offset = 0,
    .hi_offset = 4,
};
