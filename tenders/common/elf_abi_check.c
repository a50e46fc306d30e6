/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_abi_check.c: checking that a unikernel was built for the binding a
 * tender runs, by its ABI note, and reading its manifest note.
 */

#include <stdlib.h>

#include "elf_abi.h"
#include "elf_image.h"
#include "tender.h"

const char *elf_abi_target_name(uint32_t target)
{
    switch (target) {
    case HVT_ABI_TARGET:
        return "hvt";
    case SPT_ABI_TARGET:
        return "spt";
    case VIRTIO_ABI_TARGET:
        return "virtio";
    case MUEN_ABI_TARGET:
        return "muen";
    case GENODE_ABI_TARGET:
        return "genode";
    case XEN_ABI_TARGET:
        return "xen";
    default:
        return NULL;
    }
}

void elf_check_abi(const struct elf_image *img, uint32_t target,
                   uint32_t version)
{
    const char *want = elf_abi_target_name(target);
    size_t size;
    struct abi1_info *abi = elf_find_solo5_note(
        img, ABI1_NOTE_TYPE, ABI1_NOTE_ALIGN, ABI1_NOTE_MAX_SIZE, &size);

    if (abi == NULL)
        die("%s: not a Solo5 unikernel (no Solo5 ABI note)", img->path);
    if (size != sizeof *abi)
        die("%s: malformed Solo5 ABI note (%zu bytes)", img->path, size);
    if (abi->abi_target != target) {
        const char *got = elf_abi_target_name(abi->abi_target);
        if (abi->abi_target == HVT_ABI_TARGET ||
            abi->abi_target == SPT_ABI_TARGET)
            die("%s: built for the %s binding, not %s (run it with "
                "solo5-%s)",
                img->path, got, want, got);
        if (got != NULL)
            die("%s: built for the %s binding, not %s", img->path, got, want);
        die("%s: built for unknown binding %u, not %s", img->path,
            (unsigned)abi->abi_target, want);
    }
    if (abi->abi_version != version)
        die("%s: built for %s ABI version %u, this tender supports version "
            "%u",
            img->path, want, (unsigned)abi->abi_version, (unsigned)version);
    free(abi);
}

struct mft *elf_read_manifest(const struct elf_image *img, size_t *size)
{
    struct mft *mft = elf_find_solo5_note(img, MFT1_NOTE_TYPE, MFT1_NOTE_ALIGN,
                                          MFT1_NOTE_MAX_SIZE, size);
    if (mft == NULL)
        die("%s: no Solo5 manifest note", img->path);
    mft_check(mft, *size, img->path);
    return mft;
}
