/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_dumpcore_kvm_aarch64.c: the aarch64 registers of a core file
 * (x0-x30, sp, pc, pstate, as in a Linux process's NT_PRSTATUS). They come
 * from the vCPU, which stopped in the guest's halt hypercall; when the
 * guest died of an exception, its trap cookie has the registers at the
 * faulting instruction instead (solo5-ng's binding; Solo5's passes none).
 */

#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include "hvt.h"
#include "hvt_cpu_aarch64.h"
#include "hvt_trap_aarch64.h"

void hvt_dumpcore_arch_prstatus(struct tender *t, const void *cookie,
                                prstatus_t *ps);

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(elf_gregset_t),
               "user_regs_struct is what pr_reg holds");

#define CORE_REG(name)                                                         \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                     \
     KVM_REG_ARM_CORE_REG(name))

/* The signal a Linux process would have died of, for gdb's report. */
static int exception_signal(uint64_t vector, uint64_t esr)
{
    if ((vector & 3) != 0) /* IRQ, FIQ, SError */
        return SIGBUS;
    switch (A64_ESR_EC(esr)) {
    case 0x00: /* undefined instruction */
    case 0x0e: /* illegal execution state */
        return SIGILL;
    case 0x15: /* SVC */
        return SIGSYS;
    case 0x22: /* PC alignment */
    case 0x26: /* SP alignment */
        return SIGBUS;
    case 0x2c: /* floating point */
        return SIGFPE;
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x3c: /* BRK */
        return SIGTRAP;
    default:
        return SIGSEGV;
    }
}

static void get(struct tender *t, uint64_t id, unsigned long long *out)
{
    uint64_t v;
    struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&v};

    if (ioctl(t->vcpufd, KVM_GET_ONE_REG, &r) == 0)
        *out = v;
}

void hvt_dumpcore_arch_prstatus(struct tender *t, const void *cookie,
                                prstatus_t *ps)
{
    struct user_regs_struct *u = (struct user_regs_struct *)&ps->pr_reg;

    for (unsigned i = 0; i < 31; i++)
        get(t, CORE_REG(regs.regs[i]), &u->regs[i]);
    /* The guest runs on SP_EL1; regs.sp is SP_EL0. */
    get(t, CORE_REG(sp_el1), &u->sp);
    get(t, CORE_REG(regs.pc), &u->pc);
    get(t, CORE_REG(regs.pstate), &u->pstate);

    const struct hvt_aarch64_trap_cookie *c = cookie;
    if (c == NULL || c->magic != HVT_AARCH64_TRAP_COOKIE_MAGIC)
        return;
    ps->pr_cursig = (short)exception_signal(c->vector, c->esr);
    for (unsigned i = 0; i < 31; i++)
        u->regs[i] = c->x[i];
    u->sp = c->sp;
    u->pc = c->elr;
    u->pstate = c->spsr;
}
