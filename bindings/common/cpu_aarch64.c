/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_aarch64.c: aarch64 CPU helpers shared by the bindings. Everything
 * here works at EL0 under Linux (spt: the kernel emulates reads of the ID
 * registers, and lets user space read the virtual counter) and at EL1
 * (hvt).
 */

#include "bindings.h"

/* ID_AA64ISAR0_EL1.RNDR, bits [63:60]: non-zero if RNDR exists. */
static bool cpu_has_rndr(void)
{
    uint64_t isar0;

    __asm__ __volatile__("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    return ((isar0 >> 60) & 0xf) != 0;
}

static uint64_t cntvct(void)
{
    uint64_t v;

    __asm__ __volatile__("isb\n\t"
                         "mrs %0, cntvct_el0"
                         : "=r"(v)
                         :
                         : "memory");
    return v;
}

uint64_t cpu_random_u64(void)
{
    if (cpu_has_rndr()) {
        for (int tries = 0; tries < 16; tries++) {
            uint64_t v;
            uint64_t ok;
            /* RNDR by its encoding (assemblers want -march=armv8.5-a for
             * the name); it clears the Z flag on success. */
            __asm__ __volatile__("mrs %0, s3_3_c2_c4_0\n\t"
                                 "cset %1, ne"
                                 : "=r"(v), "=r"(ok)
                                 :
                                 : "cc");
            if (ok)
                return v;
        }
    }
    /* No hardware RNG: mix two counter readings (splitmix64). */
    uint64_t z = cntvct() ^ (cntvct() << 32);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
