/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * net.c: netfront (Xen's io/netif.h protocol), receive by copy (the
 * backend copies frames into pages we grant; the only mode QEMU's backend
 * has), no scatter-gather, no offloads, one event channel for both rings.
 *
 * Every buffer is a page of its own, granted once: RX_BUFS for receiving,
 * all posted on the receive ring from the start and posted again as soon
 * as their frame is copied out; TX_BUFS for sending, each frame copied
 * into a free one. A transmit buffer is free again once its response came.
 */

#include "xen.h"

#define RING_ENTRIES 256U
#define TX_BUFS 64U
#define RX_BUFS 128U
#define DEFAULT_MTU 1500U
#define ETHER_HEADER 14U
#define NETRXF_more_data (1U << 2)
#define NETIF_RSP_OKAY 0

struct netif_tx_request {
    grant_ref_t gref;
    uint16_t offset;
    uint16_t flags;
    uint16_t id;
    uint16_t size;
};

struct netif_tx_response {
    uint16_t id;
    int16_t status;
};

struct netif_rx_request {
    uint16_t id;
    uint16_t pad;
    grant_ref_t gref;
};

struct netif_rx_response {
    uint16_t id;
    uint16_t offset;
    uint16_t flags;
    int16_t status;
};

union netif_tx_entry {
    struct netif_tx_request req;
    struct netif_tx_response rsp;
};

union netif_rx_entry {
    struct netif_rx_request req;
    struct netif_rx_response rsp;
};

struct netif_tx_sring {
    struct sring_header h;
    union netif_tx_entry ring[RING_ENTRIES];
};

struct netif_rx_sring {
    struct sring_header h;
    union netif_rx_entry ring[RING_ENTRIES];
};

_Static_assert(sizeof(struct netif_tx_sring) <= PAGE_SIZE, "tx ring size");
_Static_assert(sizeof(struct netif_rx_sring) <= PAGE_SIZE, "rx ring size");

struct net_dev {
    bool attached;
    struct xenbus_dev d;
    evtchn_port_t port;
    volatile struct netif_tx_sring *tx;
    volatile struct netif_rx_sring *rx;
    uint32_t tx_prod, tx_cons; /* requests made, responses consumed */
    uint32_t rx_prod, rx_cons;
    uint8_t *tx_buf[TX_BUFS];
    grant_ref_t tx_ref[TX_BUFS];
    uint16_t tx_free[TX_BUFS]; /* a stack of free buffer ids */
    unsigned tx_nfree;
    uint8_t *rx_buf[RX_BUFS];
    grant_ref_t rx_ref[RX_BUFS];
};

static struct net_dev nets[MFT_MAX_ENTRIES];

static void rx_post(struct net_dev *n, uint16_t id)
{
    volatile struct netif_rx_request *r =
        &n->rx->ring[n->rx_prod % RING_ENTRIES].req;

    r->id = id;
    r->gref = n->rx_ref[id];
    n->rx_prod++;
}

/* Publishes the requests made on (h) up to (prod) and notifies the
 * backend. Always: QEMU's backend does not keep req_event up to date, so
 * a notification it seems not to want can be the one it needs. */
static void push(struct net_dev *n, volatile struct sring_header *h,
                 uint32_t prod)
{
    /* The requests before the index that publishes them. */
    compiler_barrier();
    h->req_prod = prod;
    memory_barrier();
    evtchn_send(n->port);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++, s++) {
            char c = *s;
            unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                         : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                : 16U;
            if (d > 15)
                return false;
            v = v * 16 + d;
        }
        mac[i] = (uint8_t)v;
        if (*s != (i < 5 ? ':' : '\0'))
            return false;
        s++;
    }
    return true;
}

void net_attach(uint64_t id, struct mft_entry *e, solo5_handle_t handle)
{
    struct net_dev *n = &nets[handle];
    char mac[24];
    uint64_t mtu, seen;

    xenbus_open(&n->d, "vif", id);
    if (!(xenbus_read(n->d.fe, "mac", mac, sizeof mac) ||
          xenbus_read(n->d.be, "mac", mac, sizeof mac)) ||
        !parse_mac(mac, e->u.net_basic.mac))
        bindings_panic("%s: no usable MAC address in xenstore", n->d.fe);
    if (!xenbus_read_be_u64(&n->d, "mtu", &mtu) || mtu < 68 ||
        mtu > PAGE_SIZE - ETHER_HEADER)
        mtu = DEFAULT_MTU;

    n->tx = mem_alloc_pages(PAGE_SIZE);
    n->rx = mem_alloc_pages(PAGE_SIZE);
    n->tx->h.req_event = n->tx->h.rsp_event = 1;
    n->rx->h.req_event = n->rx->h.rsp_event = 1;
    uint16_t be = n->d.be_domid;
    grant_ref_t tx_ref = gnttab_grant(be, (const void *)n->tx, false);
    grant_ref_t rx_ref = gnttab_grant(be, (const void *)n->rx, false);
    for (uint16_t i = 0; i < TX_BUFS; i++) {
        n->tx_buf[i] = mem_alloc_pages(PAGE_SIZE);
        n->tx_ref[i] = gnttab_grant(be, n->tx_buf[i], true);
        n->tx_free[n->tx_nfree++] = i;
    }
    for (uint16_t i = 0; i < RX_BUFS; i++) {
        n->rx_buf[i] = mem_alloc_pages(PAGE_SIZE);
        n->rx_ref[i] = gnttab_grant(be, n->rx_buf[i], false);
        rx_post(n, i);
    }
    n->rx->h.req_prod = n->rx_prod;
    n->port = evtchn_alloc(be);

    if (!xenbus_write(&n->d, "tx-ring-ref", "%u", (unsigned)tx_ref) ||
        !xenbus_write(&n->d, "rx-ring-ref", "%u", (unsigned)rx_ref) ||
        !xenbus_write(&n->d, "event-channel", "%u", (unsigned)n->port) ||
        !xenbus_write(&n->d, "request-rx-copy", "%u", 1U) ||
        !xenbus_write(&n->d, "feature-rx-notify", "%u", 1U) ||
        !xenbus_set_state(&n->d, XENBUS_CONNECTED))
        bindings_panic("%s: cannot write our side to xenstore", n->d.fe);
    if (!xenbus_wait_state(&n->d, XENBUS_CONNECTED, BACKEND_TIMEOUT_NS, &seen))
        bindings_panic("%s: backend %s did not connect (state %llu)", n->d.fe,
                       n->d.be, (unsigned long long)seen);

    /* The backend may have queued frames while it had no buffers of ours
     * to see: an event makes it look at the receive ring again. */
    evtchn_send(n->port);

    e->u.net_basic.mtu = mtu;
    e->attached = true;
    n->attached = true;
}

/* Frees the transmit buffers whose frames the backend has sent. */
static void tx_reclaim(struct net_dev *n)
{
    uint32_t prod = n->tx->h.rsp_prod;

    /* The index before the responses it covers. */
    compiler_barrier();
    for (; n->tx_cons != prod; n->tx_cons++) {
        uint16_t id = n->tx->ring[n->tx_cons % RING_ENTRIES].rsp.id;
        if (id < TX_BUFS && n->tx_nfree < TX_BUFS)
            n->tx_free[n->tx_nfree++] = id;
    }
}

static bool tx_has_free(void *arg)
{
    struct net_dev *n = arg;

    tx_reclaim(n);
    return n->tx_nfree > 0 || ring_has_responses(&n->tx->h, n->tx_cons);
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    if (buf == NULL || mft_net_for_write(handle, size) == NULL)
        return SOLO5_R_EINVAL;
    struct net_dev *n = &nets[handle];

    tx_reclaim(n);
    if (n->tx_nfree == 0 && !xen_wait(tx_has_free, n, BACKEND_TIMEOUT_NS))
        return SOLO5_R_EUNSPEC;
    tx_reclaim(n);
    if (n->tx_nfree == 0)
        return SOLO5_R_EUNSPEC;

    uint16_t id = n->tx_free[--n->tx_nfree];
    memcpy(n->tx_buf[id], buf, size);
    volatile struct netif_tx_request *r =
        &n->tx->ring[n->tx_prod % RING_ENTRIES].req;
    r->gref = n->tx_ref[id];
    r->offset = 0;
    r->flags = 0;
    r->id = id;
    r->size = (uint16_t)size;
    n->tx_prod++;
    push(n, &n->tx->h, n->tx_prod);
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    if (buf == NULL || read_size == NULL ||
        mft_net_for_read(handle, size) == NULL)
        return SOLO5_R_EINVAL;
    struct net_dev *n = &nets[handle];

    for (;;) {
        if (!ring_has_responses(&n->rx->h, n->rx_cons))
            return SOLO5_R_AGAIN;
        /* The index before the response it covers. */
        compiler_barrier();
        volatile struct netif_rx_response *r =
            &n->rx->ring[n->rx_cons % RING_ENTRIES].rsp;
        uint16_t id = r->id;
        int16_t status = r->status;
        uint16_t offset = r->offset;
        uint16_t flags = r->flags;
        n->rx_cons++;
        if (id >= RX_BUFS)
            bindings_panic("%s: backend returned rx buffer %u", n->d.fe,
                           (unsigned)id);
        bool good = status > NETIF_RSP_OKAY && !(flags & NETRXF_more_data) &&
                    (size_t)status <= size &&
                    (size_t)offset + (size_t)status <= PAGE_SIZE;
        if (good)
            memcpy(buf, n->rx_buf[id] + offset, (size_t)status);
        rx_post(n, id);
        push(n, &n->rx->h, n->rx_prod);
        if (good) {
            *read_size = (size_t)status;
            return SOLO5_R_OK;
        }
        /* An error or a frame in pieces (we never asked for those):
         * dropped; look at the next one. */
    }
}

solo5_handle_set_t net_ready(void)
{
    solo5_handle_set_t ready = 0;

    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++) {
        struct net_dev *n = &nets[i];
        if (n->attached && ring_has_responses(&n->rx->h, n->rx_cons))
            ready |= (solo5_handle_set_t)1 << i;
        if (n->attached)
            (void)evtchn_take(n->port);
    }
    return ready;
}

static bool tx_done(void *arg)
{
    struct net_dev *n = arg;

    tx_reclaim(n);
    if (n->tx_nfree == TX_BUFS)
        return true;
    /* Asks for an event at the next response. */
    (void)ring_has_responses(&n->tx->h, n->tx_cons);
    tx_reclaim(n);
    return n->tx_nfree == TX_BUFS;
}

/* At exit, the backend gets this long to send what we gave it and to
 * close: short, as the unikernel is done, yet far beyond its pace. */
#define CLOSE_TIMEOUT_NS (5ULL * 1000000000ULL)

void net_close(void)
{
    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++) {
        struct net_dev *n = &nets[i];
        /* Xen's "Unknown" state until the backend's is read. */
        uint64_t seen = 0;
        if (!n->attached)
            continue;
        n->attached = false;
        if (!xen_wait(tx_done, n, CLOSE_TIMEOUT_NS))
            log_printf(LOG_ERROR, "Solo5: %s: frames not sent at exit\n",
                       n->d.fe);
        /* A backend that sees us close stops using our pages before the
         * domain goes away. */
        if (!xenbus_set_state(&n->d, XENBUS_CLOSING) ||
            !xenbus_wait_state(&n->d, XENBUS_CLOSING, CLOSE_TIMEOUT_NS,
                               &seen) ||
            !xenbus_set_state(&n->d, XENBUS_CLOSED) ||
            !xenbus_wait_state(&n->d, XENBUS_CLOSED, CLOSE_TIMEOUT_NS, &seen))
            log_printf(LOG_ERROR,
                       "Solo5: %s: backend did not close (state %llu)\n",
                       n->d.fe, (unsigned long long)seen);
    }
}
