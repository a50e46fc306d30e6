/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt.h: internals of the spt binding. The unikernel runs as a seccomp-
 * confined Linux process and talks to the host with raw system calls; the
 * system call layer (sys_<arch>.c) is the only architecture-specific part.
 */

#ifndef BINDINGS_SPT_H
#define BINDINGS_SPT_H

#include "common/bindings.h"
#include "spt_abi.h"

#pragma GCC visibility push(hidden)

/* Linux values shared by every architecture spt supports. */
#define SYS_STDOUT 1
#define SYS_EINTR 4
#define SYS_EAGAIN 11
#define SYS_CLOCK_REALTIME 0
#define SYS_CLOCK_MONOTONIC 1
#define SYS_TFD_TIMER_ABSTIME 1

struct sys_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/*
 * Raw system calls (sys_<arch>.c). They return what the kernel returns:
 * a non-negative result, or -errno.
 */
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
long sys_pread64(int fd, void *buf, size_t n, uint64_t off);
long sys_pwrite64(int fd, const void *buf, size_t n, uint64_t off);
long sys_clock_gettime(int clock, struct sys_timespec *ts);
long sys_timerfd_settime_abs(int fd, const struct sys_timespec *expiry);
long sys_set_tls_base(uintptr_t base);
void sys_exit_group(int status) NORETURN;

/*
 * Waits on the epoll set (epfd) with no timeout and stores the data word
 * of up to (max) ready events in (data). Returns the number of events or
 * -errno. (The layout of struct epoll_event differs between architectures,
 * so it stays inside sys_<arch>.c.)
 */
long sys_epoll_wait_data(int epfd, uint64_t *data, int max);

/* Start of day for the device and yield code (yield.c). */
void yield_init(const struct spt_boot_info *bi);

#pragma GCC visibility pop

#endif /* BINDINGS_SPT_H */
