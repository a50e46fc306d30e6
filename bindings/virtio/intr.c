/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * intr.c: interrupts from the two 8259 PICs of a PC, remapped to vectors
 * 32..47 (the first 32 are the CPU's exceptions).
 * Interrupts stay disabled except inside intr_wait() (pc_x86_64.h).
 */

#include "virtio.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascaded, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b

#define IRQ_CASCADE 2

static void (*handlers[IRQ_LINES])(void);
static uint16_t mask = 0xffff; /* bit n set: line n masked */

#define APIC_LVT_EXTINT (7U << 8) /* unmasked, edge, ExtINT */
/* The local APIC's own spurious interrupts: shared with line 15, whose
 * handler recognises interrupts nobody put in service. */
#define APIC_SPURIOUS_VECTOR (IRQ_VECTOR_BASE + 15)

/*
 * The PICs reach the CPU through the local APIC's LINT0 pin, which passes
 * them on only when programmed as "ExtINT" ("virtual wire" mode). SeaBIOS
 * does that, qboot and some boot loaders do not, so we do it ourselves.
 */
static void lapic_virtual_wire(void)
{
    /* Without a usable local APIC the PICs drive the CPU directly. */
    if (lapic_init(APIC_SPURIOUS_VECTOR))
        lapic_write(LAPIC_LVT_LINT0, APIC_LVT_EXTINT);
}

static void write_mask(void)
{
    outb(PIC1_DATA, (uint8_t)mask);
    outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void intr_init(void)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, IRQ_VECTOR_BASE);
    outb(PIC2_DATA, IRQ_VECTOR_BASE + 8);
    outb(PIC1_DATA, 1 << IRQ_CASCADE); /* the slave is on line 2 */
    outb(PIC2_DATA, IRQ_CASCADE);      /* its cascade identity */
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    mask = 0xffff;
    write_mask();

    for (unsigned irq = 0; irq < IRQ_LINES; irq++)
        cpu_trap_set_interrupt(IRQ_VECTOR_BASE + irq, irq_entry_table[irq]);
    lapic_virtual_wire();
}

void intr_register(unsigned irq, void (*fn)(void))
{
    BINDINGS_ASSERT(irq < IRQ_LINES && irq != IRQ_CASCADE);
    BINDINGS_ASSERT(handlers[irq] == NULL || handlers[irq] == fn);
    handlers[irq] = fn;
}

void intr_unmask(unsigned irq)
{
    BINDINGS_ASSERT(irq < IRQ_LINES);
    mask &= (uint16_t) ~(1U << irq);
    if (irq >= 8)
        mask &= (uint16_t) ~(1U << IRQ_CASCADE);
    write_mask();
}

static bool in_service(uint16_t cmd_port, unsigned bit)
{
    outb(cmd_port, OCW3_READ_ISR);
    return (inb(cmd_port) >> bit) & 1;
}

void intr_dispatch(unsigned irq)
{
    /* Lines 7 and 15 also carry spurious interrupts (the PICs', and on
     * 15 the local APIC's), which are not in service and must not be
     * acknowledged; a spurious one from the slave still took the master's
     * cascade line. */
    if (irq == 7 && !in_service(PIC1_CMD, 7))
        return;
    if (irq == 15 && !in_service(PIC2_CMD, 7)) {
        if (in_service(PIC1_CMD, IRQ_CASCADE))
            outb(PIC1_CMD, OCW2_EOI);
        return;
    }
    if (handlers[irq] != NULL)
        handlers[irq]();
    if (irq >= 8)
        outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}
