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

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1U << 11)
#define APIC_BASE_ADDR_MASK 0xfffff000U
#define CPUID1_EDX_APIC (1U << 9)
#define APIC_TPR 0x80
#define APIC_SVR 0xf0
#define APIC_LVT_LINT0 0x350
#define APIC_SVR_ENABLE (1U << 8)
#define APIC_LVT_EXTINT (7U << 8) /* unmasked, edge, ExtINT */
/* The local APIC's own spurious interrupts: shared with line 15, whose
 * handler recognises interrupts nobody put in service. */
#define APIC_SPURIOUS_VECTOR (IRQ_VECTOR_BASE + 15)

static void lapic_write(uintptr_t base, unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(base + reg) = v;
}

/*
 * The PICs reach the CPU through the local APIC's LINT0 pin, which passes
 * them on only when programmed as "ExtINT" ("virtual wire" mode). SeaBIOS
 * does that, qboot and some boot loaders do not, so we do it ourselves.
 * The local APIC's registers are in the first 4 GiB, which boot_x86_64.S
 * maps.
 */
static void lapic_virtual_wire(void)
{
    uint32_t eax = 1, ebx, ecx = 0, edx;

    __asm__ __volatile__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    if (!(edx & CPUID1_EDX_APIC))
        return; /* no local APIC: the PICs drive the CPU directly */
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
    if (!(lo & APIC_BASE_ENABLE) || hi != 0)
        return; /* disabled (pass-through), or out of our mapping */
    uintptr_t base = lo & APIC_BASE_ADDR_MASK;
    lapic_write(base, APIC_TPR, 0);
    lapic_write(base, APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
    lapic_write(base, APIC_LVT_LINT0, APIC_LVT_EXTINT);
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
