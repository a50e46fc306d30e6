/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block.c: blkfront (Xen's io/blkif.h protocol). One shared ring page and
 * one bounce page per device, both granted to the backend for good. One
 * request at a time, synchronous: the caller's block is copied through
 * the bounce page (the backend can only reach granted pages), the request
 * carries one segment, and we wait for its response.
 *
 * Sector numbers and segment bounds on the ring are in 512-byte units
 * whatever the device's sector size; "sectors" in xenstore too.
 */

#include "xen.h"

#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_RSP_OKAY 0
#define BLKIF_SECTOR 512U
#define BLKIF_MAX_SEGMENTS 11

struct blkif_segment {
    grant_ref_t gref;
    uint8_t first_sect, last_sect;
    uint16_t pad;
};

struct blkif_request {
    uint8_t operation;
    uint8_t nr_segments;
    uint16_t handle;
    uint32_t pad;
    uint64_t id;
    uint64_t sector_number;
    struct blkif_segment seg[BLKIF_MAX_SEGMENTS];
};

struct blkif_response {
    uint64_t id;
    uint8_t operation;
    uint8_t pad;
    int16_t status;
    uint32_t pad2;
};

union blkif_entry {
    struct blkif_request req;
    struct blkif_response rsp;
};

struct blkif_sring {
    struct sring_header h;
    union blkif_entry ring[];
};

#define RING_ENTRIES 32U
_Static_assert(sizeof(union blkif_entry) == 112, "blkif entry layout");
_Static_assert(64 + RING_ENTRIES * 112 <= PAGE_SIZE &&
                   64 + 2 * RING_ENTRIES * 112 > PAGE_SIZE,
               "blkif ring size");

struct blk_dev {
    volatile struct blkif_sring *ring;
    uint8_t *bounce;
    grant_ref_t bounce_ref;
    evtchn_port_t port;
    uint16_t vdev;
    uint32_t req_prod; /* our copy of ring->req_prod */
    uint32_t rsp_cons; /* responses consumed */
    uint64_t next_id;
};

static struct blk_dev blks[MFT_MAX_ENTRIES];

void block_attach(uint64_t id, struct mft_entry *e, solo5_handle_t handle)
{
    struct blk_dev *b = &blks[handle];
    struct xenbus_dev d;
    uint64_t sectors, sector_size, seen;

    xenbus_open(&d, "vbd", id);
    b->vdev = (uint16_t)id;
    b->ring = mem_alloc_pages(PAGE_SIZE);
    b->ring->h.req_event = 1;
    b->ring->h.rsp_event = 1;
    b->bounce = mem_alloc_pages(PAGE_SIZE);
    grant_ref_t ring_ref =
        gnttab_grant(d.be_domid, (const void *)b->ring, false);
    b->bounce_ref = gnttab_grant(d.be_domid, b->bounce, false);
    b->port = evtchn_alloc(d.be_domid);

    if (!xenbus_write(&d, "ring-ref", "%u", (unsigned)ring_ref) ||
        !xenbus_write(&d, "event-channel", "%u", (unsigned)b->port) ||
        !xenbus_write(&d, "protocol", "%s", "x86_64-abi") ||
        !xenbus_set_state(&d, XENBUS_INITIALISED))
        bindings_panic("%s: cannot write our side to xenstore", d.fe);
    if (!xenbus_wait_state(&d, XENBUS_CONNECTED, BACKEND_TIMEOUT_NS, &seen))
        bindings_panic("%s: backend %s did not connect (state %llu)", d.fe,
                       d.be, (unsigned long long)seen);

    if (!xenbus_read_be_u64(&d, "sectors", &sectors))
        bindings_panic("%s: backend gives no size", d.fe);
    if (!xenbus_read_be_u64(&d, "sector-size", &sector_size))
        sector_size = BLKIF_SECTOR;
    if (sector_size < BLKIF_SECTOR || sector_size > PAGE_SIZE ||
        (sector_size & (sector_size - 1)) != 0)
        bindings_panic("%s: unsupported sector size %llu", d.fe,
                       (unsigned long long)sector_size);
    if (!xenbus_set_state(&d, XENBUS_CONNECTED))
        bindings_panic("%s: cannot write our state to xenstore", d.fe);

    e->u.block_basic.capacity = sectors * BLKIF_SECTOR;
    e->u.block_basic.block_size = sector_size;
    e->attached = true;
}

static bool has_response(void *arg)
{
    struct blk_dev *b = arg;

    return ring_has_responses(&b->ring->h, b->rsp_cons);
}

static solo5_result_t do_request(struct blk_dev *b, uint8_t op,
                                 solo5_off_t offset, size_t size)
{
    volatile struct blkif_request *r =
        &b->ring->ring[b->req_prod % RING_ENTRIES].req;
    uint64_t id = ++b->next_id;

    r->operation = op;
    r->nr_segments = 1;
    r->handle = b->vdev;
    r->id = id;
    r->sector_number = offset / BLKIF_SECTOR;
    r->seg[0].gref = b->bounce_ref;
    r->seg[0].first_sect = 0;
    r->seg[0].last_sect = (uint8_t)(size / BLKIF_SECTOR - 1);
    b->req_prod++;
    /* The request before the index that publishes it. */
    compiler_barrier();
    b->ring->h.req_prod = b->req_prod;
    memory_barrier();
    evtchn_send(b->port);

    if (!xen_wait(has_response, b, BACKEND_TIMEOUT_NS)) {
        log_printf(LOG_ERROR, "Solo5: vbd %u: no response to a request\n",
                   (unsigned)b->vdev);
        return SOLO5_R_EUNSPEC;
    }
    /* The index before the response it covers. */
    compiler_barrier();
    volatile struct blkif_response *rsp =
        &b->ring->ring[b->rsp_cons % RING_ENTRIES].rsp;
    bool ok = rsp->id == id && rsp->status == BLKIF_RSP_OKAY;
    b->rsp_cons++;
    (void)evtchn_take(b->port);
    return ok ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;
    struct blk_dev *b = &blks[handle];
    memcpy(b->bounce, buf, size);
    return do_request(b, BLKIF_OP_WRITE, offset, size);
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;
    struct blk_dev *b = &blks[handle];
    solo5_result_t rc = do_request(b, BLKIF_OP_READ, offset, size);
    if (rc == SOLO5_R_OK)
        memcpy(buf, b->bounce, size);
    return rc;
}
