/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * device_options.c: the device options both tenders take, --block:,
 * --net: and --net-mac:, parsed and attached the same way; the tender's
 * modules add what differs (block size, how I/O reaches the guest).
 */

#include <string.h>

#include "module.h"
#include "tender.h"

bool devopt_block(struct mft *mft, const char *file, const char *arg,
                  unsigned block_size)
{
    char name[MFT_NAME_SIZE];
    const char *path;

    if (!args_split_device(arg, "--block:", name, &path))
        return false;
    struct mft_entry *e = mft_claim(mft, name, MFT_DEV_BLOCK_BASIC, arg, file);
    uint64_t capacity;
    e->b.hostfd = block_attach(path, block_size, &capacity);
    e->u.block_basic.capacity = capacity;
    e->u.block_basic.block_size = block_size;
    e->attached = true;
    return true;
}

/* MACs given before (or without) the matching --net: option. */
static struct {
    char name[MFT_NAME_SIZE];
    uint8_t mac[6];
} macs[MFT_MAX_ENTRIES];
static unsigned nmacs;

bool devopt_net(struct mft *mft, const char *file, const char *arg)
{
    char name[MFT_NAME_SIZE];
    const char *value;

    if (args_split_device(arg, "--net-mac:", name, &value)) {
        struct mft_entry *e = mft_lookup(mft, name);
        if (e == NULL || e->type != MFT_DEV_NET_BASIC)
            die("%s: %s declares no network device '%s'", arg, file, name);
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
            mft_claim(mft, name, MFT_DEV_NET_BASIC, arg, file);
        unsigned mtu;
        e->b.hostfd = tap_attach(value, &mtu);
        e->u.net_basic.mtu = (uint16_t)(mtu > 65535 ? 65535 : mtu);
        e->attached = true;
        return true;
    }
    return false;
}

void devopt_net_macs(struct mft *mft)
{
    for (unsigned i = 0; i < nmacs; i++) {
        struct mft_entry *e = mft_lookup(mft, macs[i].name);
        if (!e->attached)
            die("--net-mac:%s given, but no --net:%s=TAP", macs[i].name,
                macs[i].name);
        memcpy(e->u.net_basic.mac, macs[i].mac, 6);
    }
    for (unsigned i = 0; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        static const uint8_t no_mac[6];
        if (e->type == MFT_DEV_NET_BASIC && e->attached &&
            memcmp(e->u.net_basic.mac, no_mac, 6) == 0)
            tap_random_mac(e->u.net_basic.mac);
    }
}

void devopt_parse_all(struct tender *t, char **argv, int first,
                      uint64_t max_mem_mb, uint64_t *mem_size)
{
    for (int i = 1; i < first; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            break;
        if (strncmp(arg, "--mem=", 6) == 0) {
            *mem_size = args_parse_mem(arg, arg + 6, max_mem_mb);
            continue;
        }
        bool taken = false;
        FOR_EACH_TENDER_MODULE (m) {
            if ((*m)->handle_arg != NULL && (*m)->handle_arg(t, arg)) {
                taken = true;
                break;
            }
        }
        if (!taken)
            die("unknown option %s (see --help)", arg);
    }
}
