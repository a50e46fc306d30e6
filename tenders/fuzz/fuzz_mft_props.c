/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_mft_props.c: the properties of an accepted manifest.
 */

#include <string.h>

#include "fuzz_mft_props.h"
#include "fuzz_support.h"
#include "tender.h"

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0)
            return 0;
    }
    return 1;
}

static void check_entry(struct mft *mft, unsigned i)
{
    struct mft_entry *e = &mft->e[i];

    if (memchr(e->name, '\0', sizeof e->name) == NULL)
        fuzz_fail("entry %u: unterminated name accepted", i);
    if (e->attached || !all_zero(&e->u, sizeof e->u) ||
        !all_zero(&e->b, sizeof e->b))
        fuzz_fail("entry %u: host fields not cleared", i);
    /* Entry 0 is exactly the first reserved type; past it, reserved types
     * (for later use) are skipped, as Solo5 does: never a device. */
    if (i == 0) {
        if (e->type != MFT_RESERVED_FIRST)
            fuzz_fail("entry 0: type %u accepted", (unsigned)e->type);
        return;
    }
    if (e->type >= MFT_RESERVED_FIRST) {
        if (mft_lookup(mft, e->name) == e)
            fuzz_fail("entry %u: a reserved entry is found by name", i);
        return;
    }
    if (e->type != MFT_DEV_BLOCK_BASIC && e->type != MFT_DEV_NET_BASIC)
        fuzz_fail("entry %u: unknown type %u accepted", i, (unsigned)e->type);
    if (e->name[0] == '\0')
        fuzz_fail("entry %u: empty device name accepted", i);
    if (mft_lookup(mft, e->name) != e)
        fuzz_fail("entry %u: '%s' is not found by name (declared twice?)", i,
                  e->name);
}

/* Claiming a device with the other type dies; with its own, it works
 * once. */
static void check_claims(struct mft *mft, unsigned i)
{
    struct mft_entry *e = &mft->e[i];
    mft_type_t other =
        e->type == MFT_DEV_NET_BASIC ? MFT_DEV_BLOCK_BASIC : MFT_DEV_NET_BASIC;
    static struct mft_entry *claimed;

    if (FUZZ_TRY(mft_claim(mft, e->name, other, "--opt", "fuzz")))
        fuzz_fail("entry %u: claimed with the wrong type", i);
    if (!FUZZ_TRY(claimed = mft_claim(mft, e->name, e->type, "--opt", "fuzz")))
        fuzz_fail("entry %u: cannot be claimed: %s", i, fuzz_last_message);
    if (claimed != e)
        fuzz_fail("entry %u: claiming it returned another entry", i);
    e->attached = true;
    if (FUZZ_TRY(mft_claim(mft, e->name, e->type, "--opt", "fuzz")))
        fuzz_fail("entry %u: claimed twice", i);
}

void fuzz_check_mft(struct mft *mft, size_t size)
{
    /* Static: read after FUZZ_TRY (setjmp) returns. */
    static unsigned devices;

    devices = 0;
    if (mft->entries > MFT_MAX_ENTRIES || size != MFT_SIZE(mft->entries))
        fuzz_fail("manifest of %zu bytes with %u entries accepted", size,
                  (unsigned)mft->entries);
    for (unsigned i = 0; i < mft->entries; i++) {
        check_entry(mft, i);
        devices += mft->e[i].type < MFT_RESERVED_FIRST;
    }
    if (FUZZ_TRY(mft_check_all_attached(mft, "fuzz")) != (devices == 0))
        fuzz_fail("mft_check_all_attached() is wrong about %u devices",
                  devices);
    for (unsigned i = 0; i < mft->entries; i++) {
        if (mft->e[i].type < MFT_RESERVED_FIRST)
            check_claims(mft, i);
    }
    if (!FUZZ_TRY(mft_check_all_attached(mft, "fuzz")))
        fuzz_fail("all devices attached, yet: %s", fuzz_last_message);
}
