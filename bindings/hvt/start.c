/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * start.c: the entry point. solo5-hvt starts the CPU here in 64-bit mode
 * with paging on (guest memory identity-mapped), the stack pointer just
 * below the top of guest memory and a pointer to struct hvt_boot_info as
 * the only argument.
 */

#include "hvt.h"

void _start(const struct hvt_boot_info *bi) NORETURN NO_SSP;

static void hvt_main(const struct hvt_boot_info *bi) NORETURN;

void _start(const struct hvt_boot_info *bi)
{
    /* Before anything else can push a canary. */
    ssp_init(cpu_random_u64());
    hvt_main(bi);
}

static void hvt_main(const struct hvt_boot_info *bi)
{
    hvt_cpu_init();
    /* TLS belongs to the application; until it sets one up, the thread
     * pointer is 0. */
    tls_reset();
    mft_set(bi->mft);
    time_init(bi);

    struct mem_layout m = {
        .mem_size = bi->mem_size,
        .kernel_end = bi->kernel_end,
        .stack_top = bi->mem_size,
    };
    bindings_run_app("hvt", bi->cmdline, &m);
}
