/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_module_block.c: --block:NAME=PATH (or =@FD) attaches a file or block
 * device, --block-sector-size:NAME=N sets its block size.
 *
 * The seccomp rules allow pread64/pwrite64 on the device's descriptor only
 * for exactly one block at an offset inside the device, so the unikernel
 * can neither read nor write outside it, nor grow a backing file.
 */

#include <stdio.h>
#include <sys/syscall.h>

#include "spt.h"

static bool handle_arg(struct tender *t, const char *arg)
{
    return devopt_block(t->mft, t->file, arg, SPT_BLOCK_SIZE);
}

static void policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    for (unsigned i = 0; i < in->mft->entries; i++) {
        const struct mft_entry *e = &in->mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        uint64_t fd = (uint64_t)e->b.hostfd;
        uint64_t bs = e->u.block_basic.block_size;
        uint64_t last = e->u.block_basic.capacity - bs;
        char what[SC_WHAT_SIZE];
        snprintf(what, sizeof what, "block device '%s'", e->name);
        SC_ALLOW(p, what, SYS_pread64, SC_ARG(0, SC_EQ, fd),
                 SC_ARG(2, SC_EQ, bs), SC_ARG(3, SC_LE, last));
        SC_ALLOW(p, what, SYS_pwrite64, SC_ARG(0, SC_EQ, fd),
                 SC_ARG(2, SC_EQ, bs), SC_ARG(3, SC_LE, last));
    }
}

static const struct tender_module block_module = {
    .name = "block",
    .usage = devopt_block_usage,
    .handle_arg = handle_arg,
    .policy = policy,
};

TENDER_MODULE(block_module);
