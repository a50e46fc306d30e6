/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_mft_maxdevices: a manifest with the most devices allowed (63 plus
 * the reserved first entry) builds and runs, and every device works.
 */

#include "../common/testlib.h"

#define NDEV 63

static uint8_t buf[512];

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("mft_maxdevices");

    for (int i = 0; i < NDEV; i++) {
        char name[16] = "storage";
        size_t n = 7 + t_utoa(name + 7, (unsigned)i, 10, 0);
        name[n] = '\0';
        solo5_handle_t h;
        struct solo5_block_info info;
        if (solo5_block_acquire(name, &h, &info) != SOLO5_R_OK) {
            t_printf("cannot acquire %s\n", name);
            return t_fail("acquire failed");
        }
        if (info.block_size > sizeof buf)
            return t_fail("unexpected block size");
        t_memset(buf, i, info.block_size);
        if (solo5_block_write(h, 0, buf, info.block_size) != SOLO5_R_OK)
            return t_fail("write failed");
        t_memset(buf, 0xff, info.block_size);
        if (solo5_block_read(h, 0, buf, info.block_size) != SOLO5_R_OK ||
            buf[0] != (uint8_t)i || buf[info.block_size - 1] != (uint8_t)i)
            return t_fail("read back failed");
    }
    t_printf("all %d devices acquired and used\n", NDEV);
    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
