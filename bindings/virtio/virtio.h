/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * virtio.h: internals of the virtio binding. The unikernel is a multiboot
 * kernel booted by a PC hypervisor (QEMU, or a boot loader on a cloud VM);
 * it owns the virtual machine and drives its devices itself: a COM1 serial
 * console, the PIT and 8259 PICs, PCI configuration space and legacy
 * virtio-net and virtio-blk devices. docs/virtio.md is the contract with
 * whatever starts it.
 */

#ifndef BINDINGS_VIRTIO_H
#define BINDINGS_VIRTIO_H

#include "common/bindings.h"
#include "common/pc_x86_64.h"

#pragma GCC visibility push(hidden)

/*
 * ---- Console and exit (serial.c, platform.c) ----
 */

void serial_init(void);
void serial_write(const char *buf, size_t n);

/*
 * ---- Interrupts and clocks (intr.c, time.c) ----
 */

/* The 8259 PICs remapped to vectors 32..47, every line masked. */
void intr_init(void);

/* Unmasks ISA/PCI interrupt line (irq), 0..15. */
void intr_unmask(unsigned irq);

/* Registers (fn) to run when line (irq) interrupts; it runs with
 * interrupts disabled, before the end-of-interrupt. */
void intr_register(unsigned irq, void (*fn)(void));

/* Calibrates the TSC against the PIT and reads the RTC. */
void time_init(void);

/* Arms PIT channel 0 to interrupt in at most (ns) nanoseconds (it cannot
 * count longer than ~55 ms). */
void time_arm_timer(uint64_t ns);

/*
 * ---- PCI and virtio devices (pci.c, virtq.c, net.c, block.c) ----
 */

struct pci_dev {
    uint8_t bus, slot, fn;
    uint16_t device_id;
    uint16_t subsys_id;
    uint16_t iobase; /* legacy virtio registers (BAR0) */
    uint8_t irq;     /* interrupt line set by the firmware, 0xff if none */
};

/* Calls (found) for every virtio device in (bus, slot, function) order. */
void pci_scan(void (*found)(const struct pci_dev *d));

/* Sets the bus-master and I/O-space bits of the device's command register. */
void pci_enable(const struct pci_dev *d);

/* Legacy virtio PCI registers, offsets from BAR0. */
#define VIRTIO_PCI_HOST_FEATURES 0
#define VIRTIO_PCI_GUEST_FEATURES 4
#define VIRTIO_PCI_QUEUE_PFN 8
#define VIRTIO_PCI_QUEUE_SIZE 12
#define VIRTIO_PCI_QUEUE_SEL 14
#define VIRTIO_PCI_QUEUE_NOTIFY 16
#define VIRTIO_PCI_STATUS 18
#define VIRTIO_PCI_ISR 19
#define VIRTIO_PCI_CONFIG 20 /* device-specific, without MSI-X */

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FAILED 128

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

/* One legacy split virtqueue: the layout the device computes from the
 * page number we give it and its own queue size. */
struct virtq {
    uint16_t iobase;
    uint16_t index;
    uint16_t size;
    struct virtq_desc *desc;
    volatile uint16_t *avail_flags, *avail_idx, *avail_ring;
    volatile uint16_t *used_idx;
    volatile struct virtq_used_elem *used_ring;
    uint16_t next_avail; /* our copy of avail->idx */
    uint16_t last_used;  /* used entries consumed so far */
};

/* Resets the device, acknowledges it and accepts the subset (wanted) of
 * its feature bits; returns the accepted set. */
uint32_t virtio_dev_begin(uint16_t iobase, uint32_t wanted);

/* Tells the device the driver is ready (after its queues are set up). */
void virtio_dev_ready(uint16_t iobase);

/* Sets up queue (index) in memory from mem_alloc_pages(). Returns -1 if
 * the device has no such queue. */
int virtq_setup(struct virtq *q, uint16_t iobase, uint16_t index);

/* Puts descriptor chain (head) in the available ring (no notification). */
void virtq_publish(struct virtq *q, uint16_t head);

/* Tells the device the queue has new buffers. */
void virtq_notify(struct virtq *q);

/* True when the device returned a buffer not yet consumed. */
bool virtq_has_used(const struct virtq *q);

/* Takes the next used entry; only after virtq_has_used(). */
struct virtq_used_elem virtq_take_used(struct virtq *q);

void virtio_net_attach(const struct pci_dev *d, struct mft_entry *e,
                       solo5_handle_t handle);
void virtio_blk_attach(const struct pci_dev *d, struct mft_entry *e,
                       solo5_handle_t handle);

/* Waits (a bounded time) until the devices have sent every frame given
 * to them: QEMU sends frames after the guest's write returns, and would
 * drop the last ones if the guest exited first. */
void virtio_net_flush(void);

/* Handles of network devices with received frames waiting. */
solo5_handle_set_t virtio_net_ready(void);

#pragma GCC visibility pop

#endif /* BINDINGS_VIRTIO_H */
