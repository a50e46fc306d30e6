/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_abi.h: interface between an spt unikernel and the solo5-spt tender,
 * spt ABI version 2. Layouts and addresses match Solo5's.
 *
 * The spt tender runs the unikernel inside its own (seccomp-confined)
 * process, so pointers here are ordinary pointers in a shared address space.
 *
 * Freestanding: depends only on <stddef.h>, <stdint.h> and elf_abi.h.
 */

#ifndef SPT_ABI_H
#define SPT_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "elf_abi.h"

/* Bumped whenever anything in this file changes in an incompatible way. */
#define SPT_ABI_VERSION 2

/* Guests are linked at or above this address. */
#define SPT_GUEST_MIN_BASE 0x100000

/*
 * Guest memory is mapped from this host address upwards. It is the lowest
 * address the tender maps at; it leaves page 0 unmapped so NULL still faults.
 */
#define SPT_HOST_MEM_BASE 0x10000

/* Where the tender puts struct spt_boot_info, one page above the base. */
#define SPT_BOOT_INFO_BASE (SPT_HOST_MEM_BASE + 0x1000)

/* Command line buffer size, terminating NUL included. */
#define SPT_CMDLINE_SIZE 8192

/*
 * epoll_event.data.u64 that tags the tender's internal timerfd in the epoll
 * set; device handles are small integers and can never be equal to it.
 */
#define SPT_INTERNAL_TIMERFD (~1U)

/*
 * Boot information, passed (by address) as the only argument of the guest's
 * entry point.
 */
struct spt_boot_info {
    uint64_t mem_size;   /* guest memory size, bytes */
    uint64_t kernel_end; /* first address after the image */
    const char *cmdline; /* NUL-terminated command line */
    const void *mft;     /* the application manifest */
    int epollfd;         /* epoll set used by solo5_yield() */
    int timerfd;         /* timerfd in that set, for yield deadlines */
};

#if defined(__LP64__) || defined(_LP64)
_Static_assert(sizeof(struct spt_boot_info) == 40, "spt_boot_info");
_Static_assert(offsetof(struct spt_boot_info, cmdline) == 16,
               "spt_boot_info.cmdline");
_Static_assert(offsetof(struct spt_boot_info, mft) == 24, "spt_boot_info.mft");
_Static_assert(offsetof(struct spt_boot_info, epollfd) == 32,
               "spt_boot_info.epollfd");
_Static_assert(offsetof(struct spt_boot_info, timerfd) == 36,
               "spt_boot_info.timerfd");
#endif

#endif /* SPT_ABI_H */
