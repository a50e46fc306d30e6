/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_image.h: reading, checking and loading unikernel ELF files. Every field
 * the tender relies on is checked against the file size and the guest memory
 * size first, so a damaged or hostile file gets a message, not a crash.
 */

#ifndef TENDER_ELF_IMAGE_H
#define TENDER_ELF_IMAGE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The part of an ELF file a tender uses, headers checked: (data, size) is
 * the start of the file up to the end of the last PT_LOAD or PT_NOTE
 * content (what follows, symbols and debug information, is not read).
 */
struct elf_image {
    const char *path;
    uint8_t *data;
    size_t size;
    size_t file_size;
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    unsigned phnum;
    /* The most guest memory the tender can give (its --mem maximum), set
     * by the caller before elf_load(): a segment beyond it has an invalid
     * address rather than too little memory. 0: no limit known. */
    uint64_t max_mem;
};

/* Host architecture facts (elf_host_<arch>.c). */
extern const uint16_t elf_host_machine;
extern const unsigned char elf_host_data; /* ELFDATA2LSB or ELFDATA2MSB */

/* "x86_64", "aarch64", ... or NULL if (machine) is not one we know. */
const char *elf_machine_name(uint16_t machine);

/*
 * Reads (path) and checks that it is a 64-bit static executable for the
 * host architecture with sane program headers. Dies naming the file
 * otherwise.
 */
void elf_image_read(const char *path, struct elf_image *img);

void elf_image_free(struct elf_image *img);

/*
 * Finds the Solo5 note of (type) (owner "Solo5") in the PT_NOTE segments.
 * The descriptor is taken to start with padding up to (align) bytes from
 * the start of the note, as Solo5 notes do. Returns a malloc()ed, aligned
 * copy of the descriptor content and its size in (*size), or NULL if there
 * is no such note. Dies if the note is malformed, duplicated or larger than
 * (max_size).
 */
void *elf_find_solo5_note(const struct elf_image *img, uint32_t type,
                          size_t align, size_t max_size, size_t *size);

/*
 * Dies unless the ABI note of (img) names binding (target) at ABI version
 * (version). The message says which binding the file was built for.
 * (elf_abi_check.c)
 */
/* The unikernel's manifest note, checked (mft_check); dies without one. */
struct mft *elf_read_manifest(const struct elf_image *img, size_t *size);

void elf_check_abi(const struct elf_image *img, uint32_t target,
                   uint32_t version);

/* "hvt", "spt", ... or NULL for a target number we do not know. */
const char *elf_abi_target_name(uint32_t target);

/* What elf_load() passes for each loaded segment, page-aligned. */
typedef void (*elf_protect_fn)(void *ctx, uint64_t guest_addr, uint64_t len,
                               uint32_t p_flags);

/*
 * Copies the PT_LOAD segments into guest memory, guest address (a) being
 * host address (host_base + a). Every segment must lie within
 * [min_base, mem_size) and be either writable or executable, not both.
 * Calls (protect) once per segment afterwards. Returns the entry point and,
 * in (*end), the first address after the image. (zeroed): guest memory is
 * all zero bytes (fresh anonymous memory), so the part of a segment beyond
 * its file content is not written: a page nobody writes costs no memory.
 */
uint64_t elf_load(const struct elf_image *img, uintptr_t host_base,
                  uint64_t mem_size, uint64_t min_base, uint64_t page_size,
                  bool zeroed, elf_protect_fn protect, void *ctx,
                  uint64_t *end);

#endif /* TENDER_ELF_IMAGE_H */
