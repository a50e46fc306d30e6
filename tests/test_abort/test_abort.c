/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_abort: solo5_abort() must end the unikernel with SOLO5_EXIT_ABORT.
 */

#include "../common/testlib.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("abort");
    t_puts("Calling solo5_abort()\n");
    solo5_abort();
}
