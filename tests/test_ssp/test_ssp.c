/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_ssp: overflows a stack buffer; the stack protector must catch it
 * when the function returns, report it and abort.
 */

#include "../common/testlib.h"

/* Not visible to the optimiser, so the overflow is not diagnosed or
 * removed at compile time. */
static volatile size_t overflow_len = 64;

static void __attribute__((noinline)) fill(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile char *)buf)[i] = 'A';
}

static int __attribute__((noinline)) smash(void)
{
    char buf[16];

    fill(buf, overflow_len);
    return buf[0];
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("ssp");
    t_puts("Overflowing a stack buffer...\n");
    smash();
    t_puts("FAILURE: stack smashing went unnoticed\n");
    return SOLO5_EXIT_FAILURE;
}
