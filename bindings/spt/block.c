/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block.c: block I/O with pread64/pwrite64 on the descriptor the tender
 * opened. One block per call; anything else is SOLO5_R_EINVAL (the
 * tender's seccomp filter would kill us for it anyway).
 */

#include "spt.h"

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    const struct mft_entry *e = mft_block_for_io(handle, offset, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;
    long n;
    do {
        n = sys_pwrite64(e->b.hostfd, buf, size, offset);
    } while (n == -SYS_EINTR);
    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    const struct mft_entry *e = mft_block_for_io(handle, offset, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;
    long n;
    do {
        n = sys_pread64(e->b.hostfd, buf, size, offset);
    } while (n == -SYS_EINTR);
    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}
