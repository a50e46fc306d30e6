/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_mft.c: libFuzzer harness for the tenders' manifest checker (mft.c)
 * on its own: the input is the note's content, `struct mft` as found in the
 * unikernel, so every mutation reaches mft_check() (the ELF harnesses spend
 * most of theirs on headers).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_mft_props.h"
#include "fuzz_support.h"
#include "tender.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As elf_find_solo5_note() hands it over: an aligned heap copy no
     * larger than the note's maximum. */
    if (size > MFT1_NOTE_MAX_SIZE)
        return -1;
    struct mft *mft = calloc(1, size > 0 ? size : 1);
    if (mft == NULL)
        fuzz_fail("out of memory");
    memcpy(mft, data, size);
    if (FUZZ_TRY(mft_check(mft, size, "fuzz.mft")))
        fuzz_check_mft(mft, size);
    free(mft);
    return 0;
}
