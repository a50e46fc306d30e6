/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_args.c: libFuzzer harness for the tenders' command line (args.c,
 * device_options.c, and mft.c's matching of options to the manifest). The
 * input is argv, NUL-separated; it runs as a tender's main() does, against
 * a fixed manifest, with host devices faked (no file or tap is opened: the
 * fake block device's size is the number in its path, so the fuzzer picks
 * it). When the options are accepted, every device is attached with a
 * usable block size or MAC, and the memory size is whole MBs within the
 * maximum.
 * Between inputs devopt_reset() forgets the options of the last one.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_mft_props.h"
#include "fuzz_support.h"
#include "module.h"
#include "tender.h"

#define MAX_ARGS 64
#define MAX_MEM_MB 4096ULL

struct tender {
    struct mft *mft;
};

/* The manifest: two of each kind, names in the characters options take. */
static const struct {
    const char *name;
    mft_type_t type;
} devices[] = {
    {"service0", MFT_DEV_NET_BASIC},
    {"net.1", MFT_DEV_NET_BASIC},
    {"storage", MFT_DEV_BLOCK_BASIC},
    {"disk_2-b", MFT_DEV_BLOCK_BASIC},
};
#define NDEVICES (sizeof devices / sizeof devices[0])

static struct mft *mft;

static bool handle_arg(struct tender *t, const char *arg)
{
    return devopt_block(t->mft, "fuzz.spt", arg, 512) ||
           devopt_net(t->mft, "fuzz.spt", arg);
}

static const struct tender_module fuzz_devices = {
    .name = "fuzz-devices",
    .usage = "",
    .handle_arg = handle_arg,
};
TENDER_MODULE(fuzz_devices);

/* ---- Host devices, faked ---- */

static uint64_t number_in(const char *s, uint64_t otherwise)
{
    uint64_t n = 0;
    if (*s == '\0')
        return otherwise;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || n > UINT64_MAX / 10)
            return otherwise;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    return n;
}

int block_attach(const char *path, uint64_t *capacity)
{
    *capacity = number_in(path, 1 << 20);
    return 100;
}

int block_attach_fd(const char *arg, int fd, uint64_t *capacity)
{
    (void)arg;
    *capacity = (uint64_t)fd * 512;
    return fd;
}

int tap_attach(const char *ifname, unsigned *mtu)
{
    *mtu = (unsigned)number_in(ifname, 1500);
    return 101;
}

int tap_attach_fd(const char *arg, int fd, unsigned *mtu)
{
    (void)arg;
    *mtu = 1500;
    return fd;
}

void tap_random_mac(uint8_t mac[6])
{
    static const uint8_t fixed[6] = {0x02, 0, 0, 0, 0, 1};
    memcpy(mac, fixed, 6);
}

static void usage(void)
{
    longjmp(fuzz_jmp, 2);
}

static void version(void)
{
    longjmp(fuzz_jmp, 2);
}

/* ---- The run ---- */

static void reset(void)
{
    devopt_reset();
    if (mft == NULL) {
        mft = calloc(1, MFT_SIZE(NDEVICES + 1));
        if (mft == NULL)
            fuzz_fail("out of memory");
    }
    memset(mft, 0, MFT_SIZE(NDEVICES + 1));
    mft->version = MFT_VERSION;
    mft->entries = NDEVICES + 1;
    mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 0; i < NDEVICES; i++) {
        strcpy(mft->e[i + 1].name, devices[i].name);
        mft->e[i + 1].type = devices[i].type;
    }
}

static void check_attached(uint64_t mem_size)
{
    if (mem_size == 0 || mem_size % (1 << 20) != 0 ||
        mem_size > (MAX_MEM_MB << 20))
        fuzz_fail("memory size %llu accepted", (unsigned long long)mem_size);
    for (unsigned i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];
        if (!e->attached)
            fuzz_fail("'%s' is not attached, yet accepted", e->name);
        if (e->type == MFT_DEV_BLOCK_BASIC) {
            uint64_t bs = e->u.block_basic.block_size;
            uint64_t cap = e->u.block_basic.capacity;
            if (bs < 512 || bs > DEVOPT_MAX_SECTOR_SIZE || (bs & (bs - 1)))
                fuzz_fail("'%s': block size %llu accepted", e->name,
                          (unsigned long long)bs);
            if (cap < bs || cap % bs != 0)
                fuzz_fail("'%s': capacity %llu with %llu-byte blocks "
                          "accepted",
                          e->name, (unsigned long long)cap,
                          (unsigned long long)bs);
        } else {
            const uint8_t *mac = e->u.net_basic.mac;
            static const uint8_t zero[6];
            if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0)
                fuzz_fail("'%s': MAC %02x:%02x:%02x:%02x:%02x:%02x accepted",
                          e->name, mac[0], mac[1], mac[2], mac[3], mac[4],
                          mac[5]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* argv: "solo5-fuzz", then the NUL-separated words of the input. */
    static char *copy;
    static char *argv[MAX_ARGS + 2];
    int argc = 0;

    free(copy);
    copy = malloc(size + 1);
    if (copy == NULL)
        fuzz_fail("out of memory");
    memcpy(copy, data, size);
    copy[size] = '\0';
    argv[argc++] = "solo5-fuzz";
    for (char *p = copy; p <= copy + size && argc <= MAX_ARGS;) {
        argv[argc++] = p;
        p += strlen(p) + 1;
    }
    argv[argc] = NULL;
    reset();

    static int first;
    static struct tender t;
    static uint64_t mem_size;
    t.mft = mft;
    mem_size = 512ULL << 20;
    if (!FUZZ_TRY(first = args_find_unikernel(argc, argv, usage, version)))
        return 0;
    if (first < 1 || first >= argc)
        fuzz_fail("unikernel index %d of %d arguments", first, argc);
    if (FUZZ_TRY(devopt_parse_all(&t, argv, first, MAX_MEM_MB, &mem_size))) {
        if (FUZZ_TRY(devopt_net_macs(mft)) &&
            FUZZ_TRY(mft_check_all_attached(mft, "fuzz.spt")))
            check_attached(mem_size);
    }
    return 0;
}
