/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_quiet: prints nothing at all. Run with --solo5:quiet, the whole
 * output must be free of "Solo5:" lines; exit status 0 is the success.
 */

#include "solo5.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    return SOLO5_EXIT_SUCCESS;
}
