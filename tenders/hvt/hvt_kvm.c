/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_kvm.c: Linux KVM: opening /dev/kvm, creating the VM with its memory
 * and vCPU, and the run loop. What differs between architectures (vCPU
 * registers, how a hypercall looks as an exit) is in hvt_kvm_<arch>.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt.h"

#define KVM_DEVICE "/dev/kvm"

static void NORETURN die_no_access(void)
{
    struct stat st;
    char group[64] = "";

    if (stat(KVM_DEVICE, &st) == 0) {
        struct group *g = getgrgid(st.st_gid);
        if (g != NULL && st.st_gid != 0 && (st.st_mode & 060) != 0)
            snprintf(group, sizeof group, "%s", g->gr_name);
    }
    if (group[0] != '\0')
        die("%s: permission denied (add your user to group '%s', which "
            "owns %s, and log in again)",
            KVM_DEVICE, group, KVM_DEVICE);
    die("%s: permission denied (the device is only accessible to its "
        "owner; give your user access, e.g. through a 'kvm' group)",
        KVM_DEVICE);
}

int hvt_kvm_check_cap(struct tender *t, int cap)
{
    int rc = ioctl(t->kvmfd, KVM_CHECK_EXTENSION, cap);
    if (rc == -1)
        die_errno("%s: KVM_CHECK_EXTENSION(%d) failed", KVM_DEVICE, cap);
    return rc;
}

void hvt_kvm_open(struct tender *t)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

    if (fd == -1) {
        switch (errno) {
        case ENOENT:
            die("%s does not exist: KVM is not available on this host "
                "(load the kvm_intel or kvm_amd module and enable "
                "virtualization in the firmware; inside a virtual machine, "
                "enable nested virtualization)",
                KVM_DEVICE);
        case EACCES:
        case EPERM:
            die_no_access();
        case ENXIO:
        case ENODEV:
            die("%s: no KVM behind the device node (is the kvm module "
                "loaded, and does the CPU support virtualization?)",
                KVM_DEVICE);
        default:
            die_errno("cannot open %s", KVM_DEVICE);
        }
    }
    t->kvmfd = fd;

    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version == -1)
        die_errno("%s: KVM_GET_API_VERSION failed (is it a KVM device?)",
                  KVM_DEVICE);
    if (version != KVM_API_VERSION)
        die("%s: KVM API version %d, this tender needs version %d", KVM_DEVICE,
            version, KVM_API_VERSION);
    if (hvt_kvm_check_cap(t, KVM_CAP_USER_MEMORY) <= 0)
        die("%s: KVM lacks KVM_CAP_USER_MEMORY (guest memory from user "
            "space)",
            KVM_DEVICE);
    hvt_kvm_arch_check(t);
}

void hvt_kvm_create(struct tender *t)
{
    do {
        t->vmfd = ioctl(t->kvmfd, KVM_CREATE_VM, 0);
    } while (t->vmfd == -1 && errno == EINTR);
    if (t->vmfd == -1)
        die_errno("%s: cannot create a virtual machine (KVM_CREATE_VM)",
                  KVM_DEVICE);

    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = t->mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)t->mem,
    };
    if (ioctl(t->vmfd, KVM_SET_USER_MEMORY_REGION, &region) == -1)
        die_errno("%s: cannot give the VM %llu MB of memory "
                  "(KVM_SET_USER_MEMORY_REGION)",
                  KVM_DEVICE, (unsigned long long)(t->mem_size >> 20));

    t->vcpufd = ioctl(t->vmfd, KVM_CREATE_VCPU, 0);
    if (t->vcpufd == -1)
        die_errno("%s: cannot create a vCPU (KVM_CREATE_VCPU)", KVM_DEVICE);

    int size = ioctl(t->kvmfd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size == -1)
        die_errno("%s: KVM_GET_VCPU_MMAP_SIZE", KVM_DEVICE);
    if ((size_t)size < sizeof(struct kvm_run))
        die("%s: KVM_GET_VCPU_MMAP_SIZE is only %d bytes", KVM_DEVICE, size);
    void *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
                     t->vcpufd, 0);
    if (run == MAP_FAILED)
        die_errno("%s: cannot map the vCPU's run structure", KVM_DEVICE);
    t->run = run;
    t->run_size = (size_t)size;
}

/* "rip=0x..." for messages. */
static void where(struct tender *t, char *buf, size_t size)
{
    uint64_t pc = hvt_kvm_arch_pc(t);

    if (pc == HVT_PC_UNKNOWN)
        snprintf(buf, size, "an unknown %s (the vCPU state is lost)",
                 hvt_arch.pc_name);
    else
        snprintf(buf, size, "%s=0x%llx", hvt_arch.pc_name,
                 (unsigned long long)pc);
}

static const char *internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "event delivery failed";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "unexpected exit reason from hardware";
    default:
        return "unknown suberror";
    }
}

/* "66 0f ef c0 ..." for the bytes at (pc), or "" if they are not in guest
 * memory (the guest runs identity-mapped). */
static void code_bytes(struct tender *t, uint64_t pc, char *buf, size_t size)
{
    const uint8_t *p = NULL;
    size_t n = 8;

    buf[0] = '\0';
    if (pc == HVT_PC_UNKNOWN)
        return;
    while (n > 0 && (p = hvt_gpa_or_null(t, pc, n)) == NULL)
        n--;
    for (size_t i = 0, len = 0; p != NULL && i < n && len + 4 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%02x",
                                i > 0 ? " " : "", p[i]);
}

static void NORETURN internal_error(struct tender *t, const char *at)
{
    uint64_t pc = hvt_kvm_arch_pc(t);
    uint32_t sub = t->run->internal.suberror;
    char bytes[40];

    code_bytes(t, pc, bytes, sizeof bytes);
    hvt_guest_crash(
        t,
        "KVM internal error at %s%s%s (suberror %u: %s): this host's KVM "
        "may be one that cannot emulate the instruction at %s (a paravirtual "
        "or instruction-emulating KVM, as on some cloud machines, rejects "
        "most SSE instructions; see \"Where hvt tests run\" in "
        "docs/testing.md)",
        at, bytes[0] != '\0' ? ", instruction bytes " : "", bytes,
        (unsigned)sub, internal_error_name(sub), hvt_arch.pc_name);
}

static void run_hypercall(struct tender *t, unsigned nr, hvt_gpa_t gpa)
{
    hvt_hypercall_fn fn = nr < HVT_HYPERCALL_MAX ? t->hypercalls[nr] : NULL;

    if (fn == NULL) {
        char at[64];
        where(t, at, sizeof at);
        hvt_guest_violation(t,
                            "the guest made hypercall %u (%s) at %s, which "
                            "this VM does not offer (no such device "
                            "attached?)",
                            nr, hvt_hypercall_name(nr), at);
    }
    fn(t, gpa);
}

/*
 * Every argument block holds 64-bit fields, so the guest's compiler aligns
 * it to 8 bytes; the handlers read it as a C struct, which an unaligned
 * block would make undefined behaviour in the tender.
 */
static void check_aligned(struct tender *t, unsigned nr, hvt_gpa_t gpa)
{
    if (gpa % 8 == 0)
        return;
    char at[64];
    where(t, at, sizeof at);
    hvt_guest_violation(t,
                        "hypercall %u (%s) at %s: its argument block at "
                        "0x%llx is not 8-byte aligned",
                        nr, hvt_hypercall_name(nr), at,
                        (unsigned long long)gpa);
}

int hvt_kvm_run(struct tender *t)
{
    for (;;) {
        if (ioctl(t->vcpufd, KVM_RUN, 0) == -1) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            int e = errno;
            char at[64];
            where(t, at, sizeof at);
            hvt_guest_crash(t, "KVM_RUN failed at %s: %s", at, strerror(e));
        }

        unsigned nr;
        hvt_gpa_t gpa;
        if (hvt_kvm_arch_hypercall(t, &nr, &gpa)) {
            check_aligned(t, nr, gpa);
            if (nr == HVT_HYPERCALL_HALT)
                return hvt_core_halt(t, gpa);
            run_hypercall(t, nr, gpa);
            continue;
        }

        struct kvm_run *run = t->run;
        char at[64];
        where(t, at, sizeof at);
        switch (run->exit_reason) {
        case KVM_EXIT_HLT:
            hvt_guest_crash(t,
                            "the guest halted its CPU at %s without the halt "
                            "hypercall",
                            at);
        case KVM_EXIT_SHUTDOWN:
            hvt_guest_crash(t,
                            "the guest triple-faulted (KVM shutdown exit) at "
                            "%s: an exception occurred that it could not "
                            "handle",
                            at);
        case KVM_EXIT_INTERNAL_ERROR:
            internal_error(t, at);
        case KVM_EXIT_FAIL_ENTRY:
            hvt_guest_crash(t,
                            "KVM could not enter the guest at %s (hardware "
                            "entry failure reason 0x%llx)",
                            at,
                            (unsigned long long)
                                run->fail_entry.hardware_entry_failure_reason);
        case KVM_EXIT_MMIO:
            hvt_guest_violation(
                t,
                "the guest %s %u bytes at guest physical address "
                "0x%llx, outside its memory, at %s",
                run->mmio.is_write ? "wrote" : "read", (unsigned)run->mmio.len,
                (unsigned long long)run->mmio.phys_addr, at);
        default:
            hvt_guest_crash(t, "unexpected KVM exit (reason %u) at %s",
                            (unsigned)run->exit_reason, at);
        }
    }
}
