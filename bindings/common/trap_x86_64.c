/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * trap_x86_64.c: descriptor tables and CPU exceptions on x86_64, for
 * bindings that run the guest in ring 0 (hvt; later virtio).
 *
 * The tender (or boot loader) starts us with descriptor tables of its own,
 * which the guest may not even be able to read. We load ours: a GDT with
 * one 64-bit code segment, one data segment and a TSS, and an IDT covering
 * the 32 exception vectors. Every exception switches to a stack of its own
 * (an IST entry of the TSS), so that faults caused by a broken stack
 * pointer are still reported. Vectors above 31 are outside the IDT limit
 * unless a binding that takes interrupts (virtio) installs a gate for them
 * with cpu_trap_set_interrupt(): an unexpected interrupt becomes a #GP (or
 * a #NP for a vector below the limit with no gate), which is reported too.
 *
 * An exception is fatal: the handler prints what happened and ends the
 * unikernel with SOLO5_EXIT_ABORT, handing the tender a cookie that
 * describes the trap (hvt_trap_x86_64.h) for its core dump.
 */

#include "bindings.h"
#include "hvt_abi.h"
#include "hvt_trap_x86_64.h"

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS 0x18

/* 64-bit code, ring 0; flat data, ring 0. */
#define GDT_CODE_DESC 0x00af9a000000ffffULL
#define GDT_DATA_DESC 0x00cf92000000ffffULL

#define TRAP_VECTORS 32
/* Room for the 16 interrupt lines of the PICs after the exceptions. */
#define IDT_VECTORS 48

/*
 * The halt cookie of a trap (hvt_trap_x86_64.h). The tender may read up to
 * HVT_HALT_COOKIE_MAX bytes from the cookie, so it lives in a buffer of
 * that size.
 */
_Static_assert(sizeof(struct hvt_x86_64_trap_cookie) <= HVT_HALT_COOKIE_MAX,
               "the trap cookie must fit its buffer");

/* What the entry stubs below leave on the stack, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t ec; /* pushed by the CPU, or a 0 pushed by the stub */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trap_frame) % 16 == 0,
               "the entry stubs keep the stack 16-byte aligned");

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* IST 1: ordinary exceptions; IST 2: #DF, NMI and #MC. */
#define IST_TRAP 1
#define IST_FAULT 2

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static unsigned idt_limit_vectors = TRAP_VECTORS;
static uint8_t trap_stack[16384] __attribute__((aligned(16)));
static uint8_t fault_stack[8192] __attribute__((aligned(16)));
static uint8_t cookie_buf[HVT_HALT_COOKIE_MAX] __attribute__((aligned(16)));

/*
 * Entry stubs: each pushes a 0 where the CPU pushes no error code, then the
 * vector number, and joins trap_common, which saves the general purpose
 * registers and calls trap_handler() with the frame. Vectors with a CPU
 * error code: 8, 10-14, 17, 21, 29 and 30. The stubs sit TRAP_STUB_BYTES
 * apart from trap_entries, in vector order (.org fails the build if one
 * outgrows its slot), and trap_entries is aligned so that all 32 share
 * the upper 48 bits of their address: the gates differ only in the
 * low word, which cpu_trap_init() steps.
 */
#define TRAP_STUB_BYTES 16
#define TRAP_ENTRIES_ALIGN 512
_Static_assert(TRAP_VECTORS *TRAP_STUB_BYTES <= TRAP_ENTRIES_ALIGN,
               "the stubs fit one aligned block");
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".pushsection .text\n"
        ".balign 16\n"
        "trap_common:\n"
        "    pushq %rax\n"
        "    pushq %rbx\n"
        "    pushq %rcx\n"
        "    pushq %rdx\n"
        "    pushq %rsi\n"
        "    pushq %rdi\n"
        "    pushq %rbp\n"
        "    pushq %r8\n"
        "    pushq %r9\n"
        "    pushq %r10\n"
        "    pushq %r11\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, %rdi\n"
        "    cld\n"
        "    call trap_handler\n"
        "1:  cli\n"
        "    hlt\n"
        "    jmp 1b\n"
        ".balign " STR(
            TRAP_ENTRIES_ALIGN) "\n"
                                "trap_entries:\n"
                                ".irp v, "
                                "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
                                "18,19,20,21,22,"
                                "23,24,25,26,27,28,29,30,31\n"
                                "    .if (\\v == 8) || (\\v >= 10 && \\v <= "
                                "14) || (\\v == 17) || "
                                "(\\v == 21) || (\\v == 29) || (\\v == 30)\n"
                                "    .else\n"
                                "    pushq $0\n"
                                "    .endif\n"
                                "    pushq $\\v\n"
                                "    jmp trap_common\n"
                                "    .org trap_entries + " STR(
                                    TRAP_STUB_BYTES) " * (\\v + 1), 0xcc\n"
                                                     ".endr\n"
                                                     ".popsection\n");

extern const char trap_entries[];

void trap_handler(const struct trap_frame *f)
    __attribute__((used, visibility("hidden"))) NORETURN;

static const struct {
    const char *mnemonic;
    const char *meaning;
} traps[TRAP_VECTORS] = {
    {"#DE", "divide error"},
    {"#DB", "debug exception"},
    {"NMI", "non-maskable interrupt"},
    {"#BP", "breakpoint"},
    {"#OF", "overflow"},
    {"#BR", "bound range exceeded"},
    {"#UD", "invalid opcode"},
    {"#NM", "device not available"},
    {"#DF", "double fault"},
    {"#CSO", "coprocessor segment overrun"},
    {"#TS", "invalid TSS"},
    {"#NP", "segment not present"},
    {"#SS", "stack-segment fault"},
    {"#GP", "general protection fault"},
    {"#PF", "page fault"},
    {"#15", "reserved vector"},
    {"#MF", "x87 floating-point error"},
    {"#AC", "alignment check"},
    {"#MC", "machine check"},
    {"#XM", "SIMD floating-point exception"},
    {"#VE", "virtualization exception"},
    {"#CP", "control protection exception"},
    {"#22", "reserved vector"},
    {"#23", "reserved vector"},
    {"#24", "reserved vector"},
    {"#25", "reserved vector"},
    {"#26", "reserved vector"},
    {"#27", "reserved vector"},
    {"#HV", "hypervisor injection exception"},
    {"#VC", "VMM communication exception"},
    {"#SX", "security exception"},
    {"#31", "reserved vector"},
};

/* Page fault error code bits. */
#define PF_PRESENT (1U << 0)
#define PF_WRITE (1U << 1)
#define PF_RESERVED (1U << 3)
#define PF_FETCH (1U << 4)

static void report_page_fault(uint64_t ec, uint64_t cr2)
{
    unsigned long long addr = (unsigned long long)cr2;

    if (ec & PF_RESERVED)
        log_printf(LOG_ERROR,
                   "Solo5: trap: reserved bit set in the page table entry "
                   "for 0x%llx\n",
                   addr);
    else if (!(ec & PF_PRESENT))
        log_printf(LOG_ERROR, "Solo5: trap: %s unmapped address 0x%llx\n",
                   (ec & PF_FETCH)   ? "instruction fetch from"
                   : (ec & PF_WRITE) ? "write to"
                                     : "read from",
                   addr);
    else if (ec & PF_FETCH)
        log_printf(LOG_ERROR,
                   "Solo5: trap: instruction fetch from non-executable "
                   "page at 0x%llx\n",
                   addr);
    else if (ec & PF_WRITE)
        log_printf(LOG_ERROR,
                   "Solo5: trap: write to read-only page at 0x%llx\n", addr);
    else
        log_printf(LOG_ERROR,
                   "Solo5: trap: protection violation reading 0x%llx\n", addr);
}

void trap_handler(const struct trap_frame *f)
{
    static int nesting;
    struct hvt_x86_64_trap_cookie *c =
        (struct hvt_x86_64_trap_cookie *)(void *)cookie_buf;
    uint64_t cr2;
    unsigned vec = (unsigned)f->vector % TRAP_VECTORS;

    __asm__ __volatile__("movq %%cr2, %0" : "=r"(cr2));

    c->cr2 = cr2;
    c->ec = f->ec;
    c->rip = f->rip;
    c->cs = f->cs;
    c->rflags = f->rflags;
    c->rsp = f->rsp;
    c->ss = f->ss;
    c->magic = HVT_X86_64_TRAP_COOKIE_MAGIC;
    c->vector = f->vector;
    c->rax = f->rax;
    c->rbx = f->rbx;
    c->rcx = f->rcx;
    c->rdx = f->rdx;
    c->rsi = f->rsi;
    c->rdi = f->rdi;
    c->rbp = f->rbp;
    c->r8 = f->r8;
    c->r9 = f->r9;
    c->r10 = f->r10;
    c->r11 = f->r11;
    c->r12 = f->r12;
    c->r13 = f->r13;
    c->r14 = f->r14;
    c->r15 = f->r15;

    /* A trap while reporting one: do not try to print again. */
    if (nesting++ > 0)
        platform_exit(SOLO5_EXIT_ABORT, c);

    log_printf(LOG_ERROR,
               "Solo5: trap: %s %s (vector %u), error code 0x%llx, at "
               "rip=0x%llx\n",
               traps[vec].mnemonic, traps[vec].meaning, vec,
               (unsigned long long)f->ec, (unsigned long long)f->rip);
    log_printf(LOG_ERROR, "Solo5: trap: rsp=0x%llx rflags=0x%llx cr2=0x%llx\n",
               (unsigned long long)f->rsp, (unsigned long long)f->rflags,
               (unsigned long long)cr2);
    if (vec == 14)
        report_page_fault(f->ec, cr2);
    char reason[80];
    fmt_snprintf(reason, sizeof reason, "fatal trap: %s %s (vector %u)",
                 traps[vec].mnemonic, traps[vec].meaning, vec);
    bindings_abort(reason, c);
}

static void set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
    struct idt_gate *g = &idt[vec];

    g->offset_lo = (uint16_t)handler;
    g->selector = GDT_CODE;
    g->ist = (uint8_t)ist;
    g->type_attr = 0x8e; /* present, ring 0, 64-bit interrupt gate */
    g->offset_mid = (uint16_t)(handler >> 16);
    g->offset_hi = (uint32_t)(handler >> 32);
    g->reserved = 0;
}

/* The 32 exception gates: the first set field by field, the others copied
 * from it with the handler's low word stepped (see trap_entries), two
 * stores a gate where the guest may be emulated instruction by
 * instruction. */
static void set_trap_gates(void)
{
    uint64_t base = (uint64_t)(uintptr_t)trap_entries;
    uint64_t w[2];

    BINDINGS_ASSERT(base % TRAP_ENTRIES_ALIGN == 0);
    set_gate(0, base, IST_TRAP);
    __builtin_memcpy(w, &idt[0], sizeof w);
    for (unsigned v = 1; v < TRAP_VECTORS; v++) {
        w[0] += TRAP_STUB_BYTES;
        __builtin_memcpy(&idt[v], w, sizeof w);
    }
    /* NMI, #DF and #MC on a stack of their own. */
    idt[2].ist = IST_FAULT;
    idt[8].ist = IST_FAULT;
    idt[18].ist = IST_FAULT;
}

static void gdt_load(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof tss - 1;

    gdt[0] = 0;
    gdt[1] = GDT_CODE_DESC;
    gdt[2] = GDT_DATA_DESC;
    /* Available 64-bit TSS, present, ring 0; 16 bytes. */
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[4] = base >> 32;

    struct table_ptr p = {.limit = sizeof gdt - 1,
                          .base = (uint64_t)(uintptr_t)gdt};
    /* Reload CS with a far return, then the data segment registers. */
    __asm__ __volatile__("lgdt %0\n\t"
                         "pushq %1\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movl %2, %%eax\n\t"
                         "movl %%eax, %%ds\n\t"
                         "movl %%eax, %%es\n\t"
                         "movl %%eax, %%ss\n\t"
                         "movl %%eax, %%fs\n\t"
                         "movl %%eax, %%gs\n\t"
                         :
                         : "m"(p), "i"(GDT_CODE), "i"(GDT_DATA)
                         : "rax", "memory");
}

static void idt_load(void)
{
    struct table_ptr p = {
        .limit = (uint16_t)(idt_limit_vectors * sizeof(struct idt_gate) - 1),
        .base = (uint64_t)(uintptr_t)idt};
    __asm__ __volatile__("lidt %0" : : "m"(p) : "memory");
}

void cpu_trap_init(void)
{
    tss.ist[IST_TRAP - 1] =
        (uint64_t)(uintptr_t)(trap_stack + sizeof trap_stack);
    tss.ist[IST_FAULT - 1] =
        (uint64_t)(uintptr_t)(fault_stack + sizeof fault_stack);
    tss.iomap_base = sizeof tss; /* no I/O permission bitmap */
    gdt_load();
    __asm__ __volatile__("ltr %w0" : : "r"(GDT_TSS) : "memory");

    set_trap_gates();
    idt_load();
}

void cpu_trap_set_interrupt(unsigned vector, uint64_t entry)
{
    BINDINGS_ASSERT(vector >= TRAP_VECTORS && vector < IDT_VECTORS);
    /* No IST: interrupts are only taken where the binding halts, on a
     * good stack. */
    set_gate(vector, entry, 0);
    if (vector + 1 > idt_limit_vectors)
        idt_limit_vectors = vector + 1;
    idt_load();
}
