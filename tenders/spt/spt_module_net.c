/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_module_net.c: --net:NAME=TAP attaches an existing tap interface,
 * --net-mac:NAME=MAC sets its MAC address (random by default).
 *
 * Each device's descriptor joins the epoll set that solo5_yield() waits on,
 * tagged with its handle (manifest index); seccomp allows read and write on
 * it and nothing else.
 */

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "spt.h"

static bool handle_arg(struct tender *t, const char *arg)
{
    return devopt_net(t->mft, t->file, arg);
}

static void setup(struct tender *t)
{
    devopt_net_macs(t->mft);

    for (unsigned i = 0; i < t->mft->entries; i++) {
        struct mft_entry *e = &t->mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;

        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i};
        if (epoll_ctl(t->epollfd, EPOLL_CTL_ADD, e->b.hostfd, &ev) == -1)
            die_errno("network device '%s': cannot add to epoll set", e->name);
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
