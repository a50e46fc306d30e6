/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * lapic_x86_64.c: the local APIC, in its memory-mapped (xAPIC) mode. Its
 * registers are in the first 4 GiB, which boot_x86_64.S and paging_init()
 * map.
 */

#include "pc_x86_64.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1U << 11)
#define APIC_BASE_ADDR_MASK 0xfffff000U
#define CPUID1_EDX_APIC (1U << 9)
#define APIC_SVR_ENABLE (1U << 8)

static uintptr_t base;

bool lapic_init(unsigned spurious_vector)
{
    if (!(cpuid(1, 0).edx & CPUID1_EDX_APIC))
        return false;
    uint64_t msr = rdmsr(MSR_APIC_BASE);
    if (!(msr & APIC_BASE_ENABLE) || (msr >> 32) != 0)
        return false; /* disabled (pass-through), or out of our mapping */
    base = msr & APIC_BASE_ADDR_MASK;
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, APIC_SVR_ENABLE | spurious_vector);
    return true;
}

void lapic_write(unsigned reg, uint32_t v)
{
    BINDINGS_ASSERT(base != 0);
    *(volatile uint32_t *)(base + reg) = v;
}

uint32_t lapic_read(unsigned reg)
{
    BINDINGS_ASSERT(base != 0);
    return *(volatile uint32_t *)(base + reg);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}
