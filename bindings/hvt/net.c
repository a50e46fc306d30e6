/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * net.c: network I/O by hypercall, one Ethernet frame per call.
 */

#include "hvt.h"

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    const struct mft_entry *e = mft_net_for_write(handle, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;

    struct hvt_hc_net_write w = {.handle = handle, .data = buf, .len = size};
    hvt_do_hypercall(HVT_HYPERCALL_NET_WRITE, &w);
    return (solo5_result_t)w.ret;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    const struct mft_entry *e = mft_net_for_read(handle, size);

    if (e == NULL || buf == NULL || read_size == NULL)
        return SOLO5_R_EINVAL;

    struct hvt_hc_net_read r = {.handle = handle, .data = buf, .len = size};
    hvt_do_hypercall(HVT_HYPERCALL_NET_READ, &r);
    if (r.ret == SOLO5_R_OK)
        *read_size = r.len;
    return (solo5_result_t)r.ret;
}
