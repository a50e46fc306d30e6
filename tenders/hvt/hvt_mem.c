/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_mem.c: guest memory. One anonymous mapping is the guest's physical
 * memory from address 0; the unikernel's segments are copied to their link
 * addresses (the guest runs identity-mapped, so those are physical too) and
 * remembered for the page tables, which give each its own permissions.
 * Low memory, below HVT_GUEST_MIN_BASE, holds what the tender hands the
 * guest: page tables, the boot info, the command line and the manifest.
 */

#include <string.h>
#include <sys/mman.h>

#include "elf_image.h"
#include "hvt.h"

/* Room the guest needs above its image, for a stack at least. */
#define HVT_MIN_FREE_MEM 0x10000

void hvt_mem_alloc(struct tender *t)
{
    void *mem = mmap(NULL, t->mem_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        die_errno("cannot allocate %llu MB of guest memory",
                  (unsigned long long)(t->mem_size >> 20));
    t->mem = mem;
}

static void record_segment(void *ctx, uint64_t addr, uint64_t len,
                           uint32_t flags)
{
    struct tender *t = ctx;

    if (t->nsegs == HVT_MAX_SEGMENTS)
        die("%s: more than %d loadable segments", t->file, HVT_MAX_SEGMENTS);
    t->segs[t->nsegs++] =
        (struct hvt_segment){.addr = addr, .len = len, .flags = flags};
}

void hvt_mem_load(struct tender *t, const struct elf_image *img)
{
    t->entry = elf_load(img, (uintptr_t)t->mem, t->mem_size, HVT_GUEST_MIN_BASE,
                        0x1000, true, record_segment, t, &t->kernel_end);
    if (t->kernel_end > t->mem_size - HVT_MIN_FREE_MEM)
        die("%s: needs more than %llu MB of guest memory (try a larger "
            "--mem)",
            t->file, (unsigned long long)(t->mem_size >> 20));
}

void *hvt_gpa_or_null(const struct tender *t, hvt_gpa_t gpa, uint64_t len)
{
    if (gpa > t->mem_size || len > t->mem_size - gpa)
        return NULL;
    return t->mem + gpa;
}

void *hvt_checked_gpa(struct tender *t, hvt_gpa_t gpa, uint64_t len,
                      const char *what)
{
    void *p = hvt_gpa_or_null(t, gpa, len);

    if (p == NULL)
        hvt_guest_violation(t,
                            "%s: guest address range 0x%llx + %llu bytes "
                            "is outside guest memory (%llu MB)",
                            what, (unsigned long long)gpa,
                            (unsigned long long)len,
                            (unsigned long long)(t->mem_size >> 20));
    return p;
}

void hvt_boot_info_init(struct tender *t, int argc, char **argv)
{
    struct hvt_boot_info *bi =
        (struct hvt_boot_info *)(t->mem + hvt_arch.boot_info_gpa);
    char *cmdline = (char *)(t->mem + hvt_arch.cmdline_gpa);

    /* Arguments joined by single spaces. */
    size_t len = 0;
    cmdline[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + (i > 0) + n + 1 > HVT_CMDLINE_SIZE)
            die("unikernel command line too long (the maximum is %d bytes)",
                HVT_CMDLINE_SIZE - 1);
        if (i > 0)
            cmdline[len++] = ' ';
        memcpy(cmdline + len, argv[i], n + 1);
        len += n;
    }

    if (t->mft_size > hvt_arch.mft_max)
        die("%s: manifest too large (%zu bytes)", t->file, t->mft_size);
    memcpy(t->mem + hvt_arch.mft_gpa, t->mft, t->mft_size);

    memset(bi, 0, sizeof *bi);
    bi->mem_size = t->mem_size;
    bi->kernel_end = t->kernel_end;
    bi->cpu_cycle_freq = t->cpu_cycle_freq;
    bi->cmdline = hvt_arch.cmdline_gpa;
    bi->mft = hvt_arch.mft_gpa;
}
