/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_kvm_aarch64.c: the aarch64 vCPU under KVM. It is initialised as the
 * host's preferred target, then starts at EL1 on SP_EL1 with D, A, I and F
 * masked, the MMU and caches on (the page tables hvt_cpu_aarch64.c built),
 * FP/SIMD enabled, the boot vectors installed, the stack pointer at the top
 * of guest memory and the boot info's address in x0, as for a call of the
 * entry point. Registers are set one by one with KVM_SET_ONE_REG.
 *
 * Hypercalls are 32-bit stores of the argument's guest physical address to
 * HVT_HYPERCALL_ADDRESS(nr), outside guest memory: KVM reports each as an
 * MMIO exit. The clock is the generic timer, whose frequency (CNTFRQ_EL0)
 * the guest sees as the host does.
 */

#include <asm/ptrace.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "hvt.h"
#include "hvt_cpu_aarch64.h"

#define CORE_REG(name)                                                         \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                     \
     KVM_REG_ARM_CORE_REG(name))

#define REG_X(n) CORE_REG(regs.regs[n])
#define REG_PC CORE_REG(regs.pc)
#define REG_PSTATE CORE_REG(regs.pstate)
#define REG_SP_EL1 CORE_REG(sp_el1)
#define REG_ELR_EL1 CORE_REG(elr_el1)

#define REG_SCTLR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 0)
#define REG_CPACR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 2)
#define REG_TTBR0_EL1 ARM64_SYS_REG(3, 0, 2, 0, 0)
#define REG_TCR_EL1 ARM64_SYS_REG(3, 0, 2, 0, 2)
#define REG_ESR_EL1 ARM64_SYS_REG(3, 0, 5, 2, 0)
#define REG_FAR_EL1 ARM64_SYS_REG(3, 0, 6, 0, 0)
#define REG_MAIR_EL1 ARM64_SYS_REG(3, 0, 10, 2, 0)
#define REG_VBAR_EL1 ARM64_SYS_REG(3, 0, 12, 0, 0)
#define REG_ID_AA64MMFR0_EL1 ARM64_SYS_REG(3, 0, 0, 7, 0)

/* EL1 on SP_EL1, debug exceptions, SError, IRQ and FIQ masked. */
#define PSTATE_INIT                                                            \
    (PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/* SCTLR_EL1: MMU, alignment checking, data cache, SP alignment checking,
 * instruction cache, write implies execute-never. */
#define SCTLR_M (1ULL << 0)
#define SCTLR_A (1ULL << 1)
#define SCTLR_C (1ULL << 2)
#define SCTLR_SA (1ULL << 3)
#define SCTLR_I (1ULL << 12)
#define SCTLR_WXN (1ULL << 19)

/* CPACR_EL1.FPEN = 0b11: FP/SIMD does not trap. */
#define CPACR_FPEN (3ULL << 20)

/*
 * TCR_EL1: TTBR0 walks for 39-bit addresses (T0SZ = 25, so they start at
 * level 1) through inner shareable write-back tables with a 4 KiB granule
 * (TG0 = 0); no TTBR1 walks (EPD1); 36-bit physical addresses (IPS = 1),
 * enough for the hypercall page at 4 GiB.
 */
#define TCR_T0SZ(bits) ((uint64_t)(64 - (bits)) << 0)
#define TCR_IRGN0_WBWA (1ULL << 8)
#define TCR_ORGN0_WBWA (1ULL << 10)
#define TCR_SH0_INNER (3ULL << 12)
#define TCR_EPD1 (1ULL << 23)
#define TCR_IPS_36BIT (1ULL << 32)
#define TCR_INIT                                                               \
    (TCR_T0SZ(39) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |          \
     TCR_EPD1 | TCR_IPS_36BIT)

/* MAIR_EL1: attribute 0 normal write-back (read/write-allocate, inner and
 * outer), attribute 1 Device-nGnRnE. */
#define MAIR_INIT                                                              \
    ((0xffULL << (8 * A64_ATTR_NORMAL)) | (0x00ULL << (8 * A64_ATTR_DEVICE)))

/* ID_AA64MMFR0_EL1 fields. */
#define MMFR0_PARANGE(v) ((unsigned)(v)&0xf)
#define MMFR0_TGRAN4(v) ((unsigned)((v) >> 28) & 0xf)

static int get_reg(struct tender *t, uint64_t id, uint64_t *value)
{
    struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

    return ioctl(t->vcpufd, KVM_GET_ONE_REG, &r);
}

static void set_reg(struct tender *t, uint64_t id, uint64_t value,
                    const char *name)
{
    struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&value};

    if (ioctl(t->vcpufd, KVM_SET_ONE_REG, &r) == -1)
        die_errno("/dev/kvm: cannot set the vCPU's %s (KVM_SET_ONE_REG)", name);
}

static uint64_t must_get_reg(struct tender *t, uint64_t id, const char *name)
{
    uint64_t v;

    if (get_reg(t, id, &v) == -1)
        die_errno("/dev/kvm: cannot read the vCPU's %s (KVM_GET_ONE_REG)",
                  name);
    return v;
}

void hvt_kvm_arch_check(struct tender *t)
{
    if (hvt_kvm_check_cap(t, KVM_CAP_ONE_REG) <= 0)
        die("/dev/kvm: KVM lacks KVM_CAP_ONE_REG (setting vCPU registers)");
}

static void vcpu_init_target(struct tender *t)
{
    struct kvm_vcpu_init init;

    memset(&init, 0, sizeof init);
    if (ioctl(t->vmfd, KVM_ARM_PREFERRED_TARGET, &init) == -1)
        die_errno("/dev/kvm: KVM_ARM_PREFERRED_TARGET");
    if (ioctl(t->vcpufd, KVM_ARM_VCPU_INIT, &init) == -1)
        die_errno("/dev/kvm: KVM_ARM_VCPU_INIT (target %u)",
                  (unsigned)init.target);
}

/* Dies unless the vCPU can use the translation regime set up here. */
static void check_mmu(struct tender *t)
{
    uint64_t mmfr0 = must_get_reg(t, REG_ID_AA64MMFR0_EL1, "ID_AA64MMFR0_EL1");

    if (MMFR0_TGRAN4(mmfr0) == 0xf)
        die("/dev/kvm: the vCPU does not support 4 KiB translation "
            "granules, which solo5-hvt's page tables use");
    if (MMFR0_PARANGE(mmfr0) < 1)
        die("/dev/kvm: the vCPU has 32-bit physical addresses; the hvt "
            "hypercall window at 4 GiB needs at least 36 bits");
}

static uint64_t counter_frequency(void)
{
    uint64_t f;

    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
    if (f == 0)
        die("CNTFRQ_EL0 is 0: the firmware did not program the generic "
            "timer's frequency, which the guest clock needs");
    return f;
}

/*
 * A guest access to MMIO that KVM cannot decode (a load/store pair, or one
 * with writeback, to the hypercall window) fails KVM_RUN with ENOSYS
 * unless user space asks for such accesses as exits: ask, so the tender
 * can say what the guest did. Kernels before 5.5 lack the capability; the
 * run loop then reports the failed KVM_RUN.
 */
static void enable_nisv_exits(struct tender *t)
{
    struct kvm_enable_cap cap = {.cap = KVM_CAP_ARM_NISV_TO_USER};

    if (hvt_kvm_check_cap(t, KVM_CAP_ARM_NISV_TO_USER) <= 0)
        return;
    if (ioctl(t->vmfd, KVM_ENABLE_CAP, &cap) == -1)
        die_errno("/dev/kvm: KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER)");
}

void hvt_kvm_arch_vcpu_init(struct tender *t)
{
    enable_nisv_exits(t);
    vcpu_init_target(t);
    check_mmu(t);
    t->cpu_cycle_freq = counter_frequency();

    uint64_t cpacr = must_get_reg(t, REG_CPACR_EL1, "CPACR_EL1");
    set_reg(t, REG_CPACR_EL1, cpacr | CPACR_FPEN, "CPACR_EL1");

    set_reg(t, REG_MAIR_EL1, MAIR_INIT, "MAIR_EL1");
    set_reg(t, REG_TCR_EL1, TCR_INIT, "TCR_EL1");
    set_reg(t, REG_TTBR0_EL1, A64_PT_BASE, "TTBR0_EL1");
    set_reg(t, REG_VBAR_EL1, A64_BOOT_VECTORS, "VBAR_EL1");
    uint64_t sctlr = must_get_reg(t, REG_SCTLR_EL1, "SCTLR_EL1");
    sctlr &= ~SCTLR_A;
    sctlr |= SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN;
    set_reg(t, REG_SCTLR_EL1, sctlr, "SCTLR_EL1");

    set_reg(t, REG_PSTATE, PSTATE_INIT, "PSTATE");
    set_reg(t, REG_SP_EL1, t->mem_size, "SP_EL1");
    set_reg(t, REG_X(0), A64_BOOT_INFO_BASE, "x0");
    set_reg(t, REG_PC, t->entry, "pc");
}

uint64_t hvt_kvm_arch_pc(struct tender *t)
{
    uint64_t pc;

    if (get_reg(t, REG_PC, &pc) == -1)
        return HVT_PC_UNKNOWN;
    return pc;
}

/* The guest took an exception through the boot vectors: before it
 * installed its own, or after pointing VBAR_EL1 back at them. */
static void NORETURN boot_trap(struct tender *t, uint32_t vector)
{
    uint64_t esr = 0, elr = 0, far = 0;

    (void)get_reg(t, REG_ESR_EL1, &esr);
    (void)get_reg(t, REG_ELR_EL1, &elr);
    (void)get_reg(t, REG_FAR_EL1, &far);
    if ((vector & 3) != 0)
        hvt_guest_crash(t,
                        "the guest took an unexpected %s at pc=0x%llx "
                        "before installing its exception vectors",
                        (vector & 3) == 1   ? "IRQ"
                        : (vector & 3) == 2 ? "FIQ"
                                            : "SError",
                        (unsigned long long)elr);
    unsigned ec = A64_ESR_EC(esr);
    char far_msg[32] = "";
    /* FAR_EL1 holds an address only for aborts and alignment faults. */
    if (ec == 0x20 || ec == 0x21 || ec == 0x22 || ec == 0x24 || ec == 0x25)
        snprintf(far_msg, sizeof far_msg, ", FAR 0x%llx",
                 (unsigned long long)far);
    hvt_guest_crash(t,
                    "the guest took an exception it could not handle (no "
                    "exception vectors installed): %s (EC 0x%02x) at "
                    "pc=0x%llx, ESR 0x%llx%s",
                    a64_exception_class_name(ec), ec, (unsigned long long)elr,
                    (unsigned long long)esr, far_msg);
}

bool hvt_kvm_arch_hypercall(struct tender *t, unsigned *nr, hvt_gpa_t *gpa)
{
    struct kvm_run *run = t->run;

    if (run->exit_reason == KVM_EXIT_ARM_NISV)
        hvt_guest_violation(
            t,
            "the guest accessed guest physical address 0x%llx, outside its "
            "memory, at pc=0x%llx with an instruction KVM cannot emulate "
            "(ESR ISS 0x%llx), which is not an hvt hypercall",
            (unsigned long long)run->arm_nisv.fault_ipa,
            (unsigned long long)hvt_kvm_arch_pc(t),
            (unsigned long long)run->arm_nisv.esr_iss);
    if (run->exit_reason != KVM_EXIT_MMIO)
        return false;
    uint64_t addr = run->mmio.phys_addr;
    uint32_t value = 0;
    if (run->mmio.is_write && run->mmio.len == 4)
        memcpy(&value, run->mmio.data, sizeof value);
    if (addr == A64_BOOT_TRAP_ADDR && run->mmio.is_write)
        boot_trap(t, value);
    if (addr < HVT_HYPERCALL_MMIO_BASE ||
        addr >= HVT_HYPERCALL_ADDRESS(HVT_HYPERCALL_MAX))
        return false;
    if (!run->mmio.is_write || run->mmio.len != 4 || (addr & 7) != 0 ||
        HVT_HYPERCALL_NR(addr) == 0)
        hvt_guest_violation(
            t,
            "the guest %s %u byte(s) at 0x%llx in the hypercall "
            "window at pc=0x%llx, which is not an hvt hypercall",
            run->mmio.is_write ? "wrote" : "read", (unsigned)run->mmio.len,
            (unsigned long long)addr, (unsigned long long)hvt_kvm_arch_pc(t));
    *nr = (unsigned)HVT_HYPERCALL_NR(addr);
    *gpa = value;
    return true;
}

void hvt_kvm_arch_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    SC_ALLOW(p, "ioctl(KVM_GET_ONE_REG)", SYS_ioctl,
             SC_ARG(0, SC_EQ, in->vcpufd), SC_ARG(1, SC_EQ, KVM_GET_ONE_REG));
}
