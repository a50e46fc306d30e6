/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hostile_hvt.h: what test_hostile_hvt and test_hostile_hvt_net share:
 * hypercalls with arguments the binding would never pass (hvt_abi.h's
 * hvt_do_hypercall() with any number and address), accesses to the
 * hypercall port or window that are not hypercalls, and the per-case
 * report.
 *
 * Each case prints "case NAME: RESULT" and checks RESULT. Cases that the
 * tender must stop print "case NAME: the tender must stop the guest" first;
 * returning from one is a FAILURE.
 */

#ifndef TESTS_HOSTILE_HVT_H
#define TESTS_HOSTILE_HVT_H

#include "../common/testlib.h"
#include "hvt_abi.h"
#include "mft_abi.h"

/* An address the 32-bit hypercall argument can hold, past any memory the
 * tests give the guest. */
#define HOSTILE_FAR_ARG 0xfffffff8UL

static int hostile_failures;

static inline const char *hostile_result_name(int r)
{
    switch (r) {
    case SOLO5_R_OK:
        return "OK";
    case SOLO5_R_AGAIN:
        return "AGAIN";
    case SOLO5_R_EINVAL:
        return "EINVAL";
    case SOLO5_R_EUNSPEC:
        return "EUNSPEC";
    default:
        return "unknown result";
    }
}

/* "case NAME: EINVAL"; counts a mismatch. */
static inline void hostile_expect(const char *name, int got, int want)
{
    t_printf("case %s: %s\n", name, hostile_result_name(got));
    if (got != want) {
        t_printf("FAILURE: case %s: got %s, expected %s\n", name,
                 hostile_result_name(got), hostile_result_name(want));
        hostile_failures++;
    }
}

static inline void hostile_note_failure(const char *msg)
{
    t_printf("FAILURE: %s\n", msg);
    hostile_failures++;
}

/* "case NAME: N EINVAL" for a bad request repeated (want) times. */
static inline void hostile_expect_repeated(const char *name, int einval,
                                           int want)
{
    t_printf("case %s: %d EINVAL\n", name, einval);
    if (einval != want)
        hostile_note_failure("a repeated bad request did not fail each time");
}

/* Hypercall (nr) with its argument block at guest address (arg). */
static inline void hostile_hypercall(int nr, uint64_t arg)
{
    hvt_do_hypercall(nr, (volatile void *)(uintptr_t)arg);
}

/* One past the last byte of guest memory: the heap runs up to it. */
static inline uint64_t hostile_mem_end(const struct solo5_start_info *si)
{
    return (uint64_t)si->heap_start + si->heap_size;
}

/*
 * Accesses to the hypercall transport that are not hypercalls, to the
 * slot of hypercall (nr): a 1-byte or 2-byte write, a 4-byte read.
 */
#if defined(__x86_64__)

static inline void hostile_write_byte(int nr)
{
    uint16_t port = (uint16_t)(HVT_HYPERCALL_PIO_BASE + nr);

    __asm__ __volatile__("outb %0, %1" : : "a"((uint8_t)0), "d"(port));
}

static inline uint32_t hostile_read(int nr)
{
    uint16_t port = (uint16_t)(HVT_HYPERCALL_PIO_BASE + nr);
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "d"(port));
    return v;
}

static inline void hostile_write_half(int nr)
{
    uint16_t port = (uint16_t)(HVT_HYPERCALL_PIO_BASE + nr);

    __asm__ __volatile__("outw %0, %1" : : "a"((uint16_t)0), "d"(port));
}

/*
 * Reads 4 bytes at guest physical address (gpa) < 1 GiB, outside guest
 * memory: the guest runs in ring 0 and may load page tables of its own,
 * here 2 MiB pages mapping the first GiB identically, so the access
 * reaches the hypervisor. Does not come back if the tender is right.
 */
static inline uint32_t hostile_read_physical(uint64_t gpa)
{
    static uint64_t pml4[512] __attribute__((aligned(4096)));
    static uint64_t pdpt[512] __attribute__((aligned(4096)));
    static uint64_t pd[512] __attribute__((aligned(4096)));
    const uint64_t present_rw = 0x3, large = 0x80;
    uint32_t v;

    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | present_rw | large;
    pdpt[0] = (uint64_t)(uintptr_t)pd | present_rw;
    pml4[0] = (uint64_t)(uintptr_t)pdpt | present_rw;
    __asm__ __volatile__("mov %1, %%cr3\n\t"
                         "movl (%2), %0"
                         : "=r"(v)
                         : "r"((uint64_t)(uintptr_t)pml4), "r"(gpa)
                         : "memory");
    return v;
}

#elif defined(__aarch64__)

static inline void hostile_write_byte(int nr)
{
    uint64_t slot = HVT_HYPERCALL_ADDRESS((uint64_t)nr);

    __asm__ __volatile__("strb wzr, [%0]" : : "r"(slot) : "memory");
}

static inline uint32_t hostile_read(int nr)
{
    uint64_t slot = HVT_HYPERCALL_ADDRESS((uint64_t)nr);
    uint32_t v;

    __asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(slot) : "memory");
    return v;
}

static inline void hostile_write_half(int nr)
{
    uint64_t slot = HVT_HYPERCALL_ADDRESS((uint64_t)nr);

    __asm__ __volatile__("strh wzr, [%0]" : : "r"(slot) : "memory");
}

/* One 64-bit store (aarch64 only: x86 has no 8-byte port I/O). */
static inline void hostile_write_wide(int nr)
{
    uint64_t slot = HVT_HYPERCALL_ADDRESS((uint64_t)nr);

    __asm__ __volatile__("str %0, [%1]"
                         :
                         : "r"((uint64_t)0x1000), "r"(slot)
                         : "memory");
}

/* A 4-byte store into the middle of a slot (aarch64 only). */
static inline void hostile_write_mid_slot(int nr)
{
    uint64_t addr = HVT_HYPERCALL_ADDRESS((uint64_t)nr) + 4;

    __asm__ __volatile__("str %w0, [%1]"
                         :
                         : "r"((uint32_t)0x1000), "r"(addr)
                         : "memory");
}

/* A store pair to a slot: an MMIO access KVM cannot decode (aarch64). */
static inline void hostile_write_pair(int nr)
{
    uint64_t slot = HVT_HYPERCALL_ADDRESS((uint64_t)nr);

    __asm__ __volatile__("stp %w0, %w0, [%1]"
                         :
                         : "r"((uint32_t)0x1000), "r"(slot)
                         : "memory");
}

/*
 * Reads 4 bytes at guest physical address (gpa) < 1 GiB, outside guest
 * memory: the guest runs at EL1 and may load a translation table of its
 * own, here one level 1 block mapping the first GiB identically, normal
 * memory, read-only (so that its code still executes under WXN; nothing
 * is written after the switch), so the access reaches the hypervisor.
 * Does not come back if the tender is right.
 */
static inline uint32_t hostile_read_physical(uint64_t gpa)
{
    static uint64_t l1[512] __attribute__((aligned(4096)));
    const uint64_t block = 0x1, rdonly = 1ULL << 7, sh_inner = 3ULL << 8,
                   af = 1ULL << 10;
    uint32_t v;

    l1[0] = block | rdonly | sh_inner | af; /* attribute 0: normal */
    __asm__ __volatile__("dsb ish\n\t"
                         "msr ttbr0_el1, %1\n\t"
                         "isb\n\t"
                         "tlbi vmalle1\n\t"
                         "dsb ish\n\t"
                         "isb\n\t"
                         "ldr %w0, [%2]"
                         : "=r"(v)
                         : "r"((uint64_t)(uintptr_t)l1), "r"(gpa)
                         : "memory");
    return v;
}

#else
#error "hostile_hvt.h: no hvt hypercalls on this architecture"
#endif

#endif /* TESTS_HOSTILE_HVT_H */
