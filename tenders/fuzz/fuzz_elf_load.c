/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_elf_load.c: libFuzzer harness for the tenders' ELF reader and loader
 * (elf_image.c, elf_load.c). Any bytes are read as a unikernel file and, if
 * the headers pass, loaded into a heap buffer standing for guest memory:
 * AddressSanitizer catches any write outside it. When the load succeeds,
 * the harness checks what it promises: every segment's file bytes read and
 * copied,
 * the rest of it zeroed, the entry point inside the image, and protect()
 * called with page-aligned ranges inside guest memory.
 */

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"
#include "fuzz_support.h"
#include "tender.h"

/* Small, so zeroing a segment stays cheap; the tenders' lowest address. */
#define GUEST_MEM_SIZE (4ULL << 20)
#define GUEST_MIN_BASE 0x100000ULL
#define GUEST_PAGE_SIZE 0x1000ULL

static struct elf_image img;
static uint8_t *guest;

struct protect_log {
    unsigned calls;
};

static void protect(void *ctx, uint64_t addr, uint64_t len, uint32_t flags)
{
    struct protect_log *log = ctx;

    log->calls++;
    if (addr % GUEST_PAGE_SIZE != 0 || len % GUEST_PAGE_SIZE != 0 || len == 0)
        fuzz_fail("protect(0x%llx, %llu) is not page-aligned",
                  (unsigned long long)addr, (unsigned long long)len);
    if (addr < (GUEST_MIN_BASE & ~(GUEST_PAGE_SIZE - 1)) ||
        addr > GUEST_MEM_SIZE || len > GUEST_MEM_SIZE - addr)
        fuzz_fail("protect(0x%llx, %llu) is outside guest memory",
                  (unsigned long long)addr, (unsigned long long)len);
    if ((flags & PF_W) && (flags & PF_X))
        fuzz_fail("protect(0x%llx) is writable and executable",
                  (unsigned long long)addr);
}

/* After a successful load: every PT_LOAD segment is in guest memory as
 * the file has it, zero-filled to its memory size. */
static void check_loaded(uint64_t entry, uint64_t end)
{
    int entry_seen = 0;

    if (end > GUEST_MEM_SIZE)
        fuzz_fail("image end 0x%llx is past guest memory",
                  (unsigned long long)end);
    for (unsigned i = 0; i < img.phnum; i++) {
        const Elf64_Phdr *ph = &img.ph[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        if (ph->p_vaddr < GUEST_MIN_BASE || ph->p_vaddr + ph->p_memsz > end)
            fuzz_fail("segment %u is outside the image", i);
        if (memcmp(guest + ph->p_vaddr, img.data + ph->p_offset,
                   ph->p_filesz) != 0)
            fuzz_fail("segment %u was not copied as the file has it", i);
        for (uint64_t b = ph->p_filesz; b < ph->p_memsz; b++) {
            if (guest[ph->p_vaddr + b] != 0)
                fuzz_fail("segment %u is not zero-filled at byte %llu", i,
                          (unsigned long long)b);
        }
        if ((ph->p_flags & PF_X) && entry >= ph->p_vaddr &&
            entry - ph->p_vaddr < ph->p_memsz)
            entry_seen = 1;
    }
    if (!entry_seen)
        fuzz_fail("entry 0x%llx accepted outside every executable segment",
                  (unsigned long long)entry);
}

/* After a successful read: the part not read holds nothing the tender
 * uses, so every PT_LOAD and PT_NOTE content that lies in the file lies
 * in what was read. */
static void check_extent(size_t size)
{
    for (unsigned i = 0; i < img.phnum; i++) {
        const Elf64_Phdr *ph = &img.ph[i];
        if (ph->p_type != PT_LOAD && ph->p_type != PT_NOTE)
            continue;
        if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
            continue;
        if (ph->p_offset + ph->p_filesz > img.size)
            fuzz_fail("segment %u lies in the file but was not read", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (guest == NULL) {
        guest = malloc(GUEST_MEM_SIZE);
        if (guest == NULL)
            fuzz_fail("cannot allocate guest memory");
    }
    const char *path = fuzz_file(data, size);

    /* A read that dies has had its buffer freed by FUZZ_TRY. */
    if (FUZZ_TRY(elf_image_read(path, &img))) {
        if (img.file_size != size || img.size > size ||
            memcmp(img.data, data, img.size) != 0)
            fuzz_fail("the file was not read as it is");
        check_extent(size);
        /* Guest memory is dirty from earlier inputs, as a tender's
         * would not be: the check below proves the loader zeroes. */
        static uint64_t entry, end;
        static struct protect_log log;
        log.calls = 0;
        if (FUZZ_TRY(entry = elf_load(&img, (uintptr_t)guest, GUEST_MEM_SIZE,
                                      GUEST_MIN_BASE, GUEST_PAGE_SIZE, false,
                                      protect, &log, &end))) {
            if (log.calls == 0)
                fuzz_fail("a loaded image protected no segment");
            check_loaded(entry, end);
        }
        elf_image_free(&img);
    }
    return 0;
}
