/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_blk: writes every block of the "storage" device with a pattern
 * unique to the block, reads the whole device back and compares; requests
 * outside the device or not aligned to blocks must fail with
 * SOLO5_R_EINVAL, and the device can be acquired only once.
 */

#include "../common/testlib.h"

#define MAX_BLOCK 32768

static uint8_t wbuf[MAX_BLOCK + 1];
static uint8_t rbuf[MAX_BLOCK + 1];

static void pattern(uint8_t *buf, size_t size, uint64_t block)
{
    uint32_t x = (uint32_t)(block * 2654435761u) ^ 0xb10cu;

    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    solo5_handle_t h, h2;
    struct solo5_block_info info;

    (void)si;
    t_banner("blk");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return t_fail("cannot acquire block device 'storage'");
    t_printf("capacity %llu bytes, block size %llu bytes\n",
             (unsigned long long)info.capacity,
             (unsigned long long)info.block_size);
    if (solo5_block_acquire("storage", &h2, &info) != SOLO5_R_EINVAL)
        return t_fail("second acquire of 'storage' did not fail");
    if (solo5_block_acquire("nonexistent", &h2, &info) != SOLO5_R_EINVAL)
        return t_fail("acquiring an undeclared device did not fail");

    uint64_t bs = info.block_size;
    if (bs == 0 || bs > MAX_BLOCK || info.capacity == 0 ||
        info.capacity % bs != 0)
        return t_fail("implausible capacity or block size");
    uint64_t blocks = info.capacity / bs;

    for (uint64_t b = 0; b < blocks; b++) {
        pattern(wbuf, bs, b);
        if (solo5_block_write(h, b * bs, wbuf, bs) != SOLO5_R_OK)
            return t_fail("write failed");
    }
    for (uint64_t b = 0; b < blocks; b++) {
        pattern(wbuf, bs, b);
        t_memset(rbuf, 0, bs);
        if (solo5_block_read(h, b * bs, rbuf, bs) != SOLO5_R_OK)
            return t_fail("read failed");
        if (t_memcmp(wbuf, rbuf, bs) != 0) {
            t_printf("block %llu differs\n", (unsigned long long)b);
            return t_fail("data read back differs from data written");
        }
    }
    t_printf("wrote and verified %llu blocks\n", (unsigned long long)blocks);

    struct {
        const char *what;
        uint64_t offset;
        size_t size;
    } bad[] = {
        {"offset at the end", info.capacity, bs},
        {"offset past the end", info.capacity + bs, bs},
        {"huge offset", ~0ULL - bs + 1, bs},
        {"unaligned offset", 1, bs},
        {"last block plus one byte", info.capacity - bs, bs + 1},
        {"short size", 0, bs - 1},
        {"zero size", 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (solo5_block_write(h, bad[i].offset, wbuf, bad[i].size) !=
                SOLO5_R_EINVAL ||
            solo5_block_read(h, bad[i].offset, rbuf, bad[i].size) !=
                SOLO5_R_EINVAL) {
            t_printf("not rejected: %s\n", bad[i].what);
            return t_fail("invalid request was not rejected with EINVAL");
        }
    }
    if (solo5_block_read(h + 1000, 0, rbuf, bs) != SOLO5_R_EINVAL)
        return t_fail("bad handle was not rejected");

    /* The last block is still intact after all that. */
    pattern(wbuf, bs, blocks - 1);
    if (solo5_block_read(h, (blocks - 1) * bs, rbuf, bs) != SOLO5_R_OK ||
        t_memcmp(wbuf, rbuf, bs) != 0)
        return t_fail("last block changed");

    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
