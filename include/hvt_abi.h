/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_abi.h: interface between an hvt unikernel and the solo5-hvt tender,
 * hvt ABI version 2. Layouts and numbers match Solo5's so that either
 * implementation's tender runs the other's unikernels.
 *
 * Used on both sides: the tender defines HVT_HOST before including this
 * file, which turns every guest pointer into an opaque 64-bit guest physical
 * address (hvt_gpa_t) so the tender cannot dereference one by mistake.
 *
 * Freestanding: depends only on <stddef.h>, <stdint.h> and elf_abi.h.
 */

#ifndef HVT_ABI_H
#define HVT_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "elf_abi.h"

/* Bumped whenever anything in this file changes in an incompatible way. */
#define HVT_ABI_VERSION 2

/* Guests are linked at or above this address. */
#define HVT_GUEST_MIN_BASE 0x100000

/* Command line buffer size, terminating NUL included. */
#define HVT_CMDLINE_SIZE 8192

/* Bytes the tender may read at hvt_hc_halt.cookie. */
#define HVT_HALT_COOKIE_MAX 512

#ifdef HVT_HOST
/* Guest physical address, as seen by the tender. Never dereference. */
typedef uint64_t hvt_gpa_t;
#define HVT_GUEST_PTR(T) hvt_gpa_t
#else
#define HVT_GUEST_PTR(T) T
#endif

/*
 * Hypercall transport.
 *
 * x86_64: the guest does a 32-bit OUT of the argument's address to port
 * HVT_HYPERCALL_PIO_BASE + nr.
 *
 * aarch64: the guest does a 32-bit store of the argument's address to
 * HVT_HYPERCALL_ADDRESS(nr), in an unmapped MMIO window starting at 4 GiB;
 * each hypercall has its own 8-byte slot so that accesses stay aligned.
 *
 * In both cases the argument address must fit in 32 bits (guest memory is
 * limited to below 4 GiB).
 */
#if defined(__x86_64__)

#define HVT_HYPERCALL_PIO_BASE 0x500

#ifndef HVT_HOST
static inline void hvt_do_hypercall(int n, volatile void *arg)
{
    uint32_t addr = (uint32_t)(uintptr_t)arg;
    uint16_t port = (uint16_t)(HVT_HYPERCALL_PIO_BASE + n);

    __asm__ __volatile__("outl %0, %1" : : "a"(addr), "d"(port) : "memory");
}
#endif

#elif defined(__aarch64__)

#define HVT_HYPERCALL_MMIO_BASE (0x100000000UL)
#define HVT_HYPERCALL_ADDRESS(x) (HVT_HYPERCALL_MMIO_BASE + ((x) << 3))
#define HVT_HYPERCALL_NR(x) (((x)-HVT_HYPERCALL_MMIO_BASE) >> 3)

#ifndef HVT_HOST
static inline void hvt_do_hypercall(int n, volatile void *arg)
{
    uint32_t addr = (uint32_t)(uintptr_t)arg;
    uint64_t slot = (uint64_t)HVT_HYPERCALL_ADDRESS((uint64_t)n);

    __asm__ __volatile__("str %w0, [%1]" : : "rZ"(addr), "r"(slot) : "memory");
}
#endif

#endif /* arch; other arches get the data layouts only (no hvt guest) */

/*
 * Boot information. The tender places it in guest memory and passes its
 * address as the only argument of the guest's entry point.
 */
struct hvt_boot_info {
    uint64_t mem_size;                   /* guest memory size, bytes */
    uint64_t kernel_end;                 /* first address after the image */
    uint64_t cpu_cycle_freq;             /* cycle counter frequency, Hz */
    HVT_GUEST_PTR(const char *) cmdline; /* NUL-terminated command line */
    HVT_GUEST_PTR(const void *) mft;     /* the application manifest */
};

/* Hypercall numbers; 0 is reserved. */
enum hvt_hypercall {
    HVT_HYPERCALL_WALLTIME = 1,
    HVT_HYPERCALL_PUTS = 2,
    HVT_HYPERCALL_POLL = 3,
    HVT_HYPERCALL_BLOCK_WRITE = 4,
    HVT_HYPERCALL_BLOCK_READ = 5,
    HVT_HYPERCALL_NET_WRITE = 6,
    HVT_HYPERCALL_NET_READ = 7,
    HVT_HYPERCALL_HALT = 8,
    HVT_HYPERCALL_MAX = 9
};

/* Hypercall arguments. "in" fields are set by the guest, "out" by the tender.
 */

struct hvt_hc_walltime {
    uint64_t nsecs; /* out: wall clock, ns since the UNIX epoch */
};

struct hvt_hc_puts {
    HVT_GUEST_PTR(const char *) data; /* in */
    size_t len;                       /* in */
};

struct hvt_hc_block_write {
    uint64_t handle;                  /* in */
    uint64_t offset;                  /* in: bytes */
    HVT_GUEST_PTR(const void *) data; /* in */
    size_t len;                       /* in */
    int ret;                          /* out: solo5_result_t */
};

struct hvt_hc_block_read {
    uint64_t handle;            /* in */
    uint64_t offset;            /* in: bytes */
    HVT_GUEST_PTR(void *) data; /* in */
    size_t len;                 /* in/out */
    int ret;                    /* out: solo5_result_t */
};

struct hvt_hc_net_write {
    uint64_t handle;                  /* in */
    HVT_GUEST_PTR(const void *) data; /* in */
    size_t len;                       /* in */
    int ret;                          /* out: solo5_result_t */
};

struct hvt_hc_net_read {
    uint64_t handle;            /* in */
    HVT_GUEST_PTR(void *) data; /* in */
    size_t len;                 /* in: buffer size; out: frame size */
    int ret;                    /* out: solo5_result_t */
};

struct hvt_hc_poll {
    uint64_t timeout_nsecs; /* in: relative to now */
    uint64_t ready_set;     /* out: handles ready for reading */
    int ret;                /* out: nonzero if any handle is ready */
};

struct hvt_hc_halt {
    HVT_GUEST_PTR(void *) cookie; /* in: optional, HVT_HALT_COOKIE_MAX bytes */
    int exit_status;              /* in */
};

/*
 * The layouts above assume a 64-bit guest and a 64-bit host (hvt runs only
 * 64-bit guests). Check them so either side notices a drift.
 */
#if defined(__LP64__) || defined(_LP64)
_Static_assert(sizeof(struct hvt_boot_info) == 40, "hvt_boot_info");
_Static_assert(offsetof(struct hvt_boot_info, cmdline) == 24,
               "hvt_boot_info.cmdline");
_Static_assert(offsetof(struct hvt_boot_info, mft) == 32, "hvt_boot_info.mft");
_Static_assert(sizeof(struct hvt_hc_walltime) == 8, "hvt_hc_walltime");
_Static_assert(sizeof(struct hvt_hc_puts) == 16, "hvt_hc_puts");
_Static_assert(sizeof(struct hvt_hc_block_write) == 40, "hvt_hc_block_write");
_Static_assert(offsetof(struct hvt_hc_block_write, ret) == 32,
               "hvt_hc_block_write.ret");
_Static_assert(sizeof(struct hvt_hc_block_read) == 40, "hvt_hc_block_read");
_Static_assert(offsetof(struct hvt_hc_block_read, ret) == 32,
               "hvt_hc_block_read.ret");
_Static_assert(sizeof(struct hvt_hc_net_write) == 32, "hvt_hc_net_write");
_Static_assert(offsetof(struct hvt_hc_net_write, ret) == 24,
               "hvt_hc_net_write.ret");
_Static_assert(sizeof(struct hvt_hc_net_read) == 32, "hvt_hc_net_read");
_Static_assert(offsetof(struct hvt_hc_net_read, ret) == 24,
               "hvt_hc_net_read.ret");
_Static_assert(sizeof(struct hvt_hc_poll) == 24, "hvt_hc_poll");
_Static_assert(offsetof(struct hvt_hc_poll, ret) == 16, "hvt_hc_poll.ret");
_Static_assert(sizeof(struct hvt_hc_halt) == 16, "hvt_hc_halt");
_Static_assert(offsetof(struct hvt_hc_halt, exit_status) == 8,
               "hvt_hc_halt.exit_status");
#endif

#endif /* HVT_ABI_H */
