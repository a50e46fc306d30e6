/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * cpu_x86_64.c: x86_64 CPU helpers shared by the bindings.
 */

#include "bindings.h"

static bool cpu_has_rdrand(void)
{
    uint32_t eax = 1, ebx, ecx = 0, edx;

    __asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    return (ecx >> 30) & 1;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t cpu_random_u64(void)
{
    if (cpu_has_rdrand()) {
        for (int tries = 0; tries < 16; tries++) {
            uint64_t v;
            uint8_t ok;
            __asm__ __volatile__("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
            if (ok)
                return v;
        }
    }
    /* No hardware RNG: mix two cycle counter readings (splitmix64). */
    uint64_t z = rdtsc() ^ (rdtsc() << 32);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
