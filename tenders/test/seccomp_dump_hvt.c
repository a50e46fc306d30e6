/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_dump_hvt.c: solo5-hvt's policy for seccomp_dump.c, with
 * --dumpcore given.
 */

#include "hvt.h"
#include "seccomp_dump.h"

void dump_build(struct sc_policy *p, const struct mft *mft)
{
    const struct tender_policy_in in = {.mft = mft,
                                        .vcpufd = DUMP_FD_VCPU,
                                        .epollfd = DUMP_FD_EPOLL,
                                        .timerfd = DUMP_FD_TIMER,
                                        .next_fd = DUMP_FD_NEXT,
                                        .core_dirfd = DUMP_FD_CORE_DIR,
                                        .core_mem = DUMP_CORE_MEM,
                                        .core_mem_size = DUMP_CORE_MEM_SIZE,
                                        .core_vec = DUMP_CORE_VEC};

    hvt_policy_build(p, &in);
}
