/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_trap_aarch64.h: the halt cookie an aarch64 hvt guest passes to the
 * tender when it dies of an exception (bindings/common/trap_aarch64.c
 * fills it in, the tender's core dump reads it). Solo5's aarch64 binding
 * passes no cookie, so the whole layout is solo5-ng's, marked by (magic).
 *
 * Freestanding, and the same on both sides (no guest pointers). The
 * cookie must fit in HVT_HALT_COOKIE_MAX bytes (hvt_abi.h).
 */

#ifndef HVT_TRAP_AARCH64_H
#define HVT_TRAP_AARCH64_H

#include <stddef.h>
#include <stdint.h>

#define HVT_AARCH64_TRAP_COOKIE_MAGIC 0x3170617274343661ULL /* "a64trap1" */

struct hvt_aarch64_trap_cookie {
    uint64_t magic;
    uint64_t vector; /* offset of the entry in the vector table / 0x80 */
    uint64_t esr;    /* ESR_EL1 */
    uint64_t far;    /* FAR_EL1, meaningful for aborts only */
    uint64_t elr;    /* ELR_EL1: where the exception happened */
    uint64_t spsr;   /* SPSR_EL1: PSTATE at the exception */
    uint64_t sp;     /* SP_EL1 at the exception */
    uint64_t x[31];  /* x0-x30 */
};

_Static_assert(sizeof(struct hvt_aarch64_trap_cookie) == 304,
               "hvt_aarch64_trap_cookie is 38 64-bit words");
_Static_assert(offsetof(struct hvt_aarch64_trap_cookie, magic) == 0 &&
                   offsetof(struct hvt_aarch64_trap_cookie, vector) == 8 &&
                   offsetof(struct hvt_aarch64_trap_cookie, esr) == 16 &&
                   offsetof(struct hvt_aarch64_trap_cookie, far) == 24 &&
                   offsetof(struct hvt_aarch64_trap_cookie, elr) == 32 &&
                   offsetof(struct hvt_aarch64_trap_cookie, spsr) == 40 &&
                   offsetof(struct hvt_aarch64_trap_cookie, sp) == 48 &&
                   offsetof(struct hvt_aarch64_trap_cookie, x) == 56,
               "hvt_aarch64_trap_cookie layout");

#endif /* HVT_TRAP_AARCH64_H */
