/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_seccomp.c: the seccomp filter. Anything not explicitly allowed kills
 * the whole process. The core allows what every unikernel needs (console
 * on fd 1, clocks, yield, exit); modules and the arch file add their own.
 */

#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include "spt.h"

void spt_seccomp_allow(struct tender *t, const char *what, int syscall,
                       unsigned nargs, const struct scmp_arg_cmp *args)
{
    int rc =
        seccomp_rule_add_array(t->sc, SCMP_ACT_ALLOW, syscall, nargs, args);
    if (rc != 0)
        die("cannot add seccomp rule for %s: %s", what, strerror(-rc));
}

void spt_seccomp_init(struct tender *t)
{
    t->sc = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (t->sc == NULL)
        die("cannot initialise seccomp (libseccomp failed)");

    SPT_ALLOW(t, "write to the console", SCMP_SYS(write),
              SPT_ARG(0, SCMP_CMP_EQ, 1));
    spt_seccomp_allow(t, "exit_group", SCMP_SYS(exit_group), 0, NULL);
    SPT_ALLOW(t, "clock_gettime(CLOCK_MONOTONIC)", SCMP_SYS(clock_gettime),
              SPT_ARG(0, SCMP_CMP_EQ, CLOCK_MONOTONIC));
    SPT_ALLOW(t, "clock_gettime(CLOCK_REALTIME)", SCMP_SYS(clock_gettime),
              SPT_ARG(0, SCMP_CMP_EQ, CLOCK_REALTIME));
    SPT_ALLOW(t, "epoll_pwait", SCMP_SYS(epoll_pwait),
              SPT_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)t->epollfd));
    SPT_ALLOW(t, "timerfd_settime", SCMP_SYS(timerfd_settime),
              SPT_ARG(0, SCMP_CMP_EQ, (scmp_datum_t)t->timerfd),
              SPT_ARG(1, SCMP_CMP_EQ, TFD_TIMER_ABSTIME));
    spt_arch_seccomp(t);
}

void spt_seccomp_load(struct tender *t)
{
    int rc = seccomp_load(t->sc);
    if (rc != 0)
        die("cannot load the seccomp filter: %s", strerror(-rc));
}
