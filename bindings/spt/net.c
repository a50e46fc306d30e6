/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * net.c: network I/O with read/write on the non-blocking tap descriptor the
 * tender opened. One call moves one Ethernet frame.
 */

#include "spt.h"

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    const struct mft_entry *e = mft_net_for_write(handle, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;
    long n;
    do {
        n = sys_write(e->b.hostfd, buf, size);
    } while (n == -SYS_EINTR);
    /* A full host queue drops the frame, as a real wire would. */
    if (n == -SYS_EAGAIN)
        return SOLO5_R_OK;
    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    const struct mft_entry *e = mft_net_for_read(handle, size);

    if (e == NULL || buf == NULL || read_size == NULL)
        return SOLO5_R_EINVAL;
    long n;
    do {
        n = sys_read(e->b.hostfd, buf, size);
    } while (n == -SYS_EINTR);
    if (n == -SYS_EAGAIN)
        return SOLO5_R_AGAIN;
    if (n < 0)
        return SOLO5_R_EUNSPEC;
    *read_size = (size_t)n;
    return SOLO5_R_OK;
}
