/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * net.c: legacy virtio-net. Queue 0 receives, queue 1 transmits. Every
 * frame travels in one buffer of ours, after the 10-byte legacy virtio-net
 * header (no offloads are negotiated, so the header is all zeros on
 * transmit and ignored on receive). All receive buffers are posted at
 * start; a frame read is copied out and its buffer posted again. Transmit
 * copies the frame into a free buffer and does not wait; buffers come back
 * when the device is done. Only receive interrupts are enabled: they wake
 * solo5_yield().
 */

#include "virtio.h"

#define VIRTIO_NET_F_MTU (1U << 3)
#define VIRTIO_NET_F_MAC (1U << 5)
#define VIRTIO_NET_CONFIG_MTU 10 /* after mac[6], status, max pairs */
#define VIRTIO_NET_HDR_LEN 10
#define VIRTIO_NET_DEFAULT_MTU 1500
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define RXQ 0
#define TXQ 1

struct net_dev {
    bool attached;
    uint16_t iobase;
    size_t buf_size;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs; /* q.size buffers of buf_size each */
    uint16_t *tx_free;          /* stack of free transmit descriptors */
    uint16_t tx_nfree;
};

static struct net_dev nets[MFT_MAX_ENTRIES];

static void net_irq(void)
{
    /* Reading the ISR acknowledges the (level-triggered) interrupt of
     * every device on the line; the frames are picked up by
     * solo5_yield(). */
    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++) {
        if (nets[i].attached)
            (void)inb(nets[i].iobase + VIRTIO_PCI_ISR);
    }
}

static void setup_queue(struct net_dev *n, struct virtq *q, uint16_t index,
                        const char *name, uint8_t **bufs)
{
    if (virtq_setup(q, n->iobase, index) != 0)
        bindings_panic("virtio-net device '%s' lacks queue %u", name,
                       (unsigned)index);
    *bufs = mem_alloc_pages((size_t)q->size * n->buf_size);
    for (uint16_t i = 0; i < q->size; i++) {
        q->desc[i] = (struct virtq_desc){
            .addr = (uintptr_t)(*bufs + (size_t)i * n->buf_size),
            .len = (uint32_t)n->buf_size,
            .flags = index == RXQ ? VIRTQ_DESC_F_WRITE : 0,
            .next = 0,
        };
    }
}

void virtio_net_attach(const struct pci_dev *d, struct mft_entry *e,
                       solo5_handle_t handle)
{
    struct net_dev *n = &nets[handle];

    n->iobase = d->iobase;
    pci_enable(d);
    uint32_t features =
        virtio_dev_begin(d->iobase, VIRTIO_NET_F_MAC | VIRTIO_NET_F_MTU);
    if (!(features & VIRTIO_NET_F_MAC))
        bindings_panic("virtio-net device '%s' has no MAC address", e->name);
    uint16_t mtu = VIRTIO_NET_DEFAULT_MTU;
    if (features & VIRTIO_NET_F_MTU)
        mtu = inw(d->iobase + VIRTIO_PCI_CONFIG + VIRTIO_NET_CONFIG_MTU);
    if (mtu < 68)
        bindings_panic("virtio-net device '%s' has MTU %u", e->name,
                       (unsigned)mtu);
    n->buf_size = ALIGN_UP(VIRTIO_NET_HDR_LEN + SOLO5_NET_HLEN + mtu, 64);

    setup_queue(n, &n->rx, RXQ, e->name, &n->rx_bufs);
    setup_queue(n, &n->tx, TXQ, e->name, &n->tx_bufs);
    *n->tx.avail_flags = VRING_AVAIL_F_NO_INTERRUPT;
    n->tx_free = mem_alloc_pages(sizeof(uint16_t) * n->tx.size);
    for (uint16_t i = 0; i < n->tx.size; i++)
        n->tx_free[i] = i;
    n->tx_nfree = n->tx.size;
    for (uint16_t i = 0; i < n->rx.size; i++)
        virtq_publish(&n->rx, i);

    /* Lines 0 (the timer) and 2 (the cascade) are never PCI's: 0 is what
     * firmware that routes no interrupts leaves there. */
    if (d->irq < 16 && d->irq != 0 && d->irq != 2) {
        intr_register(d->irq, net_irq);
        intr_unmask(d->irq);
    } else {
        log_printf(LOG_ERROR,
                   "Solo5: virtio-net device '%s' has no interrupt line; "
                   "solo5_yield() will notice its frames late\n",
                   e->name);
    }
    n->attached = true;
    virtio_dev_ready(d->iobase);
    virtq_notify(&n->rx);

    for (int i = 0; i < SOLO5_NET_ALEN; i++)
        e->u.net_basic.mac[i] = inb(d->iobase + VIRTIO_PCI_CONFIG + i);
    e->u.net_basic.mtu = mtu;
    e->attached = true;
}

void virtio_net_flush(void)
{
    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++) {
        struct net_dev *n = &nets[i];
        if (!n->attached)
            continue;
        /* Bounded: a device that stopped working must not keep us from
         * exiting. */
        for (long spin = 0; spin < 10000000L; spin++) {
            if ((uint16_t)(n->tx.next_avail - *n->tx.used_idx) == 0)
                break;
            __asm__ __volatile__("pause" : : : "memory");
        }
    }
}

solo5_handle_set_t virtio_net_ready(void)
{
    solo5_handle_set_t ready = 0;

    for (unsigned i = 0; i < MFT_MAX_ENTRIES; i++) {
        if (nets[i].attached && virtq_has_used(&nets[i].rx))
            ready |= (solo5_handle_set_t)1 << i;
    }
    return ready;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size)
{
    const struct mft_entry *e = mft_net_for_write(handle, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;

    struct net_dev *n = &nets[handle];
    while (virtq_has_used(&n->tx))
        n->tx_free[n->tx_nfree++] = (uint16_t)virtq_take_used(&n->tx).id;
    /* All buffers in flight: drop the frame, as solo5.h allows. */
    if (n->tx_nfree == 0)
        return SOLO5_R_OK;

    uint16_t id = n->tx_free[--n->tx_nfree];
    uint8_t *slot = n->tx_bufs + (size_t)id * n->buf_size;
    memset(slot, 0, VIRTIO_NET_HDR_LEN);
    memcpy(slot + VIRTIO_NET_HDR_LEN, buf, size);
    n->tx.desc[id].len = (uint32_t)(VIRTIO_NET_HDR_LEN + size);
    virtq_publish(&n->tx, id);
    virtq_notify(&n->tx);
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size)
{
    const struct mft_entry *e = mft_net_for_read(handle, size);

    if (e == NULL || buf == NULL || read_size == NULL)
        return SOLO5_R_EINVAL;

    struct net_dev *n = &nets[handle];
    if (!virtq_has_used(&n->rx))
        return SOLO5_R_AGAIN;
    struct virtq_used_elem u = virtq_take_used(&n->rx);
    uint16_t id = (uint16_t)u.id;
    size_t len = u.len > VIRTIO_NET_HDR_LEN ? u.len - VIRTIO_NET_HDR_LEN : 0;
    if (id >= n->rx.size || len > size)
        bindings_panic("virtio-net device returned a bad receive buffer");
    memcpy(buf, n->rx_bufs + (size_t)id * n->buf_size + VIRTIO_NET_HDR_LEN,
           len);
    virtq_publish(&n->rx, id);
    virtq_notify(&n->rx);
    *read_size = len;
    return SOLO5_R_OK;
}
