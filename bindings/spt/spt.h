/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt.h: internals of the spt binding. The unikernel runs as a seccomp-
 * confined Linux process and talks to the host with raw system calls; the
 * system call layer is the only architecture-specific part, and only its
 * numbers, layouts and instructions are (sys_<arch>.c): the calls
 * themselves are shared (sys.c).
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
 * System calls (sys.c; sys_set_tls_base in sys_<arch>.c). They return
 * what the kernel returns: a non-negative result, or -errno.
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
 * -errno. (The layout of struct epoll_event differs between architectures;
 * sys_arch describes it.)
 */
long sys_epoll_wait_data(int epfd, uint64_t *data, int max);

/*
 * Between sys.c and sys_<arch>.c: the system calls the binding makes,
 * named independently of any architecture, ...
 */
enum sys_call {
    SYS_CALL_READ,
    SYS_CALL_WRITE,
    SYS_CALL_PREAD64,
    SYS_CALL_PWRITE64,
    SYS_CALL_CLOCK_GETTIME,
    SYS_CALL_TIMERFD_SETTIME,
    SYS_CALL_EPOLL_PWAIT,
    SYS_CALL_EXIT_GROUP,
    SYS_CALLS
};

/* The largest struct epoll_event of any architecture. */
#define SYS_EPOLL_EVENT_MAX 16

/* ... what one architecture's Linux makes of them, ... */
struct sys_arch {
    long nr[SYS_CALLS];       /* system call numbers */
    size_t epoll_event_size;  /* sizeof(struct epoll_event), at most
                                 SYS_EPOLL_EVENT_MAX */
    size_t epoll_data_offset; /* offsetof(struct epoll_event, data) */
};

extern const struct sys_arch sys_arch;

/* ... and its system call instruction: (nr) with six arguments. */
long sys_raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* Start of day for the device and yield code (yield.c). */
void yield_init(const struct spt_boot_info *bi);

#pragma GCC visibility pop

#endif /* BINDINGS_SPT_H */
