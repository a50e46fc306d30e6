/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_dumpcore_kvm_x86_64.c: the x86_64 registers of a core file. They
 * come from the vCPU, which stopped in the guest's halt hypercall; when the
 * guest died of a CPU exception, its trap cookie has the registers at the
 * faulting instruction instead (all of them from solo5-ng's binding, the
 * instruction and stack pointers from Solo5's).
 */

#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include "hvt.h"
#include "hvt_trap_x86_64.h"

void hvt_dumpcore_arch_prstatus(struct tender *t, const void *cookie,
                                prstatus_t *ps);

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(elf_gregset_t),
               "user_regs_struct is what pr_reg holds");

/* The signal a POSIX process would have died of, for gdb's report. */
static int vector_signal(uint64_t vector)
{
    switch (vector) {
    case 0:  /* #DE */
    case 16: /* #MF */
    case 19: /* #XM */
        return SIGFPE;
    case 1: /* #DB */
    case 3: /* #BP */
        return SIGTRAP;
    case 6: /* #UD */
        return SIGILL;
    case 17: /* #AC */
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

void hvt_dumpcore_arch_prstatus(struct tender *t, const void *cookie,
                                prstatus_t *ps)
{
    struct user_regs_struct *u = (struct user_regs_struct *)&ps->pr_reg;
    struct kvm_regs r;
    struct kvm_sregs s;

    if (ioctl(t->vcpufd, KVM_GET_REGS, &r) == 0) {
        u->rax = r.rax;
        u->rbx = r.rbx;
        u->rcx = r.rcx;
        u->rdx = r.rdx;
        u->rsi = r.rsi;
        u->rdi = r.rdi;
        u->rbp = r.rbp;
        u->rsp = r.rsp;
        u->r8 = r.r8;
        u->r9 = r.r9;
        u->r10 = r.r10;
        u->r11 = r.r11;
        u->r12 = r.r12;
        u->r13 = r.r13;
        u->r14 = r.r14;
        u->r15 = r.r15;
        u->rip = r.rip;
        u->eflags = r.rflags;
    }
    if (ioctl(t->vcpufd, KVM_GET_SREGS, &s) == 0) {
        u->cs = s.cs.selector;
        u->ss = s.ss.selector;
        u->ds = s.ds.selector;
        u->es = s.es.selector;
        u->fs = s.fs.selector;
        u->gs = s.gs.selector;
        u->fs_base = s.fs.base;
        u->gs_base = s.gs.base;
    }
    if (cookie == NULL)
        return;

    const struct hvt_x86_64_trap_cookie *c = cookie;
    u->rip = c->rip;
    u->cs = c->cs;
    u->eflags = c->rflags;
    u->rsp = c->rsp;
    u->ss = c->ss;
    ps->pr_cursig = SIGSEGV;
    if (c->magic != HVT_X86_64_TRAP_COOKIE_MAGIC)
        return;
    ps->pr_cursig = (short)vector_signal(c->vector);
    u->rax = c->rax;
    u->rbx = c->rbx;
    u->rcx = c->rcx;
    u->rdx = c->rdx;
    u->rsi = c->rsi;
    u->rdi = c->rdi;
    u->rbp = c->rbp;
    u->r8 = c->r8;
    u->r9 = c->r9;
    u->r10 = c->r10;
    u->r11 = c->r11;
    u->r12 = c->r12;
    u->r13 = c->r13;
    u->r14 = c->r14;
    u->r15 = c->r15;
}
