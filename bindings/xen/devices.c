/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * devices.c: the manifest's devices. Block and network frontends are not
 * there yet: a manifest that names any device stops the unikernel at
 * start of day, and the device calls answer SOLO5_R_EUNSPEC.
 */

#include "xen.h"

extern const struct mft1_note __solo5_mft1_note;

static struct mft *mft;

void devices_init(void)
{
    mft = (struct mft *)(uintptr_t)&__solo5_mft1_note.m;

    mft_set(mft);
    if (mft->entries == 0 || mft->e[0].type != MFT_RESERVED_FIRST)
        bindings_panic("invalid manifest: the first entry is not reserved");
    mft->e[0].attached = true;
    for (unsigned i = 1; i < mft->entries; i++)
        log_printf(LOG_ERROR, "Solo5: no xen device for manifest entry '%s'\n",
                   mft->e[i].name);
    if (mft->entries > 1)
        bindings_panic("not every device in the manifest is attached");
}

solo5_handle_set_t net_ready(void)
{
    return 0;
}

void devices_close(void)
{
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    (void)handle;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    (void)handle;
    (void)buf;
    (void)size;
    (void)read_size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}
