/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_module_net.c: --net:NAME=TAP attaches an existing tap interface,
 * --net-mac:NAME=MAC sets its MAC address (random by default).
 *
 * Each device's descriptor joins the poll set, reported as its handle
 * (manifest index); the net hypercalls move one frame each; seccomp allows
 * read and write on the devices' descriptors only.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvt.h"
#include "solo5.h"

static bool handle_arg(struct tender *t, const char *arg)
{
    return devopt_net(t->mft, t->file, arg);
}

static const struct mft_entry *device(const struct tender *t, uint64_t handle)
{
    if (handle >= t->mft->entries)
        return NULL;
    const struct mft_entry *e = &t->mft->e[handle];
    if (e->type != MFT_DEV_NET_BASIC || !e->attached)
        return NULL;
    return e;
}

static void hc_net_write(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_net_write *w =
        hvt_checked_gpa(t, gpa, sizeof *w, "net write");
    uint64_t len = w->len;
    const struct mft_entry *e = device(t, w->handle);

    if (e == NULL || len > (uint64_t)e->u.net_basic.mtu + SOLO5_NET_HLEN) {
        w->ret = SOLO5_R_EINVAL;
        return;
    }
    const void *buf = hvt_checked_gpa(t, w->data, len, "net write data");
    ssize_t n;
    do {
        n = write(e->b.hostfd, buf, len);
    } while (n == -1 && errno == EINTR);
    /* A full host queue drops the frame, as a real wire would. */
    if (n == -1 && errno == EAGAIN)
        w->ret = SOLO5_R_OK;
    else
        w->ret = n == (ssize_t)len ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

static void hc_net_read(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_net_read *r = hvt_checked_gpa(t, gpa, sizeof *r, "net read");
    uint64_t len = r->len;
    const struct mft_entry *e = device(t, r->handle);

    if (e == NULL) {
        r->ret = SOLO5_R_EINVAL;
        return;
    }
    void *buf = hvt_checked_gpa(t, r->data, len, "net read data");
    ssize_t n;
    do {
        n = read(e->b.hostfd, buf, len);
    } while (n == -1 && errno == EINTR);
    if (n == 0 || (n == -1 && errno == EAGAIN)) {
        r->ret = SOLO5_R_AGAIN;
    } else if (n < 0) {
        r->ret = SOLO5_R_EUNSPEC;
    } else {
        r->len = (size_t)n;
        r->ret = SOLO5_R_OK;
    }
}

static void setup(struct tender *t)
{
    bool any = false;

    devopt_net_macs(t->mft);

    for (unsigned i = 0; i < t->mft->entries; i++) {
        struct mft_entry *e = &t->mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        any = true;
        hvt_core_add_pollfd(t, e->b.hostfd, i);
    }
    if (any) {
        hvt_core_register_hypercall(t, HVT_HYPERCALL_NET_WRITE, hc_net_write);
        hvt_core_register_hypercall(t, HVT_HYPERCALL_NET_READ, hc_net_read);
    }
}

static void policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    for (unsigned i = 0; i < in->mft->entries; i++) {
        const struct mft_entry *e = &in->mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        uint64_t fd = (uint64_t)e->b.hostfd;
        char what[SC_WHAT_SIZE];
        snprintf(what, sizeof what, "network device '%s'", e->name);
        SC_ALLOW(p, what, SYS_read, SC_ARG(0, SC_EQ, fd));
        SC_ALLOW(p, what, SYS_write, SC_ARG(0, SC_EQ, fd));
    }
}

static const struct tender_module net_module = {
    .name = "net",
    .usage = devopt_net_usage,
    .handle_arg = handle_arg,
    .setup = setup,
    .policy = policy,
};

TENDER_MODULE(net_module);
