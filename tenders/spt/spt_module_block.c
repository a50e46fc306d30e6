/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_module_block.c: --block:NAME=PATH attaches a file or block device.
 *
 * The seccomp rules allow pread64/pwrite64 on the device's descriptor only
 * for exactly one block at an offset inside the device, so the unikernel
 * can neither read nor write outside it, nor grow a backing file.
 */

#include <stdio.h>

#include "spt.h"

static bool handle_arg(struct tender *t, const char *arg)
{
    char name[MFT_NAME_SIZE];
    const char *path;

    if (!args_split_device(arg, "--block:", name, &path))
        return false;
    struct mft_entry *e =
        mft_claim(t->mft, name, MFT_DEV_BLOCK_BASIC, arg, t->file);
    uint64_t capacity;
    e->b.hostfd = block_attach(path, SPT_BLOCK_SIZE, &capacity);
    e->u.block_basic.capacity = capacity;
    e->u.block_basic.block_size = SPT_BLOCK_SIZE;
    e->attached = true;
    return true;
}

static void setup(struct tender *t)
{
    for (unsigned i = 0; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        scmp_datum_t fd = (scmp_datum_t)e->b.hostfd;
        scmp_datum_t bs = e->u.block_basic.block_size;
        scmp_datum_t last = e->u.block_basic.capacity - bs;
        char what[128];
        snprintf(what, sizeof what, "block device '%s'", e->name);
        SPT_ALLOW(t, what, SCMP_SYS(pread64), SPT_ARG(0, SCMP_CMP_EQ, fd),
                  SPT_ARG(2, SCMP_CMP_EQ, bs), SPT_ARG(3, SCMP_CMP_LE, last));
        SPT_ALLOW(t, what, SCMP_SYS(pwrite64), SPT_ARG(0, SCMP_CMP_EQ, fd),
                  SPT_ARG(2, SCMP_CMP_EQ, bs), SPT_ARG(3, SCMP_CMP_LE, last));
    }
}

static const struct tender_module block_module = {
    .name = "block",
    .usage = "  --block:NAME=PATH   attach file or block device PATH as block "
             "device NAME\n"
             "                      (size: a multiple of 512 bytes)\n",
    .handle_arg = handle_arg,
    .setup = setup,
};

TENDER_MODULE(block_module);
