/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_exception: executes an invalid instruction. The binding or tender
 * must end the unikernel and report it (on spt: the kernel kills the
 * process with SIGILL); reaching the end is a failure.
 */

#include "../common/testlib.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    t_banner("exception");
    t_puts("Executing an invalid instruction...\n");
    t_invalid_instruction();
    t_puts("FAILURE: survived an invalid instruction\n");
    return SOLO5_EXIT_FAILURE;
}
