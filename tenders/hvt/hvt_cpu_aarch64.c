/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_cpu_aarch64.c: what an aarch64 guest finds in its memory at start:
 * identity-mapped stage 1 page tables that give each part of memory its
 * own permissions, and boot exception vectors.
 *
 * Translation regime (set up by hvt_kvm_aarch64.c): 4 KiB granule, 39-bit
 * virtual addresses, so the walk starts at level 1 (1 GiB per entry), then
 * level 2 (2 MiB) and level 3 (4 KiB). TTBR1 is disabled.
 *
 * Permissions, per 4 KiB page:
 *   page zero, tender structures   not mapped
 *   boot info, command line, mft   read-only, no-execute
 *   boot vectors                   read+execute
 *   ELF segments                   as their flags say: code read+execute,
 *                                  read-only data read-only, data and bss
 *                                  read+write; nothing writable executes
 *   everything else (heap, stack)  read+write, no-execute
 *   the hypercall page at 4 GiB    device memory, read+write, no-execute
 * A 2 MiB region whose pages all have one permission is mapped by one
 * level 2 block; the others get a level 3 table. Every entry has the
 * access flag set (no access flag faults) and no EL0 access.
 */

#include <string.h>

#include "elf_image.h"
#include "hvt.h"
#include "hvt_cpu_aarch64.h"

/* Descriptor bits (VMSAv8-64, stage 1). */
#define D_VALID (1ULL << 0)
#define D_TABLE (1ULL << 1) /* levels 1-2: table; level 3: page */
#define D_ATTR(i) ((uint64_t)(i) << 2)
#define D_RDONLY (1ULL << 7) /* AP[2] */
#define D_SH_INNER (3ULL << 8)
#define D_AF (1ULL << 10)
#define D_PXN (1ULL << 53)
#define D_UXN (1ULL << 54)

#define PAGE 0x1000ULL
#define BLOCK_2M 0x200000ULL
#define BLOCK_1G 0x40000000ULL
#define ENTRIES 512

#define NORMAL (D_AF | D_SH_INNER | D_ATTR(A64_ATTR_NORMAL) | D_UXN)
#define DEVICE (D_AF | D_ATTR(A64_ATTR_DEVICE) | D_PXN | D_UXN)

const struct hvt_arch hvt_arch = {
    .pc_name = "pc",
    .max_mem = A64_MAX_MEM,
    .boot_info_gpa = A64_BOOT_INFO_BASE,
    .cmdline_gpa = A64_CMDLINE_BASE,
    .mft_gpa = A64_MFT_BASE,
    .mft_max = A64_MFT_MAX,
};

_Static_assert(A64_CMDLINE_BASE + HVT_CMDLINE_SIZE <= A64_MFT_BASE,
               "command line overlaps the manifest");
_Static_assert(MFT1_NOTE_MAX_SIZE <= A64_MFT_MAX, "manifest area too small");
_Static_assert(A64_MFT_BASE + A64_MFT_MAX <= A64_LOW_RO_END,
               "manifest outside the read-only area");
_Static_assert(A64_BOOT_TRAP_ADDR >= HVT_HYPERCALL_ADDRESS(HVT_HYPERCALL_MAX),
               "the boot trap address must not be a hypercall slot");

/* Attribute bits of the page at (addr), without the type bits; 0 for not
 * mapped. */
static uint64_t page_attrs(const struct tender *t, uint64_t addr)
{
    if (addr >= A64_MMIO_PAGE && addr < A64_MMIO_PAGE + PAGE)
        return DEVICE;
    if (addr >= t->mem_size)
        return 0;
    if (addr < HVT_GUEST_MIN_BASE) {
        if (addr >= A64_BOOT_INFO_BASE && addr < A64_LOW_RO_END)
            return NORMAL | D_RDONLY | D_PXN;
        if (addr == A64_BOOT_VECTORS)
            return NORMAL | D_RDONLY;
        return 0;
    }
    for (unsigned i = 0; i < t->nsegs; i++) {
        const struct hvt_segment *s = &t->segs[i];
        if (addr < s->addr || addr - s->addr >= s->len)
            continue;
        if (s->flags & PF_X)
            return NORMAL | D_RDONLY;
        if (s->flags & PF_W)
            return NORMAL | D_PXN;
        return NORMAL | D_RDONLY | D_PXN;
    }
    return NORMAL | D_PXN;
}

struct pt_alloc {
    struct tender *t;
    uint64_t next; /* guest physical address of the next free table */
};

static uint64_t *new_table(struct pt_alloc *a, uint64_t *gpa)
{
    if (a->next >= A64_PT_END)
        die("%s: the image is too large for solo5-hvt's page tables",
            a->t->file);
    *gpa = a->next;
    a->next += PAGE;
    uint64_t *table = (uint64_t *)(a->t->mem + *gpa);
    memset(table, 0, PAGE);
    return table;
}

/* The level 2 entry for the 2 MiB region at (base). (varied): above it,
 * every page inside memory is plain read+write data. */
static uint64_t map_2m(struct pt_alloc *a, uint64_t base, uint64_t varied)
{
    const struct tender *t = a->t;
    uint64_t first = page_attrs(t, base);
    bool mmio = base <= A64_MMIO_PAGE && A64_MMIO_PAGE - base < BLOCK_2M;
    bool uniform = !mmio && base + BLOCK_2M <= t->mem_size;

    if (base >= t->mem_size && !mmio)
        return 0;
    for (uint64_t p = base + PAGE;
         uniform && base < varied && p < base + BLOCK_2M; p += PAGE)
        uniform = page_attrs(t, p) == first;
    if (uniform)
        return first != 0 ? base | first | D_VALID : 0;

    uint64_t gpa;
    uint64_t *l3 = new_table(a, &gpa);
    for (unsigned i = 0; i < ENTRIES; i++) {
        uint64_t p = base + i * PAGE;
        uint64_t attrs = page_attrs(t, p);
        l3[i] = attrs != 0 ? p | attrs | D_VALID | D_TABLE : 0;
    }
    return gpa | D_VALID | D_TABLE;
}

static void setup_page_tables(struct tender *t)
{
    struct pt_alloc a = {.t = t, .next = A64_PT_BASE};
    uint64_t l1_gpa;
    uint64_t *l1 = new_table(&a, &l1_gpa);

    /* The walk starts at the first table (TTBR0_EL1, hvt_kvm_aarch64.c). */
    if (l1_gpa != A64_PT_BASE)
        die("internal error: level 1 table not at 0x%x", A64_PT_BASE);

    uint64_t varied = HVT_GUEST_MIN_BASE;
    for (unsigned i = 0; i < t->nsegs; i++) {
        if (t->segs[i].addr + t->segs[i].len > varied)
            varied = t->segs[i].addr + t->segs[i].len;
    }

    /* Memory below 4 GiB, then the GiB holding the hypercall page. */
    uint64_t gib_mem = (t->mem_size + BLOCK_1G - 1) / BLOCK_1G;
    uint64_t gib_mmio = A64_MMIO_PAGE / BLOCK_1G;
    for (uint64_t g = 0; g <= gib_mmio; g++) {
        if (g >= gib_mem && g != gib_mmio)
            continue;
        uint64_t l2_gpa;
        uint64_t *l2 = new_table(&a, &l2_gpa);
        for (unsigned i = 0; i < ENTRIES; i++)
            l2[i] = map_2m(&a, g * BLOCK_1G + i * BLOCK_2M, varied);
        l1[g] = l2_gpa | D_VALID | D_TABLE;
    }
}

/*
 * Boot vectors: each of the 16 entries stores its index to
 * A64_BOOT_TRAP_ADDR and spins, should the store ever return. Instruction
 * encodings (A64):
 *   movz x0, #0x1, lsl #32      0xd2c00020
 *   movz w1, #index             0x52800001 | index << 5
 *   str  w1, [x0, #0x800]       0xb9080001 (imm12 = 0x800 / 4)
 *   b    .                      0x14000000
 */
_Static_assert(A64_BOOT_TRAP_ADDR == 0x100000800ULL,
               "the boot vector code encodes this address");

static void setup_boot_vectors(struct tender *t)
{
    uint32_t *v = (uint32_t *)(t->mem + A64_BOOT_VECTORS);

    memset(v, 0, PAGE);
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t *e = v + i * (0x80 / 4);
        e[0] = 0xd2c00020;
        e[1] = 0x52800001 | i << 5;
        e[2] = 0xb9080001;
        e[3] = 0x14000000;
    }
}

void hvt_cpu_setup(struct tender *t)
{
    setup_boot_vectors(t);
    setup_page_tables(t);
}

const char *a64_exception_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00:
        return "undefined instruction";
    case 0x07:
        return "trapped FP/SIMD access";
    case 0x0e:
        return "illegal execution state";
    case 0x15:
        return "SVC instruction";
    case 0x18:
        return "trapped system register access";
    case 0x20:
    case 0x21:
        return "instruction abort";
    case 0x22:
        return "PC alignment fault";
    case 0x24:
    case 0x25:
        return "data abort";
    case 0x26:
        return "SP alignment fault";
    case 0x2c:
        return "floating-point exception";
    case 0x2f:
        return "SError";
    case 0x3c:
        return "BRK instruction";
    default:
        return "exception";
    }
}
