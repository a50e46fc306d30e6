/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * devices.c: the manifest's devices, found in xenstore. The domain's
 * virtual block devices are the entries of device/vbd, its network
 * interfaces those of device/vif, named by number; taken in ascending
 * numeric order, they are matched to the manifest's block (network)
 * entries in the manifest's order (docs/xen.md). Also what the frontends
 * share: the xenbus state handshake and a look at a ring's responses.
 */

#include "xen.h"

extern const struct mft1_note __solo5_mft1_note;

static struct mft *mft;

bool xenbus_read(const char *dir, const char *node, char *buf, size_t size)
{
    char path[256];

    fmt_snprintf(path, sizeof path, "%s/%s", dir, node);
    return xs_read(path, buf, size);
}

bool xenbus_read_be_u64(const struct xenbus_dev *d, const char *node,
                        uint64_t *value)
{
    char path[256];

    fmt_snprintf(path, sizeof path, "%s/%s", d->be, node);
    return xs_read_u64(path, value);
}

bool xenbus_write(const struct xenbus_dev *d, const char *node, const char *fmt,
                  ...)
{
    char path[128], value[64];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    fmt_snprintf(path, sizeof path, "%s/%s", d->fe, node);
    return xs_write(path, value);
}

bool xenbus_set_state(const struct xenbus_dev *d, enum xenbus_state state)
{
    return xenbus_write(d, "state", "%u", (unsigned)state);
}

struct state_wait {
    const struct xenbus_dev *d;
    uint64_t want, seen;
};

static bool state_reached(void *arg)
{
    struct state_wait *w = arg;

    return xenbus_read_be_u64(w->d, "state", &w->seen) && w->seen >= w->want;
}

bool xenbus_wait_state(const struct xenbus_dev *d, enum xenbus_state state,
                       uint64_t timeout_ns, uint64_t *seen)
{
    struct state_wait w = {.d = d, .want = state};
    bool ok = xen_wait(state_reached, &w, timeout_ns);

    *seen = w.seen;
    return ok;
}

void xenbus_open(struct xenbus_dev *d, const char *kind, uint64_t id)
{
    uint64_t domid, seen;
    char path[96];

    fmt_snprintf(d->fe, sizeof d->fe, "device/%s/%llu", kind,
                 (unsigned long long)id);
    if (!xenbus_read(d->fe, "backend", d->be, sizeof d->be))
        bindings_panic("%s: no backend in xenstore", d->fe);
    fmt_snprintf(path, sizeof path, "%s/backend-id", d->fe);
    if (!xs_read_u64(path, &domid) || domid > 0xffff)
        bindings_panic("%s: no usable backend-id in xenstore", d->fe);
    d->be_domid = (uint16_t)domid;
    if (!xenbus_wait_state(d, XENBUS_INIT_WAIT, BACKEND_TIMEOUT_NS, &seen))
        bindings_panic("%s: backend %s not ready (state %llu)", d->fe, d->be,
                       (unsigned long long)seen);
}

bool ring_has_responses(volatile struct sring_header *ring, uint32_t rsp_cons)
{
    if (ring->rsp_prod != rsp_cons)
        return true;
    ring->rsp_event = rsp_cons + 1;
    memory_barrier();
    return ring->rsp_prod != rsp_cons;
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

/* Matches the numeric children of device/(kind), ascending, to the
 * manifest's entries of (type), in order. */
static void attach(const char *kind, mft_type_t type,
                   void (*attach_one)(uint64_t, struct mft_entry *,
                                      solo5_handle_t))
{
    static uint64_t ids[MFT_MAX_ENTRIES];
    char dir[16];

    fmt_snprintf(dir, sizeof dir, "device/%s", kind);
    unsigned n = list_ids(dir, ids, MFT_MAX_ENTRIES);
    unsigned next = 0;

    for (unsigned i = 1; i < mft->entries && next < n; i++) {
        struct mft_entry *e = &mft->e[i];
        if (e->type != type)
            continue;
        attach_one(ids[next], e, i);
        log_printf(LOG_DEBUG, "Solo5: %s/%llu: '%s'\n", dir,
                   (unsigned long long)ids[next], e->name);
        next++;
    }
    if (next < n)
        log_printf(LOG_INFO,
                   "Solo5: %u device(s) in %s not in the manifest, "
                   "ignored\n",
                   n - next, dir);
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
    attach("vbd", MFT_DEV_BLOCK_BASIC, block_attach);
    attach("vif", MFT_DEV_NET_BASIC, net_attach);

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

void devices_close(void)
{
    net_close();
}
