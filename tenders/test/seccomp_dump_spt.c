/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_dump_spt.c: solo5-spt's policy for seccomp_dump.c.
 */

#include "seccomp_dump.h"
#include "spt.h"

void dump_build(struct sc_policy *p, const struct mft *mft)
{
    const struct tender_policy_in in = {
        .mft = mft, .epollfd = DUMP_FD_EPOLL, .timerfd = DUMP_FD_TIMER};

    spt_policy_build(p, &in);
}
