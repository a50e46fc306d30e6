/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * trap_aarch64.c: exception vectors on aarch64, for bindings that run the
 * guest at EL1 (hvt).
 *
 * The guest runs at EL1 on SP_EL1 ("EL1h") with interrupts masked. VBAR_EL1
 * points at our vector table: 16 entries of 128 bytes, four kinds
 * (synchronous, IRQ, FIQ, SError) for each of four origins (EL1 on SP_EL0,
 * EL1 on SP_ELx, EL0 in AArch64, EL0 in AArch32). Each entry switches to
 * SP_EL0, which always points into a stack of its own, so that a fault
 * caused by a broken stack pointer is still reported (the aarch64 analogue
 * of x86's IST stacks); an exception inside the handler arrives through
 * the "EL1 on SP_EL0" entries and ends the unikernel at once.
 *
 * An exception is fatal: the handler prints what happened (exception
 * class, ESR, FAR, the faulting pc and what an abort was) and ends the
 * unikernel with SOLO5_EXIT_ABORT, handing the tender a cookie with the
 * registers at the exception (hvt_trap_aarch64.h) for its core dump.
 */

#include "bindings.h"
#include "hvt_abi.h"
#include "hvt_trap_aarch64.h"

/*
 * The halt cookie of a trap (hvt_trap_aarch64.h). The tender may read up to
 * HVT_HALT_COOKIE_MAX bytes from the cookie, so it lives in a buffer of
 * that size.
 */
_Static_assert(sizeof(struct hvt_aarch64_trap_cookie) <= HVT_HALT_COOKIE_MAX,
               "the trap cookie must fit its buffer");

/* What trap_common leaves on the trap stack, lowest address first. */
struct trap_frame {
    uint64_t x[31]; /* x0-x30 */
    uint64_t sp;    /* SP_EL1 at the exception */
    uint64_t elr, spsr;
    uint64_t esr, far;
    uint64_t vector;
    uint64_t unused;
};

#define TRAP_FRAME_SIZE 304
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE,
               "the entry code below assumes this frame size");
_Static_assert(TRAP_FRAME_SIZE % 16 == 0, "SP must stay 16-byte aligned");

static uint8_t trap_stack[16384] __attribute__((aligned(16)));
static uint8_t cookie_buf[HVT_HALT_COOKIE_MAX] __attribute__((aligned(16)));

/*
 * The vector table (2 KiB aligned, as VBAR_EL1 requires). Each entry moves
 * to SP_EL0, makes room for a frame, saves x0 and x1 and joins trap_common
 * with its index in x0. trap_common saves the rest, reads SP_EL1 by
 * switching back to it for one instruction, and calls trap_handler(frame),
 * which does not return.
 */
__asm__(".pushsection .text\n"
        ".balign 16\n"
        "trap_common:\n"
        "    stp x2, x3, [sp, #16]\n"
        "    stp x4, x5, [sp, #32]\n"
        "    stp x6, x7, [sp, #48]\n"
        "    stp x8, x9, [sp, #64]\n"
        "    stp x10, x11, [sp, #80]\n"
        "    stp x12, x13, [sp, #96]\n"
        "    stp x14, x15, [sp, #112]\n"
        "    stp x16, x17, [sp, #128]\n"
        "    stp x18, x19, [sp, #144]\n"
        "    stp x20, x21, [sp, #160]\n"
        "    stp x22, x23, [sp, #176]\n"
        "    stp x24, x25, [sp, #192]\n"
        "    stp x26, x27, [sp, #208]\n"
        "    stp x28, x29, [sp, #224]\n"
        "    msr spsel, #1\n"
        "    mov x1, sp\n"
        "    msr spsel, #0\n"
        "    stp x30, x1, [sp, #240]\n"
        "    mrs x2, elr_el1\n"
        "    mrs x3, spsr_el1\n"
        "    stp x2, x3, [sp, #256]\n"
        "    mrs x2, esr_el1\n"
        "    mrs x3, far_el1\n"
        "    stp x2, x3, [sp, #272]\n"
        "    stp x0, xzr, [sp, #288]\n"
        "    mov x0, sp\n"
        "    mov x29, xzr\n"
        "    bl trap_handler\n"
        "1:  wfi\n"
        "    b 1b\n"
        ".balign 2048\n"
        "trap_vectors:\n"
        ".irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    .balign 128\n"
        "    msr spsel, #0\n"
        "    sub sp, sp, #304\n"
        "    stp x0, x1, [sp, #0]\n"
        "    mov x0, #\\v\n"
        "    b trap_common\n"
        ".endr\n"
        ".popsection\n");

extern const char trap_vectors[];

void trap_handler(const struct trap_frame *f)
    __attribute__((used, visibility("hidden"))) NORETURN;

/* Exception classes (ESR_EL1.EC) a unikernel can meet. */
static const char *exception_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00:
        /* "Unknown reason": every undefined instruction lands here. */
        return "undefined instruction";
    case 0x01:
        return "trapped WFI/WFE";
    case 0x07:
        return "trapped FP/SIMD access";
    case 0x0e:
        return "illegal execution state";
    case 0x11:
    case 0x15:
        return "SVC instruction (system call)";
    case 0x18:
        return "trapped system register access";
    case 0x19:
        return "trapped SVE access";
    case 0x20:
    case 0x21:
        return "instruction abort";
    case 0x22:
        return "PC alignment fault";
    case 0x24:
    case 0x25:
        return "data abort";
    case 0x26:
        return "SP alignment fault";
    case 0x28:
    case 0x2c:
        return "floating-point exception";
    case 0x2f:
        return "SError";
    case 0x30:
    case 0x31:
        return "breakpoint";
    case 0x32:
    case 0x33:
        return "software step";
    case 0x34:
    case 0x35:
        return "watchpoint";
    case 0x3c:
        return "BRK instruction";
    default:
        return "unexpected exception class";
    }
}

static const char *const vector_kinds[4] = {"synchronous exception", "IRQ",
                                            "FIQ", "SError"};

static const char *const vector_origins[4] = {" in the exception handler", "",
                                              " from EL0", " from AArch32 EL0"};

#define ESR_EC(esr) ((unsigned)((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)
#define ISS_ABORT_WNR (1U << 6)
#define ISS_ABORT_FNV (1U << 10)
#define ISS_ABORT_STATUS(iss) ((iss)&0x3f)

/* What an instruction or data abort was, from its fault status code. */
static void report_abort(uint64_t esr, uint64_t far)
{
    unsigned ec = ESR_EC(esr);
    uint32_t iss = (uint32_t)ESR_ISS(esr);
    unsigned status = ISS_ABORT_STATUS(iss);
    bool fetch = ec == 0x20 || ec == 0x21;
    bool write = !fetch && (iss & ISS_ABORT_WNR);
    unsigned long long addr = (unsigned long long)far;

    if (iss & ISS_ABORT_FNV) {
        log_printf(LOG_ERROR,
                   "Solo5: trap: fault status 0x%02x, address unknown\n",
                   status);
        return;
    }
    switch (status >> 2) {
    case 0x1: /* translation fault, level 0-3 */
        log_printf(LOG_ERROR, "Solo5: trap: %s unmapped address 0x%llx\n",
                   fetch   ? "instruction fetch from"
                   : write ? "write to"
                           : "read from",
                   addr);
        break;
    case 0x3: /* permission fault, level 0-3 */
        if (fetch)
            log_printf(LOG_ERROR,
                       "Solo5: trap: instruction fetch from non-executable "
                       "page at 0x%llx\n",
                       addr);
        else if (write)
            log_printf(LOG_ERROR,
                       "Solo5: trap: write to read-only page at 0x%llx\n",
                       addr);
        else
            log_printf(LOG_ERROR,
                       "Solo5: trap: protection violation reading 0x%llx\n",
                       addr);
        break;
    case 0x2: /* access flag fault: the tender sets AF everywhere */
        log_printf(LOG_ERROR,
                   "Solo5: trap: access flag fault at 0x%llx (status "
                   "0x%02x)\n",
                   addr, status);
        break;
    default:
        log_printf(LOG_ERROR,
                   "Solo5: trap: %s at 0x%llx, fault status 0x%02x%s\n",
                   fetch   ? "instruction fetch"
                   : write ? "write"
                           : "read",
                   addr, status,
                   status == 0x21   ? " (alignment fault)"
                   : status == 0x10 ? " (external abort)"
                                    : "");
        break;
    }
}

void trap_handler(const struct trap_frame *f)
{
    static int nesting;
    struct hvt_aarch64_trap_cookie *c =
        (struct hvt_aarch64_trap_cookie *)(void *)cookie_buf;
    unsigned vec = (unsigned)f->vector & 15;
    unsigned ec = ESR_EC(f->esr);

    c->magic = HVT_AARCH64_TRAP_COOKIE_MAGIC;
    c->vector = f->vector;
    c->esr = f->esr;
    c->far = f->far;
    c->elr = f->elr;
    c->spsr = f->spsr;
    c->sp = f->sp;
    for (unsigned i = 0; i < 31; i++)
        c->x[i] = f->x[i];

    /* A trap while reporting one: do not try to print again. */
    if (nesting++ > 0)
        platform_exit(SOLO5_EXIT_ABORT, c);

    bool sync = (vec & 3) == 0;
    bool abort = sync && (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25);
    /* FAR_EL1 holds an address only for aborts, PC alignment faults and
     * watchpoints; otherwise it is stale or UNKNOWN. */
    bool far_valid =
        abort || (sync && (ec == 0x22 || ec == 0x34 || ec == 0x35));

    if (sync)
        log_printf(LOG_ERROR,
                   "Solo5: trap: %s%s: %s (EC 0x%02x), ESR 0x%llx, at "
                   "pc=0x%llx\n",
                   vector_kinds[0], vector_origins[vec >> 2],
                   exception_class_name(ec), ec, (unsigned long long)f->esr,
                   (unsigned long long)f->elr);
    else
        log_printf(LOG_ERROR, "Solo5: trap: unexpected %s%s at pc=0x%llx\n",
                   vector_kinds[vec & 3], vector_origins[vec >> 2],
                   (unsigned long long)f->elr);
    if (far_valid)
        log_printf(LOG_ERROR,
                   "Solo5: trap: sp=0x%llx lr=0x%llx pstate=0x%llx "
                   "far=0x%llx\n",
                   (unsigned long long)f->sp, (unsigned long long)f->x[30],
                   (unsigned long long)f->spsr, (unsigned long long)f->far);
    else
        log_printf(LOG_ERROR,
                   "Solo5: trap: sp=0x%llx lr=0x%llx pstate=0x%llx\n",
                   (unsigned long long)f->sp, (unsigned long long)f->x[30],
                   (unsigned long long)f->spsr);
    if (abort)
        report_abort(f->esr, f->far);
    char reason[96];
    if (sync)
        fmt_snprintf(reason, sizeof reason, "fatal trap: %s (EC 0x%02x)",
                     exception_class_name(ec), ec);
    else
        fmt_snprintf(reason, sizeof reason, "fatal trap: unexpected %s%s",
                     vector_kinds[vec & 3], vector_origins[vec >> 2]);
    bindings_abort(reason, c);
}

void cpu_trap_init(void)
{
    uint64_t top = (uint64_t)(uintptr_t)(trap_stack + sizeof trap_stack);

    __asm__ __volatile__("msr sp_el0, %0\n\t"
                         "msr vbar_el1, %1\n\t"
                         "isb"
                         :
                         : "r"(top), "r"((uint64_t)(uintptr_t)trap_vectors)
                         : "memory");
}
