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

/* MACs given before (or without) the matching --net: option. */
static struct {
    char name[MFT_NAME_SIZE];
    uint8_t mac[6];
} macs[MFT_MAX_ENTRIES];
static unsigned nmacs;

static bool handle_arg(struct tender *t, const char *arg)
{
    char name[MFT_NAME_SIZE];
    const char *value;

    if (args_split_device(arg, "--net-mac:", name, &value)) {
        struct mft_entry *e = mft_lookup(t->mft, name);
        if (e == NULL || e->type != MFT_DEV_NET_BASIC)
            die("%s: %s declares no network device '%s'", arg, t->file, name);
        for (unsigned i = 0; i < nmacs; i++) {
            if (strcmp(macs[i].name, name) == 0)
                die("%s: MAC address of '%s' given twice", arg, name);
        }
        args_parse_mac(arg, value, macs[nmacs].mac);
        memcpy(macs[nmacs].name, name, sizeof name);
        nmacs++;
        return true;
    }
    if (args_split_device(arg, "--net:", name, &value)) {
        struct mft_entry *e =
            mft_claim(t->mft, name, MFT_DEV_NET_BASIC, arg, t->file);
        unsigned mtu;
        e->b.hostfd = tap_attach(value, &mtu);
        e->u.net_basic.mtu = (uint16_t)(mtu > 65535 ? 65535 : mtu);
        e->attached = true;
        return true;
    }
    return false;
}

static void setup(struct tender *t)
{
    for (unsigned i = 0; i < nmacs; i++) {
        struct mft_entry *e = mft_lookup(t->mft, macs[i].name);
        if (!e->attached)
            die("--net-mac:%s given, but no --net:%s=TAP", macs[i].name,
                macs[i].name);
        memcpy(e->u.net_basic.mac, macs[i].mac, 6);
    }

    for (unsigned i = 0; i < t->mft->entries; i++) {
        struct mft_entry *e = &t->mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        static const uint8_t no_mac[6];
        if (memcmp(e->u.net_basic.mac, no_mac, 6) == 0)
            tap_random_mac(e->u.net_basic.mac);

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
    .usage = "  --net:NAME=TAP      attach existing tap interface TAP as "
             "network device NAME\n"
             "  --net-mac:NAME=MAC  MAC address of NAME (default: random, "
             "locally administered)\n",
    .handle_arg = handle_arg,
    .setup = setup,
    .policy = policy,
};

TENDER_MODULE(net_module);
