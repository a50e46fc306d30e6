/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_kvm_x86_64.c: the x86_64 vCPU under KVM. It starts in 64-bit mode
 * with paging on (the page tables hvt_cpu_x86_64.c built), the boot GDT's
 * segments, no IDT (an exception before the guest installs its own
 * triple-faults, which the run loop reports), the CPUID KVM supports, and
 * a System V style call of the entry point with the boot info as argument.
 *
 * Hypercalls are 32-bit OUTs to port HVT_HYPERCALL_PIO_BASE + nr carrying
 * the guest physical address of the argument block.
 */

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "hvt.h"
#include "hvt_cpu_x86_64.h"

#define CPUID_EXT_FEATURES 0x80000001U
#define CPUID_EXT_EDX_NX (1U << 20)
#define CPUID_MAX_ENTRIES 4096

void hvt_kvm_arch_check(struct tender *t)
{
    if (hvt_kvm_check_cap(t, KVM_CAP_EXT_CPUID) <= 0)
        die("/dev/kvm: KVM lacks KVM_CAP_EXT_CPUID (CPUID for the guest)");
    if (hvt_kvm_check_cap(t, KVM_CAP_GET_TSC_KHZ) <= 0)
        die("/dev/kvm: KVM lacks KVM_CAP_GET_TSC_KHZ (the guest clock needs "
            "the TSC frequency)");
}

static struct kvm_cpuid2 *supported_cpuid(struct tender *t)
{
    /* 256 entries cover every CPU KVM knows today in one call (the kernel
     * itself offers at most 256): each E2BIG retry costs a full query. */
    for (unsigned n = 256; n <= CPUID_MAX_ENTRIES; n *= 2) {
        struct kvm_cpuid2 *c =
            calloc(1, sizeof *c + n * sizeof(struct kvm_cpuid_entry2));
        if (c == NULL)
            die("out of memory");
        c->nent = n;
        if (ioctl(t->kvmfd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        if (errno != E2BIG)
            die_errno("/dev/kvm: KVM_GET_SUPPORTED_CPUID");
        free(c);
    }
    die("/dev/kvm: KVM_GET_SUPPORTED_CPUID reports more than %d entries",
        CPUID_MAX_ENTRIES);
}

static void setup_cpuid(struct tender *t)
{
    struct kvm_cpuid2 *c = supported_cpuid(t);
    bool nx = false;

    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function == CPUID_EXT_FEATURES)
            nx = (c->entries[i].edx & CPUID_EXT_EDX_NX) != 0;
    }
    if (!nx)
        die("/dev/kvm: KVM does not offer the NX (no-execute) page bit, "
            "which solo5-hvt needs to keep guest data non-executable");
    if (ioctl(t->vcpufd, KVM_SET_CPUID2, c) == -1)
        die_errno("/dev/kvm: KVM_SET_CPUID2");
    free(c);
}

static void setup_tsc(struct tender *t)
{
    int khz = ioctl(t->vcpufd, KVM_GET_TSC_KHZ, 0);

    if (khz == -1 && errno == EIO)
        die("/dev/kvm: the host TSC is unstable; the guest clock needs a "
            "stable TSC");
    if (khz == -1)
        die_errno("/dev/kvm: KVM_GET_TSC_KHZ");
    if (khz <= 0)
        die("/dev/kvm: KVM reports a TSC frequency of %d kHz", khz);
    t->cpu_cycle_freq = (uint64_t)khz * 1000;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, bool code)
{
    return (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffff,
        .selector = selector,
        .type = type,
        .present = 1,
        .dpl = 0,
        .db = code ? 0 : 1,
        .s = 1,
        .l = code ? 1 : 0,
        .g = 1,
    };
}

void hvt_kvm_arch_vcpu_init(struct tender *t)
{
    setup_cpuid(t);
    setup_tsc(t);

    struct kvm_sregs sregs;
    if (ioctl(t->vcpufd, KVM_GET_SREGS, &sregs) == -1)
        die_errno("/dev/kvm: KVM_GET_SREGS");
    sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
    sregs.cr3 = X86_PML4_BASE;
    sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    sregs.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
    sregs.cs = segment(X86_GDT_CODE, 0xb, true);  /* execute/read, accessed */
    sregs.ds = segment(X86_GDT_DATA, 0x3, false); /* read/write, accessed */
    sregs.es = sregs.ds;
    sregs.fs = sregs.ds;
    sregs.gs = sregs.ds;
    sregs.ss = sregs.ds;
    sregs.gdt.base = X86_GDT_BASE;
    sregs.gdt.limit = X86_GDT_ENTRIES * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    /* A busy 64-bit TSS, as VM entry requires one; never used. */
    sregs.tr = (struct kvm_segment){
        .base = 0, .limit = 0x67, .selector = 0, .type = 0xb, .present = 1};
    sregs.ldt = (struct kvm_segment){.selector = 0, .unusable = 1};
    if (ioctl(t->vcpufd, KVM_SET_SREGS, &sregs) == -1)
        die_errno("/dev/kvm: KVM_SET_SREGS (64-bit mode set-up)");

    /* As if called: the stack 8 bytes below a 16-byte boundary. */
    struct kvm_regs regs = {
        .rip = t->entry,
        .rsp = t->mem_size - 8,
        .rdi = X86_BOOT_INFO_BASE,
        .rflags = X86_RFLAGS_RESERVED,
    };
    if (ioctl(t->vcpufd, KVM_SET_REGS, &regs) == -1)
        die_errno("/dev/kvm: KVM_SET_REGS");
}

uint64_t hvt_kvm_arch_pc(struct tender *t)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (ioctl(t->vcpufd, KVM_GET_REGS, &regs) == -1)
        return HVT_PC_UNKNOWN;
    /* The reset vector: KVM re-initialised the vCPU (AMD does that after
     * a shutdown), so this is not where the guest was. */
    if (regs.rip == 0xfff0 && ioctl(t->vcpufd, KVM_GET_SREGS, &sregs) == 0 &&
        sregs.cs.selector == 0xf000)
        return HVT_PC_UNKNOWN;
    return regs.rip;
}

bool hvt_kvm_arch_hypercall(struct tender *t, unsigned *nr, hvt_gpa_t *gpa)
{
    struct kvm_run *run = t->run;

    if (run->exit_reason != KVM_EXIT_IO)
        return false;
    unsigned port = run->io.port;
    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
        run->io.count != 1 || port <= HVT_HYPERCALL_PIO_BASE ||
        port >= HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX)
        hvt_guest_violation(t,
                            "the guest %s %u byte(s) on I/O port 0x%x at "
                            "rip=0x%llx, which is not an hvt hypercall",
                            run->io.direction == KVM_EXIT_IO_OUT ? "wrote"
                                                                 : "read",
                            (unsigned)run->io.size * run->io.count, port,
                            (unsigned long long)hvt_kvm_arch_pc(t));
    *nr = port - HVT_HYPERCALL_PIO_BASE;
    *gpa = *(const uint32_t *)((const uint8_t *)run + run->io.data_offset);
    return true;
}

void hvt_kvm_arch_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    SC_ALLOW(p, "ioctl(KVM_GET_REGS)", SYS_ioctl, SC_ARG(0, SC_EQ, in->vcpufd),
             SC_ARG(1, SC_EQ, KVM_GET_REGS));
    SC_ALLOW(p, "ioctl(KVM_GET_SREGS)", SYS_ioctl, SC_ARG(0, SC_EQ, in->vcpufd),
             SC_ARG(1, SC_EQ, KVM_GET_SREGS));
}
