/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_module_block.c: --block:NAME=PATH (or =@FD) attaches a file or block
 * device, --block-sector-size:NAME=N sets its block size.
 *
 * The block hypercalls read or write whole blocks inside the device; any
 * other request fails with SOLO5_R_EINVAL. seccomp allows pread64 and
 * pwrite64 on the devices' descriptors only.
 */

#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvt.h"
#include "solo5.h"

static bool handle_arg(struct tender *t, const char *arg)
{
    return devopt_block(t->mft, t->file, arg, HVT_BLOCK_SIZE);
}

/* The attached block device (handle) if [offset, offset + len) is a run of
 * whole blocks inside it; else NULL. */
static const struct mft_entry *device(const struct tender *t, uint64_t handle,
                                      uint64_t offset, uint64_t len)
{
    if (handle >= t->mft->entries)
        return NULL;
    const struct mft_entry *e = &t->mft->e[handle];
    if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
        return NULL;
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t cap = e->u.block_basic.capacity;
    if (len == 0 || len % bs != 0 || offset % bs != 0 || offset > cap ||
        len > cap - offset)
        return NULL;
    return e;
}

static void hc_block_write(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_block_write *w =
        hvt_checked_gpa(t, gpa, sizeof *w, "block write");
    uint64_t offset = w->offset;
    uint64_t len = w->len;
    const struct mft_entry *e = device(t, w->handle, offset, len);

    if (e == NULL) {
        w->ret = SOLO5_R_EINVAL;
        return;
    }
    const void *buf = hvt_checked_gpa(t, w->data, len, "block write data");
    ssize_t n;
    do {
        n = pwrite(e->b.hostfd, buf, len, (off_t)offset);
    } while (n == -1 && errno == EINTR);
    w->ret = n == (ssize_t)len ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

static void hc_block_read(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_block_read *r =
        hvt_checked_gpa(t, gpa, sizeof *r, "block read");
    uint64_t offset = r->offset;
    uint64_t len = r->len;
    const struct mft_entry *e = device(t, r->handle, offset, len);

    if (e == NULL) {
        r->ret = SOLO5_R_EINVAL;
        return;
    }
    void *buf = hvt_checked_gpa(t, r->data, len, "block read data");
    ssize_t n;
    do {
        n = pread(e->b.hostfd, buf, len, (off_t)offset);
    } while (n == -1 && errno == EINTR);
    r->ret = n == (ssize_t)len ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

static void setup(struct tender *t)
{
    bool any = false;

    for (unsigned i = 0; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        any = true;
    }
    if (any) {
        hvt_core_register_hypercall(t, HVT_HYPERCALL_BLOCK_WRITE,
                                    hc_block_write);
        hvt_core_register_hypercall(t, HVT_HYPERCALL_BLOCK_READ, hc_block_read);
    }
}

static void policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    for (unsigned i = 0; i < in->mft->entries; i++) {
        const struct mft_entry *e = &in->mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        uint64_t fd = (uint64_t)e->b.hostfd;
        char what[SC_WHAT_SIZE];
        snprintf(what, sizeof what, "block device '%s'", e->name);
        SC_ALLOW(p, what, SYS_pread64, SC_ARG(0, SC_EQ, fd));
        SC_ALLOW(p, what, SYS_pwrite64, SC_ARG(0, SC_EQ, fd));
    }
}

static const struct tender_module block_module = {
    .name = "block",
    .usage = devopt_block_usage,
    .handle_arg = handle_arg,
    .setup = setup,
    .policy = policy,
};

TENDER_MODULE(block_module);
