/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_note.c: finding Solo5's notes (ABI1, MFT1) in PT_NOTE segments.
 */

#include <stdlib.h>
#include <string.h>

#include "elf_image.h"
#include "tender.h"

#define NOTE_OWNER "Solo5"
#define ROUND4(x) (((x) + 3) & ~(uint64_t)3)

void *elf_find_solo5_note(const struct elf_image *img, uint32_t type,
                          size_t align, size_t max_size, size_t *size)
{
    const uint8_t *found = NULL;
    uint64_t found_size = 0;

    for (unsigned i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *ph = &img->ph[i];
        if (ph->p_type != PT_NOTE)
            continue;
        if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
            die("%s: note segment %u extends past the end of the file",
                img->path, i);

        const uint8_t *p = img->data + ph->p_offset;
        uint64_t left = ph->p_filesz;
        while (left >= sizeof(Elf64_Nhdr)) {
            Elf64_Nhdr nh;
            memcpy(&nh, p, sizeof nh);
            uint64_t name_len = ROUND4((uint64_t)nh.n_namesz);
            uint64_t desc_len = ROUND4((uint64_t)nh.n_descsz);
            uint64_t total = sizeof nh + name_len + desc_len;
            /* The last note's descriptor need not be padded (Solo5 and
             * elftool read n_descsz bytes): only those must be there. */
            if (sizeof nh + name_len + (uint64_t)nh.n_descsz > left)
                die("%s: malformed note in segment %u", img->path, i);
            if (total > left)
                total = left;

            const uint8_t *name = p + sizeof nh;
            if (nh.n_type == type && nh.n_namesz == sizeof NOTE_OWNER &&
                memcmp(name, NOTE_OWNER, sizeof NOTE_OWNER) == 0) {
                if (found != NULL)
                    die("%s: more than one Solo5 note of type 0x%x", img->path,
                        (unsigned)type);
                /* The descriptor is padded so its content is aligned. */
                uint64_t hdr = sizeof nh + name_len;
                uint64_t pad = ((hdr + align - 1) / align) * align - hdr;
                if (nh.n_descsz < pad)
                    die("%s: Solo5 note of type 0x%x is truncated", img->path,
                        (unsigned)type);
                found = name + name_len + pad;
                found_size = nh.n_descsz - pad;
            }
            p += total;
            left -= total;
        }
    }

    if (found == NULL)
        return NULL;
    if (found_size > max_size)
        die("%s: Solo5 note of type 0x%x is too large (%llu bytes)", img->path,
            (unsigned)type, (unsigned long long)found_size);
    void *copy = calloc(1, found_size > 0 ? found_size : 1);
    if (copy == NULL)
        die("%s: out of memory", img->path);
    memcpy(copy, found, found_size);
    *size = found_size;
    return copy;
}
