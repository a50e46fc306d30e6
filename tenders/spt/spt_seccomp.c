/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_seccomp.c: the seccomp policy. Anything not explicitly allowed kills
 * the whole process. The core allows what every unikernel needs (console
 * on fd 1, clocks, yield, exit); the arch file and the modules add their
 * own (spt_arch_policy(), tender_module.policy).
 */

#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#include "spt.h"

void spt_policy_build(struct sc_policy *p, const struct tender_policy_in *in)
{
    SC_ALLOW(p, "write to the console", SYS_write, SC_ARG(0, SC_EQ, 1));
    sc_allow(p, "exit_group", SYS_exit_group, 0, NULL);
    SC_ALLOW(p, "clock_gettime(CLOCK_MONOTONIC)", SYS_clock_gettime,
             SC_ARG(0, SC_EQ, CLOCK_MONOTONIC));
    SC_ALLOW(p, "clock_gettime(CLOCK_REALTIME)", SYS_clock_gettime,
             SC_ARG(0, SC_EQ, CLOCK_REALTIME));
    SC_ALLOW(p, "epoll_pwait", SYS_epoll_pwait, SC_ARG(0, SC_EQ, in->epollfd));
    SC_ALLOW(p, "timerfd_settime", SYS_timerfd_settime,
             SC_ARG(0, SC_EQ, in->timerfd),
             SC_ARG(1, SC_EQ, TFD_TIMER_ABSTIME));
    spt_arch_policy(p, in);
    FOR_EACH_TENDER_MODULE (m) {
        if ((*m)->policy != NULL)
            (*m)->policy(p, in);
    }
}

void spt_seccomp_load(struct tender *t)
{
    /* Static: too large for the stack, and built once. */
    static struct sc_policy policy;
    static struct sc_program prog;
    const struct tender_policy_in in = {
        .mft = t->mft, .epollfd = t->epollfd, .timerfd = t->timerfd};

    spt_policy_build(&policy, &in);
    sc_compile(&policy, &prog);
    sc_install(&prog);
}
