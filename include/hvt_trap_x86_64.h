/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_trap_x86_64.h: the halt cookie an x86_64 hvt guest passes to the
 * tender when it dies of a CPU exception (bindings/common/trap_x86_64.c
 * fills it in, the tender's core dump reads it).
 *
 * The first seven fields have the layout Solo5's hvt bindings pass, so
 * Solo5's tenders still show where a trap happened. solo5-ng's binding
 * appends the vector and the general purpose registers, marked by (magic);
 * a tender that finds no magic uses the first seven fields only.
 *
 * Freestanding, and the same on both sides (no guest pointers). The
 * cookie must fit in HVT_HALT_COOKIE_MAX bytes (hvt_abi.h).
 */

#ifndef HVT_TRAP_X86_64_H
#define HVT_TRAP_X86_64_H

#include <stddef.h>
#include <stdint.h>

#define HVT_X86_64_TRAP_COOKIE_MAGIC 0x3170617274747668ULL /* "hvttrap1" */

struct hvt_x86_64_trap_cookie {
    /* Solo5's layout. */
    uint64_t cr2;
    uint64_t ec;
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
    /* solo5-ng's extension. */
    uint64_t magic;
    uint64_t vector;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

_Static_assert(sizeof(struct hvt_x86_64_trap_cookie) == 192,
               "hvt_x86_64_trap_cookie is 24 64-bit words");
_Static_assert(offsetof(struct hvt_x86_64_trap_cookie, cr2) == 0 &&
                   offsetof(struct hvt_x86_64_trap_cookie, rip) == 16 &&
                   offsetof(struct hvt_x86_64_trap_cookie, rsp) == 40 &&
                   offsetof(struct hvt_x86_64_trap_cookie, ss) == 48,
               "the first seven fields have Solo5's layout");
_Static_assert(offsetof(struct hvt_x86_64_trap_cookie, magic) == 56 &&
                   offsetof(struct hvt_x86_64_trap_cookie, vector) == 64 &&
                   offsetof(struct hvt_x86_64_trap_cookie, rax) == 72 &&
                   offsetof(struct hvt_x86_64_trap_cookie, r8) == 128 &&
                   offsetof(struct hvt_x86_64_trap_cookie, r15) == 184,
               "solo5-ng's extension follows Solo5's layout");

#endif /* HVT_TRAP_X86_64_H */
