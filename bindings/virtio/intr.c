/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * intr.c: interrupts from the two 8259 PICs of a PC, remapped to vectors
 * 32..47 (the first 32 are the CPU's exceptions).
 *
 * Interrupts are disabled at all times except inside intr_wait(), which
 * halts the CPU until one arrives. So a handler only ever interrupts the
 * binding at that one point: it needs no locking, and the application's
 * FPU/SIMD registers (which binding code never touches) need no saving.
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

#define IRQ_VECTOR_BASE 32
#define IRQ_LINES 16
#define IRQ_CASCADE 2

static void (*handlers[IRQ_LINES])(void);
static uint16_t mask = 0xffff; /* bit n set: line n masked */

void intr_dispatch(unsigned irq) __attribute__((used, visibility("hidden")));

/*
 * Entry stubs, one per line: save the registers a C call may clobber (the
 * stack is 16-byte aligned after the CPU's 40-byte frame and these nine
 * pushes), call intr_dispatch(irq), restore and return.
 */
__asm__(".pushsection .text\n"
        ".macro irq_stub n\n"
        "irq_entry_\\n:\n"
        "    pushq %rax\n"
        "    pushq %rcx\n"
        "    pushq %rdx\n"
        "    pushq %rsi\n"
        "    pushq %rdi\n"
        "    pushq %r8\n"
        "    pushq %r9\n"
        "    pushq %r10\n"
        "    pushq %r11\n"
        "    movl $\\n, %edi\n"
        "    cld\n"
        "    call intr_dispatch\n"
        "    popq %r11\n"
        "    popq %r10\n"
        "    popq %r9\n"
        "    popq %r8\n"
        "    popq %rdi\n"
        "    popq %rsi\n"
        "    popq %rdx\n"
        "    popq %rcx\n"
        "    popq %rax\n"
        "    iretq\n"
        ".endm\n"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    irq_stub \\n\n"
        ".endr\n"
        ".purgem irq_stub\n"
        ".popsection\n"
        ".pushsection .rodata\n"
        ".balign 8\n"
        "irq_entry_table:\n"
        ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    .quad irq_entry_\\n\n"
        ".endr\n"
        ".popsection\n");

extern const uint64_t irq_entry_table[IRQ_LINES];

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
    /* Lines 7 and 15 also carry the PICs' spurious interrupts, which are
     * not in service and must not be acknowledged (a spurious one from
     * the slave still took the master's cascade line). */
    if (irq == 7 && !in_service(PIC1_CMD, 7))
        return;
    if (irq == 15 && !in_service(PIC2_CMD, 7)) {
        outb(PIC1_CMD, OCW2_EOI);
        return;
    }
    if (handlers[irq] != NULL)
        handlers[irq]();
    if (irq >= 8)
        outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}

void intr_wait(void)
{
    /* STI takes effect after the next instruction, so an interrupt that
     * is already pending wakes the HLT rather than slipping in before it. */
    __asm__ __volatile__("sti\n\t"
                         "hlt\n\t"
                         "cli"
                         :
                         :
                         : "memory");
}
