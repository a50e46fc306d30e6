/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_core.c: the hypercalls every guest has (wall clock, console, poll,
 * halt), the tables modules register their own hypercalls and halt hooks
 * in, and the way out when the guest stops abnormally.
 *
 * Poll waits on an epoll set holding every network device (event data: the
 * device's handle) and a timerfd for the timeout (event data: POLL_TIMER).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"

#define NSEC_PER_SEC 1000000000ULL
#define POLL_TIMER UINT64_MAX

const char *hvt_hypercall_name(unsigned nr)
{
    switch (nr) {
    case HVT_HYPERCALL_WALLTIME:
        return "walltime";
    case HVT_HYPERCALL_PUTS:
        return "puts";
    case HVT_HYPERCALL_POLL:
        return "poll";
    case HVT_HYPERCALL_BLOCK_WRITE:
        return "block write";
    case HVT_HYPERCALL_BLOCK_READ:
        return "block read";
    case HVT_HYPERCALL_NET_WRITE:
        return "net write";
    case HVT_HYPERCALL_NET_READ:
        return "net read";
    case HVT_HYPERCALL_HALT:
        return "halt";
    default:
        return "unknown";
    }
}

static void run_halt_hooks(struct tender *t, int status, const void *cookie)
{
    for (unsigned i = 0; i < t->nhalt_hooks; i++)
        t->halt_hooks[i](t, status, cookie);
}

static void NORETURN vcrash(struct tender *t, const char *prefix,
                            const char *fmt, va_list ap)
{
    vwarn_prefixed(prefix, fmt, ap);
    run_halt_hooks(t, 255, NULL);
    exit(255);
}

void hvt_guest_crash(struct tender *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcrash(t, "", fmt, ap);
}

void hvt_guest_violation(struct tender *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcrash(t, "guest violation: ", fmt, ap);
}

void hvt_core_register_hypercall(struct tender *t, unsigned nr,
                                 hvt_hypercall_fn fn)
{
    if (nr == 0 || nr >= HVT_HYPERCALL_MAX || t->hypercalls[nr] != NULL)
        die("internal error: hypercall %u registered twice or out of range",
            nr);
    t->hypercalls[nr] = fn;
}

void hvt_core_register_halt_hook(struct tender *t, hvt_halt_fn fn)
{
    if (t->nhalt_hooks == HVT_MAX_HALT_HOOKS)
        die("internal error: too many halt hooks");
    t->halt_hooks[t->nhalt_hooks++] = fn;
}

void hvt_core_add_pollfd(struct tender *t, int fd, unsigned handle)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = handle};

    if (epoll_ctl(t->epollfd, EPOLL_CTL_ADD, fd, &ev) == -1)
        die_errno("cannot add device %u to the poll set", handle);
    t->npollfds++;
}

int hvt_core_halt(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_halt *h = hvt_checked_gpa(t, gpa, sizeof *h, "halt");
    int status = h->exit_status;
    const void *cookie = NULL;

    if (h->cookie != 0)
        cookie =
            hvt_checked_gpa(t, h->cookie, HVT_HALT_COOKIE_MAX, "halt cookie");
    run_halt_hooks(t, status, cookie);
    return status;
}

static void hc_walltime(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_walltime *w = hvt_checked_gpa(t, gpa, sizeof *w, "walltime");
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
        die_errno("clock_gettime(CLOCK_REALTIME)");
    w->nsecs = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void hc_puts(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_puts *p = hvt_checked_gpa(t, gpa, sizeof *p, "puts");
    uint64_t len = p->len;
    const char *s = hvt_checked_gpa(t, p->data, len, "puts data");

    while (len > 0) {
        ssize_t n = write(1, s, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* best effort, like a serial console */
        s += n;
        len -= (uint64_t)n;
    }
}

static void hc_poll(struct tender *t, hvt_gpa_t gpa)
{
    struct hvt_hc_poll *p = hvt_checked_gpa(t, gpa, sizeof *p, "poll");
    uint64_t timeout = p->timeout_nsecs;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(timeout / NSEC_PER_SEC),
                     .tv_nsec = (long)(timeout % NSEC_PER_SEC)}};

    /* All zeroes would disarm the timer: wait 1 ns instead. */
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    /* Arming also discards an expiry nobody read. */
    if (timerfd_settime(t->timerfd, 0, &its, NULL) == -1)
        die_errno("timerfd_settime");

    struct epoll_event ev[MFT_MAX_ENTRIES + 1];
    int n;
    do {
        n = epoll_pwait(t->epollfd, ev, (int)t->npollfds + 1, -1, NULL);
    } while (n == -1 && errno == EINTR);
    if (n == -1)
        die_errno("epoll_pwait");

    uint64_t ready = 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == POLL_TIMER || ev[i].data.u64 >= 64)
            continue;
        ready |= 1ULL << ev[i].data.u64;
        count++;
    }
    p->ready_set = ready;
    p->ret = count;
}

void hvt_core_init(struct tender *t)
{
    t->epollfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epollfd == -1)
        die_errno("epoll_create1");
    t->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->timerfd == -1)
        die_errno("timerfd_create");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = POLL_TIMER};
    if (epoll_ctl(t->epollfd, EPOLL_CTL_ADD, t->timerfd, &ev) == -1)
        die_errno("epoll_ctl(timerfd)");

    hvt_core_register_hypercall(t, HVT_HYPERCALL_WALLTIME, hc_walltime);
    hvt_core_register_hypercall(t, HVT_HYPERCALL_PUTS, hc_puts);
    hvt_core_register_hypercall(t, HVT_HYPERCALL_POLL, hc_poll);
}

void hvt_core_policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    SC_ALLOW(p, "epoll_pwait", SYS_epoll_pwait, SC_ARG(0, SC_EQ, in->epollfd));
    SC_ALLOW(p, "timerfd_settime", SYS_timerfd_settime,
             SC_ARG(0, SC_EQ, in->timerfd), SC_ARG(1, SC_EQ, 0));
}
