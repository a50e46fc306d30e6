/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * pci.c: finding virtio devices in PCI configuration space, through the
 * PC's configuration mechanism #1 (address at port 0xcf8, data at 0xcfc).
 * The firmware has already assigned I/O ranges and interrupt lines.
 */

#include "virtio.h"

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ENABLE (1U << 31)

#define PCI_VENDOR_ID 0x00 /* and device ID at 0x02 */
#define PCI_COMMAND 0x04
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBSYS 0x2c /* subsystem vendor, then subsystem ID */
#define PCI_INTERRUPT_LINE 0x3c

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MASTER 0x4
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_CLASS_BRIDGE_PCI 0x0604
#define PCI_BAR_IO 0x1

#define VIRTIO_VENDOR 0x1af4
/* Legacy and transitional virtio devices; modern-only ones are 0x1040+. */
#define VIRTIO_DEVICE_FIRST 0x1000
#define VIRTIO_DEVICE_LAST 0x103f

static uint32_t config_addr(unsigned bus, unsigned slot, unsigned fn,
                            unsigned off)
{
    return PCI_ENABLE | (bus << 16) | (slot << 11) | (fn << 8) | (off & 0xfc);
}

static uint32_t read32(unsigned bus, unsigned slot, unsigned fn, unsigned off)
{
    outl(PCI_CONFIG_ADDR, config_addr(bus, slot, fn, off));
    return inl(PCI_CONFIG_DATA);
}

static uint8_t read8(unsigned bus, unsigned slot, unsigned fn, unsigned off)
{
    return (uint8_t)(read32(bus, slot, fn, off) >> ((off & 3) * 8));
}

void pci_enable(const struct pci_dev *d)
{
    uint32_t v = read32(d->bus, d->slot, d->fn, PCI_COMMAND);

    /* The status register shares the dword; writing its bits back as
     * read would clear the write-1-to-clear ones, so write zeros there. */
    v = (v & 0xffff) | PCI_COMMAND_IO | PCI_COMMAND_MASTER;
    outl(PCI_CONFIG_ADDR, config_addr(d->bus, d->slot, d->fn, PCI_COMMAND));
    outl(PCI_CONFIG_DATA, v);
}

static void probe_virtio(unsigned bus, unsigned slot, unsigned fn, uint32_t id,
                         void (*found)(const struct pci_dev *))
{
    uint16_t device = (uint16_t)(id >> 16);

    if ((id & 0xffff) != VIRTIO_VENDOR || device < VIRTIO_DEVICE_FIRST ||
        device > VIRTIO_DEVICE_LAST)
        return;
    uint32_t bar0 = read32(bus, slot, fn, PCI_BAR0);
    struct pci_dev d = {
        .bus = (uint8_t)bus,
        .slot = (uint8_t)slot,
        .fn = (uint8_t)fn,
        .device_id = device,
        .subsys_id = (uint16_t)(read32(bus, slot, fn, PCI_SUBSYS) >> 16),
        .iobase = (uint16_t)(bar0 & ~3U),
        .irq = read8(bus, slot, fn, PCI_INTERRUPT_LINE),
    };
    if (!(bar0 & PCI_BAR_IO) || d.iobase == 0) {
        log_printf(LOG_ERROR,
                   "Solo5: PCI %02x:%02x.%u: virtio device without a legacy "
                   "I/O BAR, ignored\n",
                   bus, slot, fn);
        return;
    }
    found(&d);
}

static void scan_bus(unsigned bus, unsigned depth,
                     void (*found)(const struct pci_dev *))
{
    for (unsigned slot = 0; slot < 32; slot++) {
        unsigned fns = 1;
        for (unsigned fn = 0; fn < fns; fn++) {
            uint32_t id = read32(bus, slot, fn, PCI_VENDOR_ID);
            if ((id & 0xffff) == 0xffff)
                continue;
            uint8_t header = read8(bus, slot, fn, PCI_HEADER_TYPE);
            if (fn == 0 && (header & PCI_HEADER_MULTIFUNCTION))
                fns = 8;
            uint32_t class = read32(bus, slot, fn, PCI_CLASS_REV) >> 16;
            if (class == PCI_CLASS_BRIDGE_PCI) {
                unsigned secondary = read8(bus, slot, fn, PCI_SECONDARY_BUS);
                /* A bus number that does not grow is a loop (or an
                 * unconfigured bridge); there are at most 256 buses. */
                if (secondary > bus && depth < 255)
                    scan_bus(secondary, depth + 1, found);
                continue;
            }
            probe_virtio(bus, slot, fn, id, found);
        }
    }
}

void pci_scan(void (*found)(const struct pci_dev *d))
{
    scan_bus(0, 0, found);
}
