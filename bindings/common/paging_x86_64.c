/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * paging_x86_64.c: the page tables the unikernel runs with. boot_x86_64.S maps
 * the first 4 GiB read-write-execute with 2 MiB pages, enough to get to C.
 * Here we replace them with tables that give each part of the image the
 * permissions of its ELF segment, as solo5-hvt does for hvt unikernels:
 * code read-only and executable, read-only data read-only, everything else
 * (data, bss, heap, stack, devices) writable and never executable (where
 * the CPU has the NX bit). The first page stays unmapped so that a NULL
 * pointer dereference traps. The image's 2 MiB regions get 4 KiB pages;
 * the rest of the 4 GiB keeps 2 MiB pages.
 */

#include "pc_x86_64.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)

#define PAGE_2M (2ULL << 20)
#define MAPPED_2M_PAGES 2048 /* 4 GiB */
#define ENTRIES 512

#define MSR_EFER 0xc0000080U
#define EFER_NXE (1U << 11)
#define CPUID_EXT_NX (1U << 20) /* CPUID 0x80000001:EDX */
#define CR0_WP (1ULL << 16)

extern char _stext[], _etext[], _erodata[], _end[];

static uint64_t nx;

static bool cpu_has_nx(void)
{
    return cpuid(0x80000000U, 0).eax >= 0x80000001U &&
           (cpuid(0x80000001U, 0).edx & CPUID_EXT_NX);
}

static uint64_t small_page(uint64_t addr)
{
    if (addr == 0)
        return 0;
    if (addr >= (uintptr_t)_stext && addr < (uintptr_t)_etext)
        return addr | PTE_P;
    if (addr >= (uintptr_t)_etext && addr < (uintptr_t)_erodata)
        return addr | PTE_P | nx;
    return addr | PTE_P | PTE_W | nx;
}

void paging_init(void)
{
    if (cpu_has_nx()) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        nx = PTE_NX;
    }

    uint64_t *pml4 = mem_alloc_pages(PAGE_SIZE);
    uint64_t *pdpt = mem_alloc_pages(PAGE_SIZE);
    uint64_t *pd = mem_alloc_pages(PAGE_SIZE * (MAPPED_2M_PAGES / ENTRIES));
    uint64_t image_end = ALIGN_UP((uint64_t)(uintptr_t)_end, PAGE_2M);

    for (uint64_t i = 0; i < MAPPED_2M_PAGES; i++) {
        uint64_t base = i * PAGE_2M;
        if (base < image_end) {
            uint64_t *pt = mem_alloc_pages(PAGE_SIZE);
            for (uint64_t j = 0; j < ENTRIES; j++)
                pt[j] = small_page(base + j * PAGE_SIZE);
            pd[i] = (uintptr_t)pt | PTE_P | PTE_W;
        } else {
            pd[i] = base | PTE_P | PTE_W | PTE_PS | nx;
        }
    }
    for (uint64_t i = 0; i < MAPPED_2M_PAGES / ENTRIES; i++)
        pdpt[i] = ((uintptr_t)pd + i * PAGE_SIZE) | PTE_P | PTE_W;
    pml4[0] = (uintptr_t)pdpt | PTE_P | PTE_W;

    /* Without CR0.WP, ring 0 writes through read-only pages. */
    uint64_t cr0;
    __asm__ __volatile__("movq %%cr0, %0" : "=r"(cr0));
    __asm__ __volatile__("movq %0, %%cr0" : : "r"(cr0 | CR0_WP));
    __asm__ __volatile__("movq %0, %%cr3" : : "r"((uintptr_t)pml4) : "memory");
}
