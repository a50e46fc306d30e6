/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * linux_sys.h: raw Linux system calls for the test unikernels that attack
 * the spt sandbox (test_seccomp, test_hostile_spt). An spt unikernel is a
 * Linux process, so it can make any system call; these tests make the
 * ones the tender's seccomp filter must refuse, and the allowed ones with
 * hostile arguments.
 *
 * The numbers are each architecture's, by the names libseccomp uses
 * (xtask/tests/seccomp_oracle.rs checks every line below against
 * libseccomp's tables). A name missing from an architecture's table does
 * not exist there (open on aarch64).
 */

#ifndef TESTS_LINUX_SYS_H
#define TESTS_LINUX_SYS_H

#include <stdint.h>

/* x32 system calls are the x86_64 numbers with this bit set. */
#define LINUX_X32_BIT 0x40000000L

/* Errors, the same numbers on every architecture here. */
#define LINUX_EPERM 1
#define LINUX_EBADF 9
#define LINUX_EFAULT 14
#define LINUX_EINVAL 22

#if defined(__x86_64__)
#define LINUX_ARCH "x86_64"
#define LINUX_SYSCALLS(X)                                                      \
    X(read, 0)                                                                 \
    X(write, 1)                                                                \
    X(open, 2)                                                                 \
    X(mmap, 9)                                                                 \
    X(mprotect, 10)                                                            \
    X(munmap, 11)                                                              \
    X(ioctl, 16)                                                               \
    X(pread64, 17)                                                             \
    X(pwrite64, 18)                                                            \
    X(mremap, 25)                                                              \
    X(getpid, 39)                                                              \
    X(socket, 41)                                                              \
    X(execve, 59)                                                              \
    X(kill, 62)                                                                \
    X(ptrace, 101)                                                             \
    X(prctl, 157)                                                              \
    X(arch_prctl, 158)                                                         \
    X(clock_gettime, 228)                                                      \
    X(openat, 257)                                                             \
    X(epoll_pwait, 281)                                                        \
    X(timerfd_settime, 286)                                                    \
    X(seccomp, 317)                                                            \
    X(memfd_create, 319)                                                       \
    X(execveat, 322)                                                           \
    X(pkey_mprotect, 329)                                                      \
    X(clone3, 435)

static inline long linux_syscall6(long nr, long a0, long a1, long a2, long a3,
                                  long a4, long a5)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
                           "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    return ret;
}

#elif defined(__aarch64__)
#define LINUX_ARCH "aarch64"
#define LINUX_SYSCALLS(X)                                                      \
    X(epoll_pwait, 22)                                                         \
    X(ioctl, 29)                                                               \
    X(openat, 56)                                                              \
    X(read, 63)                                                                \
    X(write, 64)                                                               \
    X(pread64, 67)                                                             \
    X(pwrite64, 68)                                                            \
    X(timerfd_settime, 86)                                                     \
    X(clock_gettime, 113)                                                      \
    X(ptrace, 117)                                                             \
    X(kill, 129)                                                               \
    X(prctl, 167)                                                              \
    X(getpid, 172)                                                             \
    X(socket, 198)                                                             \
    X(munmap, 215)                                                             \
    X(mremap, 216)                                                             \
    X(execve, 221)                                                             \
    X(mmap, 222)                                                               \
    X(mprotect, 226)                                                           \
    X(seccomp, 277)                                                            \
    X(memfd_create, 279)                                                       \
    X(execveat, 281)                                                           \
    X(pkey_mprotect, 288)                                                      \
    X(clone3, 435)

static inline long linux_syscall6(long nr, long a0, long a1, long a2, long a3,
                                  long a4, long a5)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x4 __asm__("x4") = a4;
    register long x5 __asm__("x5") = a5;

    __asm__ __volatile__("svc #0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                         : "memory");
    return x0;
}

#elif defined(__powerpc64__)
#define LINUX_ARCH "ppc64le"
#define LINUX_SYSCALLS(X)                                                      \
    X(read, 3)                                                                 \
    X(write, 4)                                                                \
    X(open, 5)                                                                 \
    X(execve, 11)                                                              \
    X(getpid, 20)                                                              \
    X(ptrace, 26)                                                              \
    X(kill, 37)                                                                \
    X(ioctl, 54)                                                               \
    X(mmap, 90)                                                                \
    X(munmap, 91)                                                              \
    X(mprotect, 125)                                                           \
    X(mremap, 163)                                                             \
    X(prctl, 171)                                                              \
    X(pread64, 179)                                                            \
    X(pwrite64, 180)                                                           \
    X(clock_gettime, 246)                                                      \
    X(openat, 286)                                                             \
    X(epoll_pwait, 303)                                                        \
    X(timerfd_settime, 311)                                                    \
    X(socket, 326)                                                             \
    X(seccomp, 358)                                                            \
    X(memfd_create, 360)                                                       \
    X(execveat, 362)                                                           \
    X(pkey_mprotect, 386)                                                      \
    X(clone3, 435)

/* A set summary-overflow bit in CR0 says r3 is a positive errno. */
static inline long linux_syscall6(long nr, long a0, long a1, long a2, long a3,
                                  long a4, long a5)
{
    register long r0 __asm__("r0") = nr;
    register long r3 __asm__("r3") = a0;
    register long r4 __asm__("r4") = a1;
    register long r5 __asm__("r5") = a2;
    register long r6 __asm__("r6") = a3;
    register long r7 __asm__("r7") = a4;
    register long r8 __asm__("r8") = a5;

    __asm__ __volatile__("sc\n\t"
                         "bns+ 1f\n\t"
                         "neg %1, %1\n"
                         "1:"
                         : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6),
                           "+r"(r7), "+r"(r8)
                         :
                         : "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return r3;
}

#else
#error "linux_sys.h: no system call sequence for this architecture"
#endif

#define LINUX_NR_ENUM_(name, nr) LINUX_NR_##name = nr,
enum linux_nr { LINUX_SYSCALLS(LINUX_NR_ENUM_) };
#undef LINUX_NR_ENUM_

struct linux_syscall_name {
    const char *name;
    long nr;
};

#define LINUX_NAME_ENTRY_(name, nr) {#name, nr},
static const struct linux_syscall_name linux_syscall_names[] = {
    LINUX_SYSCALLS(LINUX_NAME_ENTRY_)};
#undef LINUX_NAME_ENTRY_

#endif /* TESTS_LINUX_SYS_H */
