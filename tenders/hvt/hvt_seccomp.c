/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_seccomp.c: the seccomp policy the tender runs the guest under.
 * Anything not explicitly allowed kills the whole process. The core allows
 * what serving every guest needs (running the vCPU, the console, clocks,
 * messages and exit); the arch file, hvt_core.c and the modules add theirs
 * (hvt_kvm_arch_policy(), hvt_core_policy(), tender_module.policy).
 */

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"

void hvt_policy_build(struct sc_policy *p, const struct tender_policy_in *in)
{
    SC_ALLOW(p, "ioctl(KVM_RUN)", SYS_ioctl, SC_ARG(0, SC_EQ, in->vcpufd),
             SC_ARG(1, SC_EQ, KVM_RUN));
    SC_ALLOW(p, "guest console output", SYS_write, SC_ARG(0, SC_EQ, 1));
    SC_ALLOW(p, "error messages", SYS_write, SC_ARG(0, SC_EQ, 2));
    sc_allow(p, "exit_group", SYS_exit_group, 0, NULL);
    SC_ALLOW(p, "clock_gettime(CLOCK_MONOTONIC)", SYS_clock_gettime,
             SC_ARG(0, SC_EQ, CLOCK_MONOTONIC));
    SC_ALLOW(p, "clock_gettime(CLOCK_REALTIME)", SYS_clock_gettime,
             SC_ARG(0, SC_EQ, CLOCK_REALTIME));
    hvt_kvm_arch_policy(p, in);
    hvt_core_policy(p, in);
    FOR_EACH_TENDER_MODULE (m) {
        if ((*m)->policy != NULL)
            (*m)->policy(p, in);
    }
}

void hvt_seccomp_load(struct tender *t)
{
    /* Static: too large for the stack, and built once. */
    static struct sc_policy policy;
    static struct sc_program prog;

    t->policy.mft = t->mft;
    t->policy.vcpufd = t->vcpufd;
    t->policy.epollfd = t->epollfd;
    t->policy.timerfd = t->timerfd;
    /*
     * Descriptors are allocated lowest first, and nothing is opened or
     * closed between here and the filter: the next descriptor the tender
     * creates gets this number, so rules can name it exactly.
     */
    t->policy.next_fd = fcntl(t->vcpufd, F_DUPFD_CLOEXEC, 0);
    if (t->policy.next_fd == -1)
        die_errno("fcntl(F_DUPFD)");
    close(t->policy.next_fd);
    hvt_policy_build(&policy, &t->policy);
    sc_compile(&policy, &prog);
    /* Nothing is freed after this: free() could make system calls. */
    sc_install(&prog);
}
