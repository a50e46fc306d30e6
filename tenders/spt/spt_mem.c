/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_mem.c: guest memory. The guest sees its own addresses: memory is
 * mapped at SPT_HOST_MEM_BASE up to the guest memory size, the unikernel's
 * segments are copied to their link addresses and protected as their ELF
 * flags say. Everything else (heap, stack) is read-write, never executable.
 */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#include "elf_image.h"
#include "spt.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

void spt_mem_map(struct tender *t)
{
    /* Some old setups map readable memory executable; refuse to run. */
    int persona = personality(0xffffffff);
    if (persona != -1 && (persona & READ_IMPLIES_EXEC))
        die("the READ_IMPLIES_EXEC personality is set; guest memory would "
            "be executable");

    size_t len = t->mem_size - SPT_HOST_MEM_BASE;
    void *want = (void *)SPT_HOST_MEM_BASE;
    void *mem =
        mmap(want, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
             -1, 0);
    if (mem == MAP_FAILED && errno == EEXIST)
        die("cannot map %llu MB of guest memory: part of the range is "
            "used by the tender itself (try a smaller --mem)",
            (unsigned long long)(t->mem_size >> 20));
    if (mem == MAP_FAILED)
        die_errno("cannot map %llu MB of guest memory",
                  (unsigned long long)(t->mem_size >> 20));
    if (mem != want)
        die("cannot map guest memory at 0x%lx (the kernel chose %p)",
            (unsigned long)SPT_HOST_MEM_BASE, mem);
}

static void protect(void *ctx, uint64_t addr, uint64_t len, uint32_t flags)
{
    struct tender *t = ctx;
    int prot = ((flags & PF_R) ? PROT_READ : 0) |
               ((flags & PF_W) ? PROT_WRITE : 0) |
               ((flags & PF_X) ? PROT_EXEC : 0);

    if (mprotect((void *)(uintptr_t)addr, len, prot) == -1)
        die_errno("%s: cannot protect segment at 0x%llx", t->file,
                  (unsigned long long)addr);
}

uint64_t spt_mem_load(struct tender *t, const struct elf_image *img,
                      uint64_t *end)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t entry =
        elf_load(img, 0, t->mem_size, SPT_GUEST_MIN_BASE,
                 page > 0 ? (uint64_t)page : 4096, true, protect, t, end);

    /* Room for at least a small stack above the image. */
    if (*end > t->mem_size - 0x10000)
        die("%s: needs more than %llu MB of guest memory (try a larger "
            "--mem)",
            t->file, (unsigned long long)(t->mem_size >> 20));
    return entry;
}

void spt_boot_info_init(struct tender *t, uint64_t kernel_end, int argc,
                        char **argv)
{
    struct spt_boot_info *bi = (struct spt_boot_info *)SPT_BOOT_INFO_BASE;
    char *cmdline = (char *)SPT_CMDLINE_BASE;
    void *mft = (void *)SPT_MFT_BASE;

    _Static_assert(SPT_MFT_BASE + MFT1_NOTE_MAX_SIZE <= SPT_GUEST_MIN_BASE,
                   "low memory layout overflows into the guest image");

    /* Arguments joined by single spaces. */
    size_t len = 0;
    cmdline[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + (i > 0) + n + 1 > SPT_CMDLINE_SIZE)
            die("unikernel command line too long (the maximum is %d bytes)",
                SPT_CMDLINE_SIZE - 1);
        if (i > 0)
            cmdline[len++] = ' ';
        memcpy(cmdline + len, argv[i], n + 1);
        len += n;
    }

    memcpy(mft, t->mft, t->mft_size);

    memset(bi, 0, sizeof *bi);
    bi->mem_size = t->mem_size;
    bi->kernel_end = kernel_end;
    bi->cmdline = cmdline;
    bi->mft = mft;
    bi->epollfd = t->epollfd;
    bi->timerfd = t->timerfd;
}
