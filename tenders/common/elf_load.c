/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_load.c: checking the loadable segments and copying them into guest
 * memory.
 */

#include <string.h>

#include "elf_image.h"
#include "tender.h"

static void check_segment(const struct elf_image *img, unsigned i,
                          uint64_t mem_size, uint64_t min_base)
{
    const Elf64_Phdr *ph = &img->ph[i];
    const char *path = img->path;

    if (ph->p_filesz > ph->p_memsz)
        die("%s: segment %u is larger in the file than in memory", path, i);
    if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
        die("%s: segment %u extends past the end of the file", path, i);
    if (ph->p_vaddr < min_base)
        die("%s: segment %u at 0x%llx is below the lowest guest address "
            "0x%llx",
            path, i, (unsigned long long)ph->p_vaddr,
            (unsigned long long)min_base);
    uint64_t max_mem = img->max_mem != 0 ? img->max_mem : UINT64_MAX;
    if (ph->p_memsz > max_mem || ph->p_vaddr > max_mem - ph->p_memsz)
        die("%s: segment %u (0x%llx, %llu bytes) lies outside the guest "
            "address space (at most %llu MB): its address is invalid",
            path, i, (unsigned long long)ph->p_vaddr,
            (unsigned long long)ph->p_memsz,
            (unsigned long long)(max_mem >> 20));
    if (ph->p_memsz > mem_size || ph->p_vaddr > mem_size - ph->p_memsz)
        die("%s: segment %u (0x%llx, %llu bytes) does not fit in %llu MB of "
            "guest memory (try a larger --mem, at most %llu)",
            path, i, (unsigned long long)ph->p_vaddr,
            (unsigned long long)ph->p_memsz,
            (unsigned long long)(mem_size >> 20),
            (unsigned long long)(max_mem >> 20));
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        die("%s: segment %u is both writable and executable", path, i);
    if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)) != 0)
        die("%s: segment %u has alignment %llu, not a power of two", path, i,
            (unsigned long long)ph->p_align);
}

static void check_overlaps(const struct elf_image *img, unsigned i,
                           uint64_t page_size)
{
    const Elf64_Phdr *a = &img->ph[i];
    uint64_t a_first = a->p_vaddr & ~(page_size - 1);
    uint64_t a_last = (a->p_vaddr + a->p_memsz - 1) & ~(page_size - 1);

    for (unsigned j = 0; j < i; j++) {
        const Elf64_Phdr *b = &img->ph[j];
        if (b->p_type != PT_LOAD || b->p_memsz == 0)
            continue;
        if (a->p_vaddr < b->p_vaddr + b->p_memsz &&
            b->p_vaddr < a->p_vaddr + a->p_memsz)
            die("%s: segments %u and %u overlap", img->path, j, i);
        uint64_t b_first = b->p_vaddr & ~(page_size - 1);
        uint64_t b_last = (b->p_vaddr + b->p_memsz - 1) & ~(page_size - 1);
        if (a_first <= b_last && b_first <= a_last &&
            (a->p_flags & (PF_R | PF_W | PF_X)) !=
                (b->p_flags & (PF_R | PF_W | PF_X)))
            die("%s: segments %u and %u share a page but need different "
                "permissions",
                img->path, j, i);
    }
}

uint64_t elf_load(const struct elf_image *img, uintptr_t host_base,
                  uint64_t mem_size, uint64_t min_base, uint64_t page_size,
                  bool zeroed, elf_protect_fn protect, void *ctx, uint64_t *end)
{
    uint64_t entry = img->eh->e_entry;
    uint64_t image_end = 0;
    unsigned loads = 0;
    int entry_ok = 0;

    for (unsigned i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *ph = &img->ph[i];
        if (ph->p_type == PT_DYNAMIC)
            die("%s: dynamically linked, unikernels must be static", img->path);
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        check_segment(img, i, mem_size, min_base);
        check_overlaps(img, i, page_size);
        loads++;
        if (ph->p_vaddr + ph->p_memsz > image_end)
            image_end = ph->p_vaddr + ph->p_memsz;
        if ((ph->p_flags & PF_X) && entry >= ph->p_vaddr &&
            entry < ph->p_vaddr + ph->p_memsz)
            entry_ok = 1;
    }
    if (loads == 0)
        die("%s: no loadable segments", img->path);
    if (!entry_ok)
        die("%s: entry point 0x%llx is not in an executable segment", img->path,
            (unsigned long long)entry);

    for (unsigned i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *ph = &img->ph[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uint8_t *dst = (uint8_t *)(host_base + ph->p_vaddr);
        memcpy(dst, img->data + ph->p_offset, ph->p_filesz);
        if (!zeroed)
            memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    }
    for (unsigned i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *ph = &img->ph[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uint64_t first = ph->p_vaddr & ~(page_size - 1);
        uint64_t last =
            (ph->p_vaddr + ph->p_memsz + page_size - 1) & ~(page_size - 1);
        protect(ctx, first, last - first, ph->p_flags);
    }

    *end = image_end;
    return entry;
}
