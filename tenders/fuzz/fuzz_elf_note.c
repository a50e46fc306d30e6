/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_elf_note.c: libFuzzer harness for the tenders' note reader and ABI
 * check (elf_note.c, elf_abi_check.c) and, through elf_read_manifest(), the
 * manifest checker (mft.c), as a tender runs them on a unikernel file. A
 * manifest that passes must be one the rest of the tender can trust.
 */

#include <stdlib.h>
#include <string.h>

#include "elf_abi.h"
#include "elf_image.h"
#include "fuzz_support.h"
#include "fuzz_mft_props.h"
#include "spt_abi.h"
#include "tender.h"

static struct elf_image img;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);

    /* A read that dies has had its buffer freed by FUZZ_TRY. */
    if (FUZZ_TRY(elf_image_read(path, &img))) {
        static size_t abi_size;
        static void *abi;
        /* The raw lookup first: its size bound must hold. */
        if (FUZZ_TRY(
                abi = elf_find_solo5_note(&img, ABI1_NOTE_TYPE, ABI1_NOTE_ALIGN,
                                          ABI1_NOTE_MAX_SIZE, &abi_size))) {
            if (abi != NULL && abi_size > ABI1_NOTE_MAX_SIZE)
                fuzz_fail("ABI note of %zu bytes returned", abi_size);
            free(abi);
        }
        (void)FUZZ_TRY(elf_check_abi(&img, SPT_ABI_TARGET, SPT_ABI_VERSION));

        static struct mft *mft;
        static size_t mft_size;
        if (FUZZ_TRY(mft = elf_read_manifest(&img, &mft_size))) {
            if (mft_size > MFT1_NOTE_MAX_SIZE)
                fuzz_fail("manifest of %zu bytes returned", mft_size);
            fuzz_check_mft(mft, mft_size);
            free(mft);
        }
        elf_image_free(&img);
    }
    return 0;
}
