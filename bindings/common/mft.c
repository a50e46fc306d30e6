/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft.c: device lookups in the manifest the tender handed over. A device's
 * solo5_handle_t is its index in the manifest.
 */

#include "bindings.h"

static const struct mft *the_mft;

void mft_set(const struct mft *mft)
{
    if (mft != NULL &&
        (mft->version != MFT_VERSION || mft->entries > MFT_MAX_ENTRIES))
        bindings_panic("invalid manifest (version %u, %u entries)",
                       (unsigned)mft->version, (unsigned)mft->entries);
    the_mft = mft;
}

static const struct mft_entry *usable(unsigned i, mft_type_t type)
{
    const struct mft_entry *e = &the_mft->e[i];

    return (e->type == type && e->attached) ? e : NULL;
}

const struct mft_entry *mft_find(const char *name, mft_type_t type,
                                 unsigned *index)
{
    if (the_mft == NULL || name == NULL)
        return NULL;
    for (unsigned i = 0; i < the_mft->entries; i++) {
        const struct mft_entry *e = usable(i, type);
        if (e != NULL && strncmp(e->name, name, MFT_NAME_SIZE) == 0) {
            *index = i;
            return e;
        }
    }
    return NULL;
}

const struct mft_entry *mft_by_handle(solo5_handle_t handle, mft_type_t type)
{
    if (the_mft == NULL || handle >= the_mft->entries)
        return NULL;
    return usable((unsigned)handle, type);
}

unsigned mft_count(mft_type_t type)
{
    unsigned n = 0;

    for (unsigned i = 0; the_mft != NULL && i < the_mft->entries; i++) {
        if (usable(i, type) != NULL)
            n++;
    }
    return n;
}
