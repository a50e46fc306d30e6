/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * start.c: the entry point. solo5-spt jumps here with the stack pointer at
 * the top of guest memory and a pointer to struct spt_boot_info as the only
 * argument.
 */

#include "spt.h"

void _start(const struct spt_boot_info *bi) NORETURN NO_SSP;

static void spt_main(const struct spt_boot_info *bi) NORETURN;

void _start(const struct spt_boot_info *bi)
{
    /* Before anything else can push a canary. */
    ssp_init(cpu_random_u64());
    spt_main(bi);
}

static void spt_main(const struct spt_boot_info *bi)
{
    /* TLS belongs to the application; until it sets one up, any TLS
     * access should fault rather than use the tender's thread pointer. */
    tls_reset();
    mft_set(bi->mft);
    yield_init(bi);

    struct mem_layout m = {
        .mem_size = bi->mem_size,
        .kernel_end = bi->kernel_end,
        .stack_top = bi->mem_size,
    };
    bindings_run_app("spt", bi->cmdline, &m);
}
