/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_cpu_x86_64.c: what an x86_64 guest finds in its memory at start:
 * identity-mapped page tables that give each part of memory its own
 * permissions, and a boot GDT.
 *
 * Permissions, per 4 KiB page:
 *   page zero, tender structures   not mapped
 *   boot info, command line, mft   read-only, no-execute
 *   ELF segments                   as their flags say: code read+execute,
 *                                  read-only data read-only, data and bss
 *                                  read+write; nothing writable executes
 *   everything else (heap, stack)  read+write, no-execute
 * A 2 MiB region whose pages all have one permission is mapped as one
 * large page; the others get a page table of 4 KiB pages. CR0.WP makes
 * read-only pages read-only for the guest kernel too, EFER.NXE enables the
 * no-execute bit.
 */

#include <string.h>

#include "elf_image.h"
#include "hvt.h"
#include "hvt_cpu_x86_64.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)

#define PAGE 0x1000ULL
#define LARGE_PAGE 0x200000ULL

const struct hvt_arch hvt_arch = {
    .pc_name = "rip",
    .max_mem = X86_MAX_MEM,
    .boot_info_gpa = X86_BOOT_INFO_BASE,
    .cmdline_gpa = X86_CMDLINE_BASE,
    .mft_gpa = X86_MFT_BASE,
    .mft_max = X86_MFT_MAX,
};

_Static_assert(X86_CMDLINE_BASE + HVT_CMDLINE_SIZE <= X86_MFT_BASE,
               "command line overlaps the manifest");
_Static_assert(MFT1_NOTE_MAX_SIZE <= X86_MFT_MAX, "manifest area too small");
_Static_assert(X86_MFT_BASE + X86_MFT_MAX <= X86_LOW_RO_END,
               "manifest outside the read-only area");

/* Entry bits for the page at (addr); 0 for not mapped. */
static uint64_t page_bits(const struct tender *t, uint64_t addr)
{
    if (addr >= t->mem_size)
        return 0;
    if (addr < HVT_GUEST_MIN_BASE) {
        if (addr >= X86_BOOT_INFO_BASE && addr < X86_LOW_RO_END)
            return PTE_P | PTE_NX;
        return 0;
    }
    for (unsigned i = 0; i < t->nsegs; i++) {
        const struct hvt_segment *s = &t->segs[i];
        if (addr < s->addr || addr - s->addr >= s->len)
            continue;
        if (s->flags & PF_X)
            return PTE_P;
        if (s->flags & PF_W)
            return PTE_P | PTE_RW | PTE_NX;
        return PTE_P | PTE_NX;
    }
    return PTE_P | PTE_RW | PTE_NX;
}

static void setup_page_tables(struct tender *t)
{
    uint64_t *pml4 = (uint64_t *)(t->mem + X86_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(t->mem + X86_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(t->mem + X86_PD_BASE);
    uint64_t next_pt = X86_PT_BASE;

    /* Above this, every page inside memory is plain read+write data. */
    uint64_t varied = HVT_GUEST_MIN_BASE;
    for (unsigned i = 0; i < t->nsegs; i++) {
        if (t->segs[i].addr + t->segs[i].len > varied)
            varied = t->segs[i].addr + t->segs[i].len;
    }

    /* Only the directories in use are cleared: guest memory is fresh and
     * zero, and a page the tender does not write costs no host memory. */
    uint64_t pds = (t->mem_size + (1ULL << 30) - 1) >> 30;
    memset(pml4, 0, PAGE);
    memset(pdpt, 0, PAGE);
    memset(pd, 0, (pds < X86_PD_PAGES ? pds : X86_PD_PAGES) * PAGE);
    pml4[0] = X86_PDPT_BASE | PTE_P | PTE_RW;
    for (uint64_t g = 0; g < X86_PD_PAGES && (g << 30) < t->mem_size; g++)
        pdpt[g] = (X86_PD_BASE + g * PAGE) | PTE_P | PTE_RW;

    for (uint64_t r = 0; r * LARGE_PAGE < t->mem_size; r++) {
        uint64_t base = r * LARGE_PAGE;
        uint64_t first = page_bits(t, base);
        bool uniform = base + LARGE_PAGE <= t->mem_size;
        for (uint64_t a = base + PAGE;
             uniform && base < varied && a < base + LARGE_PAGE; a += PAGE)
            uniform = page_bits(t, a) == first;
        if (uniform) {
            pd[r] = first != 0 ? base | first | PTE_PS : 0;
            continue;
        }
        if (next_pt >= X86_PT_END)
            die("%s: the image is too large for solo5-hvt's page tables",
                t->file);
        uint64_t *pt = (uint64_t *)(t->mem + next_pt);
        for (uint64_t i = 0; i < LARGE_PAGE / PAGE; i++) {
            uint64_t a = base + i * PAGE;
            uint64_t bits = page_bits(t, a);
            pt[i] = bits != 0 ? a | bits : 0;
        }
        pd[r] = next_pt | PTE_P | PTE_RW;
        next_pt += PAGE;
    }
}

static void setup_gdt(struct tender *t)
{
    uint64_t *gdt = (uint64_t *)(t->mem + X86_GDT_BASE);

    gdt[0] = 0;
    gdt[X86_GDT_CODE / 8] = 0x00af9b000000ffffULL; /* 64-bit code, ring 0 */
    gdt[X86_GDT_DATA / 8] = 0x00cf93000000ffffULL; /* data, ring 0 */
}

void hvt_cpu_setup(struct tender *t)
{
    setup_gdt(t);
    setup_page_tables(t);
}
