/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_ppc64le.c: 64-bit Power CPU helpers shared by the bindings.
 */

#include "bindings.h"

/* Processor Version Register, upper half: 0x004e is POWER9, 0x0080
 * POWER10. Reading it is privileged; Linux emulates it for user space. */
static unsigned cpu_version(void)
{
    uint64_t pvr;

    __asm__ __volatile__("mfpvr %0" : "=r"(pvr));
    return (unsigned)(pvr >> 16) & 0xffff;
}

static uint64_t mftb(void)
{
    uint64_t tb;

    __asm__ __volatile__("mftb %0" : "=r"(tb));
    return tb;
}

uint64_t cpu_random_u64(void)
{
    /* darn (ISA 3.0, POWER9 and later) returns all ones on failure. */
    if (cpu_version() >= 0x004e) {
        for (int tries = 0; tries < 16; tries++) {
            uint64_t v;
            __asm__ __volatile__(".machine push\n\t"
                                 ".machine power9\n\t"
                                 "darn %0, 1\n\t"
                                 ".machine pop"
                                 : "=r"(v));
            if (v != ~0ULL)
                return v;
        }
    }
    /* No hardware RNG: mix two time base readings (splitmix64). */
    uint64_t z = mftb() ^ (mftb() << 32);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
