/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * devices.c: the manifest's devices, found in xenstore. The domain's
 * virtual block devices are the entries of device/vbd, named by number;
 * taken in ascending numeric order, they are matched to the manifest's
 * block entries in the manifest's order (docs/xen.md). Also the xenbus
 * state handshake the frontends share. Network frontends are not there
 * yet: a manifest that names a network device stops the unikernel at
 * start of day.
 */

#include "xen.h"

extern const struct mft1_note __solo5_mft1_note;

static struct mft *mft;

bool xenbus_set_state(const char *fe, enum xenbus_state state)
{
    char path[96], value[4];

    fmt_snprintf(path, sizeof path, "%s/state", fe);
    fmt_snprintf(value, sizeof value, "%u", (unsigned)state);
    return xs_write(path, value);
}

struct state_wait {
    char path[288];
    uint64_t want, seen;
};

static bool state_reached(void *arg)
{
    struct state_wait *w = arg;

    return xs_read_u64(w->path, &w->seen) && w->seen >= w->want;
}

bool xenbus_wait_state(const char *be, enum xenbus_state state, uint64_t *seen)
{
    struct state_wait w = {.want = state};

    fmt_snprintf(w.path, sizeof w.path, "%s/state", be);
    bool ok = xen_wait(state_reached, &w, BACKEND_TIMEOUT_NS);
    *seen = w.seen;
    return ok;
}

/* Up to (max) numeric children of (dir), ascending, into (ids). */
static unsigned list_ids(const char *dir, uint64_t *ids, unsigned max)
{
    static char names[4096];
    int len = xs_directory(dir, names, sizeof names);
    unsigned n = 0;

    for (int off = 0; len > 0 && off < len && n < max;) {
        const char *name = names + off;
        off += (int)strlen(name) + 1;
        uint64_t v = 0;
        bool numeric = *name != '\0';
        for (const char *p = name; *p != '\0' && numeric; p++) {
            numeric = *p >= '0' && *p <= '9' && v < UINT32_MAX;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (!numeric)
            continue;
        /* Insertion sort: a few dozen entries at most. */
        unsigned i = n++;
        for (; i > 0 && ids[i - 1] > v; i--)
            ids[i] = ids[i - 1];
        ids[i] = v;
    }
    return n;
}

static void attach_blocks(void)
{
    static uint64_t ids[MFT_MAX_ENTRIES];
    unsigned n = list_ids("device/vbd", ids, MFT_MAX_ENTRIES);
    unsigned next = 0;

    for (unsigned i = 1; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC)
            continue;
        if (next >= n)
            break;
        char id[24];
        fmt_snprintf(id, sizeof id, "%llu", (unsigned long long)ids[next++]);
        block_attach(id, e, i);
        log_printf(LOG_DEBUG, "Solo5: vbd %s: '%s', %llu bytes\n", id, e->name,
                   (unsigned long long)e->u.block_basic.capacity);
    }
    if (next < n)
        log_printf(LOG_INFO, "Solo5: %u vbd(s) not in the manifest, ignored\n",
                   n - next);
}

void devices_init(void)
{
    mft = (struct mft *)(uintptr_t)&__solo5_mft1_note.m;
    mft_set(mft);
    if (mft->entries == 0 || mft->e[0].type != MFT_RESERVED_FIRST)
        bindings_panic("invalid manifest: the first entry is not reserved");
    mft->e[0].attached = true;
    if (mft->entries == 1)
        return;

    xenstore_init();
    gnttab_init();
    attach_blocks();

    bool missing = false;
    for (unsigned i = 1; i < mft->entries; i++) {
        if (!mft->e[i].attached) {
            log_printf(
                LOG_ERROR, "Solo5: no xen %s device for manifest entry '%s'\n",
                mft->e[i].type == MFT_DEV_NET_BASIC ? "network" : "block",
                mft->e[i].name);
            missing = true;
        }
    }
    if (missing)
        bindings_panic("not every device in the manifest is attached");
}

solo5_handle_set_t net_ready(void)
{
    return 0;
}

void devices_close(void)
{
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    (void)handle;
    (void)buf;
    (void)size;
    return SOLO5_R_EINVAL;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    (void)handle;
    (void)buf;
    (void)size;
    (void)read_size;
    return SOLO5_R_EINVAL;
}
