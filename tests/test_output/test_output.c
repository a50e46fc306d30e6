/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_output: console writes of many sizes, 1 byte to 64 KiB, each one
 * solo5_console_write() call, arrive intact and in order.
 *
 * The records are pseudo-random lower-case text, each ending in a newline,
 * between a line "OUTPUT-BEGIN" and a line "OUTPUT-END". The test prints
 * the FNV-1a 64-bit hash of all record bytes; the runner hashes what it
 * received between the two marker lines and compares (tests.toml:
 * output_digest). The records cannot contain the upper-case markers.
 */

#include "../common/testlib.h"

static const uint32_t sizes[] = {
    1,     2,     3,     7,    8,    15,   16,   17,   31,   32,    63,
    64,    100,   127,   128,  255,  256,  511,  512,  513,  1000,  1023,
    1024,  1500,  2047,  2048, 4095, 4096, 4097, 8191, 8192, 12345, 16384,
    32768, 65535, 65536, 3,    1,    4096, 777,  1};

static char buf[65536];

int solo5_app_main(const struct solo5_start_info *si)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 +-=/";
    uint32_t rng = 0x12345678u;
    uint64_t hash = 0xcbf29ce484222325ULL;
    uint64_t total = 0;

    (void)si;
    t_banner("output");
    t_puts("OUTPUT-BEGIN\n");
    for (size_t r = 0; r < sizeof sizes / sizeof sizes[0]; r++) {
        uint32_t n = sizes[r];
        for (uint32_t i = 0; i + 1 < n; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            buf[i] = alphabet[rng % (sizeof alphabet - 1)];
        }
        buf[n - 1] = '\n';
        for (uint32_t i = 0; i < n; i++) {
            hash ^= (uint8_t)buf[i];
            hash *= 0x100000001b3ULL;
        }
        total += n;
        solo5_console_write(buf, n);
    }
    t_puts("OUTPUT-END\n");
    t_printf("OUTPUT-DIGEST fnv1a64=%016llx bytes=%llu\n",
             (unsigned long long)hash, (unsigned long long)total);
    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
