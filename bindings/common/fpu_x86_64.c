/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fpu_x86_64.c: enabling the x87, SSE and (where the CPU has them) AVX and
 * AVX-512 register state, for bindings that run the guest in ring 0.
 *
 * SSE needs CR4.OSFXSR (and CR4.OSXMMEXCPT for its exceptions to be
 * delivered as #XM rather than #UD), with CR0.EM clear and CR0.MP set. AVX
 * and later need XSAVE: CR4.OSXSAVE, then XCR0 listing every state
 * component the guest may use, each one only if CPUID reports it.
 */

#include "bindings.h"

#define CR0_MP (1ULL << 1)
#define CR0_EM (1ULL << 2)
#define CR0_TS (1ULL << 3)
#define CR0_NE (1ULL << 5)

#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_OSXSAVE (1ULL << 18)

/* CPUID.1:ECX */
#define CPUID1_XSAVE (1U << 26)
#define CPUID1_AVX (1U << 28)
/* CPUID.(7,0):EBX */
#define CPUID7_AVX512F (1U << 16)

/* XCR0 state components */
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_AVX512 (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid"
                         : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
}

void cpu_fpu_init(void)
{
    uint64_t cr0, cr4;
    uint32_t r[4];

    __asm__ __volatile__("movq %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
    __asm__ __volatile__("movq %0, %%cr0" : : "r"(cr0));

    __asm__ __volatile__("movq %%cr4, %0" : "=r"(cr4));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;

    cpuid(1, 0, r);
    uint32_t features = r[2];
    if (features & CPUID1_XSAVE) {
        cr4 |= CR4_OSXSAVE;
        __asm__ __volatile__("movq %0, %%cr4" : : "r"(cr4));

        cpuid(0xd, 0, r);
        uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
        uint64_t xcr0 = XCR0_X87 | XCR0_SSE;
        if ((features & CPUID1_AVX) && (supported & XCR0_AVX)) {
            xcr0 |= XCR0_AVX;
            cpuid(7, 0, r);
            if ((r[1] & CPUID7_AVX512F) &&
                (supported & XCR0_AVX512) == XCR0_AVX512)
                xcr0 |= XCR0_AVX512;
        }
        __asm__ __volatile__("xsetbv"
                             :
                             : "c"(0), "a"((uint32_t)xcr0),
                               "d"((uint32_t)(xcr0 >> 32)));
    } else {
        __asm__ __volatile__("movq %0, %%cr4" : : "r"(cr4));
    }

    /*
     * x87 state to its defaults. MXCSR is left alone: its value after
     * reset is already the default (all SIMD exceptions masked), and an
     * LDMXCSR here would be the one SSE instruction every unikernel
     * executes, even one whose code uses no SIMD at all.
     */
    __asm__ __volatile__("fninit");
}
