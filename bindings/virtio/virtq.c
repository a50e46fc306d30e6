/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * virtq.c: legacy ("0.9.5") virtio PCI devices and their split virtqueues.
 * A queue's size is the device's; its three rings lie in one physically
 * contiguous block whose page number the device is given: descriptors,
 * then the available ring, then (on the next page boundary) the used ring.
 */

#include "virtio.h"

#define VIRTQ_ALIGN 4096

uint32_t virtio_dev_begin(uint16_t iobase, uint32_t wanted)
{
    outb(iobase + VIRTIO_PCI_STATUS, 0); /* reset */
    outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACK);
    outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    uint32_t features = inl(iobase + VIRTIO_PCI_HOST_FEATURES) & wanted;
    outl(iobase + VIRTIO_PCI_GUEST_FEATURES, features);
    return features;
}

void virtio_dev_ready(uint16_t iobase)
{
    outb(iobase + VIRTIO_PCI_STATUS,
         VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

int virtq_setup(struct virtq *q, uint16_t iobase, uint16_t index)
{
    outw(iobase + VIRTIO_PCI_QUEUE_SEL, index);
    uint16_t size = inw(iobase + VIRTIO_PCI_QUEUE_SIZE);
    if (size == 0)
        return -1;

    size_t desc_bytes = sizeof(struct virtq_desc) * size;
    size_t avail_bytes = 2 * (3 + (size_t)size); /* flags, idx, ring, event */
    size_t used_off = ALIGN_UP(desc_bytes + avail_bytes, VIRTQ_ALIGN);
    size_t used_bytes = 2 * 3 + sizeof(struct virtq_used_elem) * size;
    uint8_t *mem = mem_alloc_pages(used_off + used_bytes);

    q->iobase = iobase;
    q->index = index;
    q->size = size;
    q->desc = (struct virtq_desc *)(void *)mem;
    q->avail_flags = (volatile uint16_t *)(void *)(mem + desc_bytes);
    q->avail_idx = q->avail_flags + 1;
    q->avail_ring = q->avail_flags + 2;
    q->used_idx = (volatile uint16_t *)(void *)(mem + used_off + 2);
    q->used_ring =
        (volatile struct virtq_used_elem *)(void *)(mem + used_off + 4);
    q->next_avail = 0;
    q->last_used = 0;
    outl(iobase + VIRTIO_PCI_QUEUE_PFN, (uint32_t)((uintptr_t)mem >> 12));
    return 0;
}

void virtq_publish(struct virtq *q, uint16_t head)
{
    q->avail_ring[q->next_avail % q->size] = head;
    /* The ring entry before the index that makes it visible. */
    compiler_barrier();
    q->next_avail++;
    *q->avail_idx = q->next_avail;
    compiler_barrier();
}

void virtq_notify(struct virtq *q)
{
    outw(q->iobase + VIRTIO_PCI_QUEUE_NOTIFY, q->index);
}

bool virtq_has_used(const struct virtq *q)
{
    return *q->used_idx != q->last_used;
}

struct virtq_used_elem virtq_take_used(struct virtq *q)
{
    /* The index before the entry it published. */
    compiler_barrier();
    struct virtq_used_elem e = q->used_ring[q->last_used % q->size];
    q->last_used++;
    return e;
}
