/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_globals: initialised data, read-only data and bss start out as the
 * program says, and can be written (except the read-only ones).
 */

#include "../common/testlib.h"

static int data_int = 42;
static char data_str[] = "solo5 data";
static const uint64_t rodata_table[4] = {1, 0xdeadbeefULL, 3, ~0ULL};
static uint64_t bss_words[1024];
static char bss_bytes[333];
static volatile int *volatile data_ptr = &data_int;

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("globals");

    if (*data_ptr != 42 || !t_streq(data_str, "solo5 data"))
        return t_fail("initialised data is wrong");
    if (rodata_table[1] != 0xdeadbeefULL || rodata_table[3] != ~0ULL)
        return t_fail("read-only data is wrong");
    for (size_t i = 0; i < sizeof bss_words / sizeof bss_words[0]; i++) {
        if (bss_words[i] != 0)
            return t_fail("bss is not zero");
    }
    for (size_t i = 0; i < sizeof bss_bytes; i++) {
        if (bss_bytes[i] != 0)
            return t_fail("bss is not zero");
    }

    *data_ptr = 7;
    data_str[0] = 'S';
    bss_words[1023] = 99;
    bss_bytes[332] = 'x';
    if (data_int != 7 || data_str[0] != 'S' || bss_words[1023] != 99 ||
        bss_bytes[332] != 'x')
        return t_fail("globals cannot be written");

    t_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
