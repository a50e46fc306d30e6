/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * block.c: legacy virtio-blk. One request at a time, synchronous: a chain
 * of three descriptors (request header, the caller's buffer, status byte),
 * then we poll the used ring. No feature is negotiated: in particular no
 * write cache (VIRTIO_BLK_F_FLUSH), so the device completes a write only
 * once it is on stable storage, as with Solo5's binding. The device never
 * interrupts us (we ask it not to and read its ISR after each request), so its
 * interrupt line can be shared with a network device.
 */

#include "virtio.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_SECTOR 512
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define BLK_SPIN_LIMIT 2000
#define BLK_POLL_NS 100000

struct blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
    uint8_t status;
};

struct blk_dev {
    struct virtq q;
    struct blk_req *req; /* a page of its own, seen by the device */
};

static struct blk_dev blks[MFT_MAX_ENTRIES];

void virtio_blk_attach(const struct pci_dev *d, struct mft_entry *e,
                       solo5_handle_t handle)
{
    struct blk_dev *b = &blks[handle];

    pci_enable(d);
    virtio_dev_begin(d->iobase, 0);
    if (virtq_setup(&b->q, d->iobase, 0) != 0)
        bindings_panic("virtio-blk device '%s' has no request queue", e->name);
    *b->q.avail_flags = VRING_AVAIL_F_NO_INTERRUPT;
    b->req = mem_alloc_pages(sizeof *b->req);
    virtio_dev_ready(d->iobase);

    uint64_t sectors = inl(d->iobase + VIRTIO_PCI_CONFIG) |
                       (uint64_t)inl(d->iobase + VIRTIO_PCI_CONFIG + 4) << 32;
    e->u.block_basic.capacity = sectors * VIRTIO_BLK_SECTOR;
    e->u.block_basic.block_size = VIRTIO_BLK_SECTOR;
    e->attached = true;
}

static solo5_result_t do_request(struct blk_dev *b, uint32_t type,
                                 solo5_off_t offset, uint8_t *buf, size_t size)
{
    struct virtq *q = &b->q;

    b->req->type = type;
    b->req->reserved = 0;
    b->req->sector = offset / VIRTIO_BLK_SECTOR;
    b->req->status = 0xff;

    q->desc[0] = (struct virtq_desc){
        .addr = (uintptr_t)b->req,
        .len = 16,
        .flags = VIRTQ_DESC_F_NEXT,
        .next = 1,
    };
    q->desc[1] = (struct virtq_desc){
        .addr = (uintptr_t)buf,
        .len = (uint32_t)size,
        .flags = VIRTQ_DESC_F_NEXT |
                 (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
        .next = 2,
    };
    q->desc[2] = (struct virtq_desc){
        .addr = (uintptr_t)&b->req->status,
        .len = 1,
        .flags = VIRTQ_DESC_F_WRITE,
        .next = 0,
    };
    virtq_publish(q, 0);
    virtq_notify(q);
    /* A fast device answers while we spin; a slow one (QEMU syncs every
     * write to its file: we negotiate no write cache, so a completed
     * write is stable) gets the CPU back while we halt between timer
     * ticks. */
    for (int spin = 0; !virtq_has_used(q); spin++) {
        if (spin < BLK_SPIN_LIMIT) {
            __asm__ __volatile__("pause" : : : "memory");
        } else {
            time_arm_timer(BLK_POLL_NS);
            intr_wait();
        }
    }
    (void)virtq_take_used(q);
    (void)inb(q->iobase + VIRTIO_PCI_ISR);

    compiler_barrier();
    return b->req->status == VIRTIO_BLK_S_OK ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
                                 const uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;
    /* The device only reads this buffer. */
    return do_request(&blks[handle], VIRTIO_BLK_T_OUT, offset,
                      (uint8_t *)(uintptr_t)buf, size);
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
                                uint8_t *buf, size_t size)
{
    if (buf == NULL || mft_block_for_io(handle, offset, size) == NULL)
        return SOLO5_R_EINVAL;
    return do_request(&blks[handle], VIRTIO_BLK_T_IN, offset, buf, size);
}
