/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt.h: the solo5-hvt tender. It runs the unikernel alone in a KVM virtual
 * machine with one vCPU, its memory identity-mapped, and serves its
 * hypercalls (hvt_abi.h) in a run loop confined by a seccomp filter.
 *
 * Parts:
 *   hvt_main.c            command line and the order of start-up
 *   hvt_mem.c             guest memory, loading the ELF, the boot info
 *   hvt_core.c            hypercalls every guest has; halt; guest crashes
 *   hvt_seccomp.c         the seccomp filter
 *   hvt_kvm.c             /dev/kvm, the VM, the vCPU and the run loop
 *   hvt_kvm_<arch>.c      vCPU registers and exits of one architecture
 *   hvt_cpu_<arch>.c      page tables and other CPU tables in guest memory
 *   hvt_module_*.c        options: block, net, dumpcore
 *   hvt_dumpcore_kvm_<arch>.c  registers for core files
 */

#ifndef TENDER_HVT_H
#define TENDER_HVT_H

#include <stddef.h>
#include <stdint.h>

#define HVT_HOST
#include "hvt_abi.h"
#include "module.h"
#include "seccomp_bpf.h"
#include "tender.h"

#define HVT_DEFAULT_MEM_MB 512
#define HVT_BLOCK_SIZE 512
#define HVT_MAX_SEGMENTS 16
#define HVT_MAX_HALT_HOOKS 4

struct tender;
struct kvm_run;

/*
 * Everything the seccomp policy depends on, as plain values, so that a test
 * (tenders/test/seccomp_dump_hvt.c) can build the policy of any
 * configuration with the same code the tender runs. hvt_seccomp_load()
 * fills in the core's fields from struct tender; modules fill in theirs in
 * their setup().
 */
struct tender_policy_in {
    const struct mft *mft; /* attached block and net devices, host fds */
    int vcpufd;
    int epollfd;
    int timerfd;
    /* The descriptor the kernel gives the next one created under the
     * filter (the lowest free one when it is installed). */
    int next_fd;
    int core_dirfd; /* --dumpcore: the directory, or -1 */
    /* --dumpcore: the arguments of its one mincore() call. */
    uint64_t core_mem, core_mem_size, core_vec;
};

typedef void (*hvt_hypercall_fn)(struct tender *t, hvt_gpa_t gpa);
/* (cookie) is NULL or HVT_HALT_COOKIE_MAX readable bytes. */
typedef void (*hvt_halt_fn)(struct tender *t, int status, const void *cookie);

/* A loaded ELF segment, page-aligned, with its p_flags. */
struct hvt_segment {
    uint64_t addr;
    uint64_t len;
    uint32_t flags;
};

struct tender {
    const char *file; /* the unikernel */
    struct mft *mft;  /* its manifest, devices filled in by modules */
    size_t mft_size;

    uint8_t *mem; /* guest memory, guest physical address 0 */
    uint64_t mem_size;
    uint64_t entry;
    uint64_t kernel_end;
    struct hvt_segment segs[HVT_MAX_SEGMENTS];
    unsigned nsegs;

    int kvmfd;
    int vmfd;
    int vcpufd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t cpu_cycle_freq; /* Hz, for the boot info */

    hvt_hypercall_fn hypercalls[HVT_HYPERCALL_MAX];
    hvt_halt_fn halt_hooks[HVT_MAX_HALT_HOOKS];
    unsigned nhalt_hooks;
    int epollfd;
    int timerfd;
    unsigned npollfds;

    struct tender_policy_in policy;
};

/*
 * ---- Architecture facts (hvt_cpu_<arch>.c) ----
 *
 * Where the boot info, command line and manifest go in guest memory
 * (below HVT_GUEST_MIN_BASE), and the largest guest memory.
 */
struct hvt_arch {
    const char *pc_name; /* "rip", "pc": for messages */
    uint64_t max_mem;    /* bytes */
    uint64_t boot_info_gpa;
    uint64_t cmdline_gpa;
    uint64_t mft_gpa;
    uint64_t mft_max; /* bytes available at mft_gpa */
};

extern const struct hvt_arch hvt_arch;

/* Builds page tables and the like in guest memory, from t->segs. */
void hvt_cpu_setup(struct tender *t);

/*
 * ---- Guest memory (hvt_mem.c) ----
 */
void hvt_mem_alloc(struct tender *t);
struct elf_image;
void hvt_mem_load(struct tender *t, const struct elf_image *img);
void hvt_boot_info_init(struct tender *t, int argc, char **argv);

/*
 * The host address of guest range [gpa, gpa + len), or a guest crash naming
 * (what) if any of it is outside guest memory.
 */
void *hvt_checked_gpa(struct tender *t, hvt_gpa_t gpa, uint64_t len,
                      const char *what);
/* Same, NULL instead of a crash. */
void *hvt_gpa_or_null(const struct tender *t, hvt_gpa_t gpa, uint64_t len);

/*
 * ---- Core (hvt_core.c) ----
 */
void hvt_core_init(struct tender *t);
void hvt_core_register_hypercall(struct tender *t, unsigned nr,
                                 hvt_hypercall_fn fn);
void hvt_core_register_halt_hook(struct tender *t, hvt_halt_fn fn);
/* Adds (fd) to the set the poll hypercall waits on, reported as (handle). */
void hvt_core_add_pollfd(struct tender *t, int fd, unsigned handle);
/* The halt hypercall: runs the halt hooks, returns the exit status. */
int hvt_core_halt(struct tender *t, hvt_gpa_t gpa);
const char *hvt_hypercall_name(unsigned nr);

/*
 * The guest stopped abnormally: prints "solo5-hvt: <message>", lets the
 * halt hooks see it as an abort (a core dump, say) and exits with
 * SOLO5_EXIT_ABORT (255), the status of a guest that aborts itself.
 */
void hvt_guest_crash(struct tender *t, const char *fmt, ...)
    PRINTF_LIKE(2, 3) NORETURN;
/*
 * The guest broke the hypercall ABI (an address outside its memory, a
 * malformed or unknown hypercall): hvt_guest_crash() with the message
 * prefixed "guest violation: ", so every such stop reads the same.
 */
void hvt_guest_violation(struct tender *t, const char *fmt, ...)
    PRINTF_LIKE(2, 3) NORETURN;

/*
 * ---- seccomp (hvt_seccomp.c) ----
 */
/* The whole policy: the core's rules, the arch's, then each module's. */
void hvt_policy_build(struct sc_policy *p, const struct tender_policy_in *in);
/* Builds the policy for (t), compiles it and installs it. */
void hvt_seccomp_load(struct tender *t);
/* hvt_core.c: the rules of the core's hypercalls. */
void hvt_core_policy(struct sc_policy *p, const struct tender_policy_in *in);

/*
 * ---- KVM (hvt_kvm.c) ----
 */
/* Opens /dev/kvm and checks it is usable; dies saying why not. */
void hvt_kvm_open(struct tender *t);
/* Creates the VM with guest memory and one vCPU. */
void hvt_kvm_create(struct tender *t);
/* Runs the guest until it halts; returns its exit status. */
int hvt_kvm_run(struct tender *t);
/* The value of KVM_CHECK_EXTENSION for (cap), dying on error. */
int hvt_kvm_check_cap(struct tender *t, int cap);

/*
 * ---- KVM, per architecture (hvt_kvm_<arch>.c) ----
 */
/* Dies unless KVM offers what this architecture needs. */
void hvt_kvm_arch_check(struct tender *t);
/* Sets up the vCPU to enter the guest at t->entry; sets cpu_cycle_freq. */
void hvt_kvm_arch_vcpu_init(struct tender *t);
/*
 * Looks at the exit in t->run: returns true and the hypercall number and
 * argument if it is a hypercall, false if it is something else (and dies
 * if it is a malformed hypercall attempt).
 */
bool hvt_kvm_arch_hypercall(struct tender *t, unsigned *nr, hvt_gpa_t *gpa);
/*
 * The guest's program counter, or HVT_PC_UNKNOWN if it cannot be read or
 * KVM has reset the vCPU (as AMD's KVM does after a triple fault).
 */
#define HVT_PC_UNKNOWN (~0ULL)
uint64_t hvt_kvm_arch_pc(struct tender *t);
/* Allows the vCPU ioctls the run loop and core dumps need. */
void hvt_kvm_arch_policy(struct sc_policy *p,
                         const struct tender_policy_in *in);

#endif /* TENDER_HVT_H */
