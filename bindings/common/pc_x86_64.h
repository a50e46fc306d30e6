/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * pc_x86_64.h: what the bindings that own an x86_64 PC (virtio, xen)
 * share: the 32- to 64-bit entry (boot_x86_64.S), the page tables
 * (paging_x86_64.c), memory kept for devices (pages_x86_64.c), the
 * interrupt entry stubs (irq_x86_64.S), the local APIC (lapic_x86_64.c)
 * and the CPU's I/O instructions.
 *
 * Interrupts are disabled at all times except inside intr_wait(), which
 * halts the CPU until one arrives. So a handler only ever interrupts the
 * binding at that one point: it needs no locking, and the application's
 * FPU/SIMD registers (which binding code never touches) need no saving.
 */

#ifndef BINDINGS_PC_X86_64_H
#define BINDINGS_PC_X86_64_H

#include "bindings.h"

#pragma GCC visibility push(hidden)

/*
 * ---- Port I/O, MSRs, CPUID, TSC ----
 */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Keeps the compiler from moving memory accesses across it. x86 stores are
 * seen in program order by other CPUs and devices, and loads are not
 * reordered with older stores to the same address. */
static inline void compiler_barrier(void)
{
    __asm__ __volatile__("" : : : "memory");
}

/* A full barrier: orders a store before a later load (x86 may let the
 * load pass it otherwise), as shared-memory ring protocols need. */
static inline void memory_barrier(void)
{
    __asm__ __volatile__("mfence" : : : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                         : "memory");
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;

    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
    return r;
}

/* Halts until an interrupt has been handled. STI takes effect after the
 * next instruction, so an interrupt that became pending while the caller
 * looked at its state (interrupts disabled) wakes the HLT rather than
 * slipping in before it. */
static inline void intr_wait(void)
{
    __asm__ __volatile__("sti\n\t"
                         "hlt\n\t"
                         "cli"
                         :
                         :
                         : "memory");
}

/*
 * ---- Start of day (boot_x86_64.S, pages_x86_64.c, paging_x86_64.c) ----
 */

/* The binding's C entry point: boot_x86_64.S calls it in long mode, on a
 * boot stack, with the loader's %eax and %ebx. */
void boot_start(uint32_t eax, uint32_t ebx) NORETURN NO_SSP;

/* Runs (fn) on a fresh stack whose top is (stack_top). */
void boot_switch_stack(uint64_t stack_top, void (*fn)(void)) NORETURN;

/* Memory for device queues and buffers: page-aligned, zeroed, taken from
 * just after the image for good (the heap starts after it). */
void *mem_alloc_pages(size_t bytes);

/* The first byte after the image and everything mem_alloc_pages() gave. */
uint64_t mem_alloc_end(void);

/* Guest memory size in bytes, from the boot loader's memory map. */
void mem_alloc_init(uint64_t mem_size);

/* Page tables with the image's segment permissions: code R X, read-only
 * data R, everything else in the first 4 GiB R W (no X where the CPU has
 * NX), page 0 unmapped. */
void paging_init(void);

/*
 * ---- Interrupts (irq_x86_64.S) ----
 */

#define IRQ_VECTOR_BASE 32
#define IRQ_LINES 16

/* Entry stubs: line n is IDT vector IRQ_VECTOR_BASE + n. */
extern const uint64_t irq_entry_table[IRQ_LINES];

/* The binding's handler for line (irq), called by the stubs with
 * interrupts disabled. */
void intr_dispatch(unsigned irq);

/*
 * ---- Local APIC (lapic_x86_64.c) ----
 */

#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_COUNT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

/* Enables the local APIC with (spurious_vector) for its spurious
 * interrupts and every priority let through. False if the CPU has none,
 * or it is disabled or mapped above 4 GiB (then the others must not be
 * called). */
bool lapic_init(unsigned spurious_vector);
void lapic_write(unsigned reg, uint32_t v);
uint32_t lapic_read(unsigned reg);
/* Ends the interrupt in service. */
void lapic_eoi(void);

#pragma GCC visibility pop

#endif /* BINDINGS_PC_X86_64_H */
