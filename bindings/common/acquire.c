/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * acquire.c: solo5_block_acquire() and solo5_net_acquire(), answered from
 * the manifest entries the tender filled in. Each device can be acquired
 * once.
 */

#include "bindings.h"

static solo5_handle_set_t acquired;

static bool take(unsigned index)
{
    solo5_handle_set_t bit = (solo5_handle_set_t)1 << index;

    if (acquired & bit)
        return false;
    acquired |= bit;
    return true;
}

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
                                   struct solo5_block_info *info)
{
    unsigned index;
    const struct mft_entry *e = mft_find(name, MFT_DEV_BLOCK_BASIC, &index);

    if (e == NULL || handle == NULL || info == NULL || !take(index))
        return SOLO5_R_EINVAL;
    info->capacity = e->u.block_basic.capacity;
    info->block_size = e->u.block_basic.block_size;
    *handle = index;
    log_printf(LOG_DEBUG, "Solo5: acquired block device '%s' (%llu bytes)\n",
               e->name, (unsigned long long)info->capacity);
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info)
{
    unsigned index;
    const struct mft_entry *e = mft_find(name, MFT_DEV_NET_BASIC, &index);

    if (e == NULL || handle == NULL || info == NULL || !take(index))
        return SOLO5_R_EINVAL;
    memcpy(info->mac_address, e->u.net_basic.mac, sizeof info->mac_address);
    info->mtu = e->u.net_basic.mtu;
    *handle = index;
    log_printf(LOG_DEBUG, "Solo5: acquired network device '%s'\n", e->name);
    return SOLO5_R_OK;
}
