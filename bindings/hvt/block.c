/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block.c: block I/O by hypercall, one block per call. The binding checks
 * the request first so that a bad one fails with SOLO5_R_EINVAL without
 * a trip to the tender (which checks again: it trusts nothing).
 */

#include "hvt.h"

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;

    struct hvt_hc_block_write w = {
        .handle = handle, .offset = offset, .data = buf, .len = size};
    hvt_do_hypercall(HVT_HYPERCALL_BLOCK_WRITE, &w);
    return (solo5_result_t)w.ret;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;

    struct hvt_hc_block_read r = {
        .handle = handle, .offset = offset, .data = buf, .len = size};
    hvt_do_hypercall(HVT_HYPERCALL_BLOCK_READ, &r);
    return (solo5_result_t)r.ret;
}
