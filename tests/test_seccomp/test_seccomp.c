/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_seccomp (spt): makes a system call the tender's seccomp filter
 * forbids. The process must be killed with SIGSYS.
 *
 * Without arguments the call is getpid(). Otherwise the arguments are a
 * system call's name, as libseccomp names it ("x32:" before it for the
 * x86_64 x32 ABI's number), and up to six argument values (decimal, or hex
 * with 0x; a leading '-' negates): one row of the sandbox table, which is
 * the seccomp_* cells of tests/tests.toml. The seccomp oracle
 * (xtask/tests/seccomp_oracle.rs) checks the same rows against every
 * tender's filter program on every arch.
 *
 * Under hvt the system call instruction is an exception in the guest
 * (cells syscall_hvt*).
 */

#include "../common/linux_sys.h"
#include "../common/testlib.h"

#define MAX_ARGS 6

static bool parse_number(const char *s, long *out)
{
    bool neg = *s == '-';
    unsigned long v = 0;

    if (neg)
        s++;
    if (s[0] == '0' && s[1] == 'x') {
        s += 2;
        if (*s == '\0')
            return false;
        for (; *s != '\0'; s++) {
            unsigned d;
            if (*s >= '0' && *s <= '9')
                d = (unsigned)(*s - '0');
            else if (*s >= 'a' && *s <= 'f')
                d = (unsigned)(*s - 'a' + 10);
            else
                return false;
            v = v * 16 + d;
        }
    } else {
        if (*s == '\0')
            return false;
        for (; *s != '\0'; s++) {
            if (*s < '0' || *s > '9')
                return false;
            v = v * 10 + (unsigned long)(*s - '0');
        }
    }
    *out = neg ? -(long)v : (long)v;
    return true;
}

static bool lookup(const char *name, long *nr)
{
    for (size_t i = 0;
         i < sizeof linux_syscall_names / sizeof linux_syscall_names[0]; i++) {
        if (t_streq(name, linux_syscall_names[i].name)) {
            *nr = linux_syscall_names[i].nr;
            return true;
        }
    }
    return false;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char word[40];
    long a[MAX_ARGS] = {0};

    t_banner("seccomp");
    if (!t_arg(si->cmdline, 0, word, sizeof word)) {
        t_puts("Calling getpid(), which the filter forbids...\n");
        long pid = linux_syscall6(LINUX_NR_getpid, 0, 0, 0, 0, 0, 0);
        t_printf("FAILURE: getpid() returned %ld\n", pid);
        return SOLO5_EXIT_FAILURE;
    }

    const char *name = word;
    long x32 = 0;
    if (word[0] == 'x' && word[1] == '3' && word[2] == '2' && word[3] == ':') {
        name = word + 4;
        x32 = LINUX_X32_BIT;
    }
    long nr;
    if (!lookup(name, &nr))
        return t_fail("no such system call on this architecture");
#if !defined(__x86_64__)
    if (x32 != 0)
        return t_fail("the x32 ABI exists only on x86_64");
#endif
    for (int i = 0; i < MAX_ARGS; i++) {
        char v[32];
        if (!t_arg(si->cmdline, i + 1, v, sizeof v))
            break;
        if (!parse_number(v, &a[i]))
            return t_fail("bad argument value");
    }

    t_printf("sandbox: calling %s (nr 0x%lx on %s), which the filter must "
             "kill\n",
             word, (unsigned long)(nr | x32), LINUX_ARCH);
    long ret = linux_syscall6(nr | x32, a[0], a[1], a[2], a[3], a[4], a[5]);
    t_printf("FAILURE: %s returned %ld\n", word, ret);
    return SOLO5_EXIT_FAILURE;
}
