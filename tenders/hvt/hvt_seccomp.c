/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_seccomp.c: the seccomp filter the tender runs the guest under.
 * Anything not explicitly allowed kills the whole process. The core allows
 * what serving every guest needs (running the vCPU, the console, clocks,
 * messages and exit); hvt_core.c, the modules and the arch file add theirs.
 */

#include <linux/kvm.h>
#include <string.h>
#include <time.h>

#include "hvt.h"

void hvt_seccomp_allow(struct tender *t, const char *what, int syscall,
                       unsigned nargs, const struct scmp_arg_cmp *args)
{
    int rc =
        seccomp_rule_add_array(t->sc, SCMP_ACT_ALLOW, syscall, nargs, args);
    if (rc != 0)
        die("cannot add seccomp rule for %s: %s", what, strerror(-rc));
}

void hvt_seccomp_init(struct tender *t)
{
    t->sc = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (t->sc == NULL)
        die("cannot initialise seccomp (libseccomp failed)");

    HVT_ALLOW(t, "ioctl(KVM_RUN)", SCMP_SYS(ioctl),
              HVT_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)t->vcpufd),
              HVT_ARG(1, SCMP_CMP_EQ, KVM_RUN));
    HVT_ALLOW(t, "guest console output", SCMP_SYS(write),
              HVT_ARG(0, SCMP_CMP_EQ, 1));
    HVT_ALLOW(t, "error messages", SCMP_SYS(write), HVT_ARG(0, SCMP_CMP_EQ, 2));
    hvt_seccomp_allow(t, "exit_group", SCMP_SYS(exit_group), 0, NULL);
    HVT_ALLOW(t, "clock_gettime(CLOCK_MONOTONIC)", SCMP_SYS(clock_gettime),
              HVT_ARG(0, SCMP_CMP_EQ, CLOCK_MONOTONIC));
    HVT_ALLOW(t, "clock_gettime(CLOCK_REALTIME)", SCMP_SYS(clock_gettime),
              HVT_ARG(0, SCMP_CMP_EQ, CLOCK_REALTIME));
    hvt_kvm_arch_seccomp(t);
}

void hvt_seccomp_load(struct tender *t)
{
    int rc = seccomp_load(t->sc);
    if (rc != 0)
        die("cannot load the seccomp filter: %s", strerror(-rc));
    /* The context is not released: free() could make system calls. */
}
