/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_hello: the smallest useful unikernel. Prints a banner, a greeting and
 * its command line, then reports success.
 *
 * Keep it to integer code with plain byte loops: it must also run on CPUs
 * (and emulated KVMs) without usable SIMD, and it links against bindings
 * that provide no C library.
 */

#include "solo5.h"

static size_t text_length(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

static void say(const char *s)
{
    solo5_console_write(s, text_length(s));
}

int solo5_app_main(const struct solo5_start_info *si)
{
    say("\n**** Solo5 standalone test_hello ****\n\n");
    say("Hello, World\nCommand line is: '");
    say(si->cmdline);
    say("'\n");
    say("SUCCESS\n");

    return SOLO5_EXIT_SUCCESS;
}
