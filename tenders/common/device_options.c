/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * device_options.c: the device options both tenders take, --block:,
 * --block-sector-size:, --net: and --net-mac:, parsed and attached the same
 * way; the tender's modules add what differs (how I/O reaches the guest).
 */

#include <string.h>

#include "module.h"
#include "tender.h"

const char devopt_block_usage[] =
    "  --block:NAME=PATH   attach file or block device PATH as block device "
    "NAME\n"
    "  --block:NAME=@FD    attach the file or block device open read-write "
    "as\n"
    "                      descriptor FD\n"
    "  --block-sector-size:NAME=N\n"
    "                      sector (block) size of NAME in bytes: a power of "
    "two,\n"
    "                      512 to 32768 (default: 512); the size of NAME must "
    "be\n"
    "                      a multiple of it\n";

const char devopt_net_usage[] =
    "  --net:NAME=TAP      attach existing tap interface TAP as network "
    "device NAME\n"
    "  --net:NAME=@FD      attach the tap device open as descriptor FD\n"
    "  --net-mac:NAME=MAC  MAC address of NAME (default: random, locally "
    "administered)\n";

/* Entries whose sector size an option chose (by manifest index). */
static bool sector_size_given[MFT_MAX_ENTRIES];

/* Dies unless the attached block device (e) holds whole blocks. */
static void check_block_fit(const struct mft_entry *e, const char *arg)
{
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t cap = e->u.block_basic.capacity;

    if (cap < bs)
        die("%s: block device '%s' is %llu bytes, less than one %llu-byte "
            "block",
            arg, e->name, (unsigned long long)cap, (unsigned long long)bs);
    if (cap % bs != 0)
        die("%s: block device '%s' is %llu bytes, not a multiple of its "
            "%llu-byte block size",
            arg, e->name, (unsigned long long)cap, (unsigned long long)bs);
}

/* --block-sector-size:NAME=N, in any order relative to --block:NAME=. */
static void sector_size(struct mft *mft, const char *file, const char *arg,
                        const char *name, const char *value)
{
    uint64_t n = 0;

    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            die("%s: '%s' is not a whole number of bytes", arg, value);
        n = n * 10 + (uint64_t)(*p - '0');
        if (n > DEVOPT_MAX_SECTOR_SIZE)
            break;
    }
    if (n < 512 || n > DEVOPT_MAX_SECTOR_SIZE || (n & (n - 1)) != 0)
        die("%s: the sector size must be a power of two from 512 to %d "
            "bytes",
            arg, DEVOPT_MAX_SECTOR_SIZE);
    struct mft_entry *e = mft_lookup(mft, name);
    if (e == NULL || e->type != MFT_DEV_BLOCK_BASIC)
        die("%s: %s declares no block device '%s'", arg, file, name);
    unsigned i = (unsigned)(e - mft->e);
    if (sector_size_given[i])
        die("%s: sector size of '%s' given twice", arg, name);
    sector_size_given[i] = true;
    e->u.block_basic.block_size = (uint16_t)n;
    if (e->attached)
        check_block_fit(e, arg);
}

bool devopt_block(struct mft *mft, const char *file, const char *arg,
                  unsigned block_size)
{
    char name[MFT_NAME_SIZE];
    const char *value;

    if (args_split_device(arg, "--block-sector-size:", name, &value)) {
        sector_size(mft, file, arg, name, value);
        return true;
    }
    if (!args_split_device(arg, "--block:", name, &value))
        return false;
    struct mft_entry *e = mft_claim(mft, name, MFT_DEV_BLOCK_BASIC, arg, file);
    uint64_t capacity;
    if (value[0] == '@')
        e->b.hostfd =
            block_attach_fd(arg, args_parse_fd(arg, value + 1), &capacity);
    else
        e->b.hostfd = block_attach(value, &capacity);
    e->u.block_basic.capacity = capacity;
    if (!sector_size_given[e - mft->e])
        e->u.block_basic.block_size = (uint16_t)block_size;
    e->attached = true;
    check_block_fit(e, arg);
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
        if (value[0] == '@')
            e->b.hostfd =
                tap_attach_fd(arg, args_parse_fd(arg, value + 1), &mtu);
        else
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

void devopt_reset(void)
{
    memset(sector_size_given, 0, sizeof sector_size_given);
    memset(macs, 0, sizeof macs);
    nmacs = 0;
}
