/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft.c: device lookups in the manifest the tender handed over. A device's
 * solo5_handle_t is its index in the manifest. The I/O argument checks
 * every binding makes before touching a device are here too, so that all
 * bindings reject the same requests with SOLO5_R_EINVAL.
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

const struct mft_entry *mft_net_for_write(solo5_handle_t handle, size_t size)
{
    const struct mft_entry *e = mft_by_handle(handle, MFT_DEV_NET_BASIC);

    if (e == NULL || size > (size_t)e->u.net_basic.mtu + SOLO5_NET_HLEN)
        return NULL;
    return e;
}

const struct mft_entry *mft_net_for_read(solo5_handle_t handle, size_t size)
{
    const struct mft_entry *e = mft_by_handle(handle, MFT_DEV_NET_BASIC);

    if (e == NULL || size < (size_t)e->u.net_basic.mtu + SOLO5_NET_HLEN)
        return NULL;
    return e;
}

const struct mft_entry *mft_block_for_io(solo5_handle_t handle,
                                         solo5_off_t offset, size_t size)
{
    const struct mft_entry *e = mft_by_handle(handle, MFT_DEV_BLOCK_BASIC);

    if (e == NULL)
        return NULL;
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t cap = e->u.block_basic.capacity;
    if (bs == 0 || size != bs || offset % bs != 0 || cap < bs ||
        offset > cap - bs)
        return NULL;
    return e;
}
