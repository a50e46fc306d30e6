/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_hostile_spt: an spt unikernel that attacks its sandbox through the
 * system calls the seccomp filter allows, with hostile arguments. It finds
 * the descriptors the way the binding does, through the boot info at
 * SPT_BOOT_INFO_BASE (spt_abi.h) and the manifest it points to.
 *
 *   test_hostile_spt returns
 *       every case whose call must come back with an error (or, for the
 *       odd ones that are legal, the exact result): one line per case,
 *       "case NAME: RESULT", then the allowed calls work again, SUCCESS.
 *   test_hostile_spt NAME
 *       one case whose call the filter must kill (SIGSYS): it prints
 *       "case NAME: the filter must kill this call" first.
 *
 * Any other outcome prints FAILURE.
 */

#include "../common/linux_sys.h"
#include "../common/testlib.h"
#include "mft_abi.h"
#include "spt_abi.h"

/* Far outside any user address space on every arch. */
#define KERNEL_ADDR 0xfff0000000000000UL
/* Below SPT_HOST_MEM_BASE: never mapped. */
#define UNMAPPED_ADDR 0x8UL

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define TFD_TIMER_ABSTIME 1

static int blkfd = -1, epollfd = -1, timerfd = -1;
static uint64_t capacity, bsize;
static uint8_t buf[4096] __attribute__((aligned(16)));
static uint8_t buf2[4096] __attribute__((aligned(16)));
static const uint8_t rodata_block[512] = {1};

static long sc(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    return linux_syscall6(nr, a0, a1, a2, a3, a4, a5);
}

static bool find_devices(void)
{
    const struct spt_boot_info *bi =
        (const struct spt_boot_info *)SPT_BOOT_INFO_BASE;
    const struct mft *m = bi->mft;

    epollfd = bi->epollfd;
    timerfd = bi->timerfd;
    for (uint32_t i = 0; i < m->entries; i++) {
        const struct mft_entry *e = &m->e[i];
        if (e->type == MFT_DEV_BLOCK_BASIC && t_streq(e->name, "storage")) {
            blkfd = e->b.hostfd;
            capacity = e->u.block_basic.capacity;
            bsize = e->u.block_basic.block_size;
        }
    }
    return blkfd >= 0 && bsize != 0 && capacity >= 4 * bsize;
}

static const char *errno_name(long r)
{
    switch (-r) {
    case LINUX_EPERM:
        return "EPERM";
    case LINUX_EBADF:
        return "EBADF";
    case LINUX_EFAULT:
        return "EFAULT";
    case LINUX_EINVAL:
        return "EINVAL";
    default:
        return "another error";
    }
}

static int failures;

static void note_failure(const char *msg)
{
    t_puts(msg);
    failures++;
}

/* "case NAME: -EFAULT" or "case NAME: 512"; counts a mismatch. */
static void expect(const char *name, long got, long want)
{
    if (got < 0)
        t_printf("case %s: -%s\n", name, errno_name(got));
    else
        t_printf("case %s: %ld\n", name, got);
    if (got != want) {
        t_printf("FAILURE: case %s: got %ld, expected %ld\n", name, got, want);
        failures++;
    }
}

static long sys_write(long fd, long p, long n)
{
    return sc(LINUX_NR_write, fd, p, n, 0, 0, 0);
}

static long sys_pread(long fd, long p, long n, long off)
{
    return sc(LINUX_NR_pread64, fd, p, n, off, 0, 0);
}

static long sys_pwrite(long fd, long p, long n, long off)
{
    return sc(LINUX_NR_pwrite64, fd, p, n, off, 0, 0);
}

static long sys_timerfd_abs(long newp, long oldp)
{
    return sc(LINUX_NR_timerfd_settime, timerfd, TFD_TIMER_ABSTIME, newp, oldp,
              0, 0);
}

static long sys_epoll(long events, long max, long timeout, long mask,
                      long masksize)
{
    return sc(LINUX_NR_epoll_pwait, epollfd, events, max, timeout, mask,
              masksize);
}

#define ADDR(p) ((long)(uintptr_t)(p))

static void returning_cases(void)
{
    long bs = (long)bsize, cap = (long)capacity;
    int64_t its[4]; /* struct itimerspec: interval, value */

    /* The console. */
    expect("write_unmapped_buffer", sys_write(1, UNMAPPED_ADDR, 16),
           -LINUX_EFAULT);
    expect("write_kernel_buffer", sys_write(1, KERNEL_ADDR, 16), -LINUX_EFAULT);
    expect("write_length_wraps", sys_write(1, ADDR(buf), -1L), -LINUX_EFAULT);

    /* The block device: buffers the kernel must refuse ... */
    expect("pread_unmapped_buffer", sys_pread(blkfd, UNMAPPED_ADDR, bs, 0),
           -LINUX_EFAULT);
    expect("pread_kernel_buffer", sys_pread(blkfd, KERNEL_ADDR, bs, 0),
           -LINUX_EFAULT);
    expect("pread_into_code", sys_pread(blkfd, ADDR(&solo5_app_main), bs, 0),
           -LINUX_EFAULT);
    expect("pread_into_rodata", sys_pread(blkfd, ADDR(rodata_block), bs, 0),
           -LINUX_EFAULT);
    expect("pwrite_unmapped_buffer", sys_pwrite(blkfd, UNMAPPED_ADDR, bs, 0),
           -LINUX_EFAULT);
    expect("pwrite_kernel_buffer", sys_pwrite(blkfd, KERNEL_ADDR, bs, 0),
           -LINUX_EFAULT);

    /* ... and odd requests the filter allows, which stay in the device. */
    t_memset(buf, 0x5a, (size_t)bs);
    expect("pwrite_last_block", sys_pwrite(blkfd, ADDR(buf), bs, cap - bs), bs);
    expect("pread_last_block", sys_pread(blkfd, ADDR(buf2), bs, cap - bs), bs);
    if (t_memcmp(buf, buf2, (size_t)bs) != 0)
        note_failure("FAILURE: last block read back differently\n");
    for (long i = 0; i < bs; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    expect("pwrite_unaligned_buffer", sys_pwrite(blkfd, ADDR(buf + 1), bs, bs),
           bs);
    expect("pread_unaligned_buffer", sys_pread(blkfd, ADDR(buf2 + 3), bs, bs),
           bs);
    if (t_memcmp(buf + 1, buf2 + 3, (size_t)bs) != 0)
        note_failure("FAILURE: unaligned buffers read back differently\n");
    expect("pread_unaligned_offset", sys_pread(blkfd, ADDR(buf2), bs, bs + 1),
           bs);
    if (t_memcmp(buf + 2, buf2, (size_t)bs - 1) != 0)
        note_failure("FAILURE: unaligned offset read the wrong bytes\n");

    /* Clocks. */
    expect(
        "clock_gettime_unmapped",
        sc(LINUX_NR_clock_gettime, CLOCK_MONOTONIC, UNMAPPED_ADDR, 0, 0, 0, 0),
        -LINUX_EFAULT);
    expect("clock_gettime_into_code",
           sc(LINUX_NR_clock_gettime, CLOCK_REALTIME, ADDR(&solo5_app_main), 0,
              0, 0, 0),
           -LINUX_EFAULT);

    /* The yield timer. */
    expect("timerfd_unmapped_value", sys_timerfd_abs(UNMAPPED_ADDR, 0),
           -LINUX_EFAULT);
    its[0] = 0, its[1] = 0, its[2] = 1, its[3] = 1000000000;
    expect("timerfd_nsec_too_large", sys_timerfd_abs(ADDR(its), 0),
           -LINUX_EINVAL);
    its[3] = 0;
    expect("timerfd_old_value_into_code",
           sys_timerfd_abs(ADDR(its), ADDR(&solo5_app_main)), -LINUX_EFAULT);
    /* The kernel reads the new value before it writes the old one. */
    expect("timerfd_old_value_overlaps_new",
           sys_timerfd_abs(ADDR(its), ADDR(its)), 0);

    /* The yield epoll set. */
    expect("epoll_zero_events", sys_epoll(ADDR(buf), 0, 0, 0, 0),
           -LINUX_EINVAL);
    expect("epoll_negative_events", sys_epoll(ADDR(buf), -1, 0, 0, 0),
           -LINUX_EINVAL);
    expect("epoll_huge_events", sys_epoll(ADDR(buf), 0x7fffffff, 0, 0, 0),
           -LINUX_EINVAL);
    expect("epoll_kernel_events", sys_epoll(KERNEL_ADDR, 1, 0, 0, 0),
           -LINUX_EFAULT);
    expect("epoll_bad_sigset_size", sys_epoll(ADDR(buf), 1, 0, ADDR(buf2), 7),
           -LINUX_EINVAL);
    expect("epoll_unmapped_sigset",
           sys_epoll(ADDR(buf), 1, 0, UNMAPPED_ADDR, 8), -LINUX_EFAULT);

    /* The same failure many times changes nothing. */
    long bad = 0;
    for (int i = 0; i < 10000; i++)
        bad += sys_pread(blkfd, UNMAPPED_ADDR, bs, 0) == -LINUX_EFAULT;
    expect("pread_failed_10000_times", bad, 10000);
}

/* After all that, the binding's own calls still work. */
static void still_works(void)
{
    solo5_handle_t h;
    struct solo5_block_info bi;
    uint8_t *b = buf;

    if (solo5_block_acquire("storage", &h, &bi) != SOLO5_R_OK) {
        note_failure("FAILURE: cannot acquire the block device\n");
        return;
    }
    t_memset(b, 0xa5, bi.block_size);
    if (solo5_block_write(h, 0, b, bi.block_size) != SOLO5_R_OK ||
        solo5_block_read(h, 0, buf2, bi.block_size) != SOLO5_R_OK ||
        t_memcmp(b, buf2, bi.block_size) != 0) {
        note_failure("FAILURE: block I/O broken after the attacks\n");
        return;
    }
    solo5_time_t t0 = solo5_clock_monotonic();
    solo5_yield(t0 + 1000000, NULL);
    if (solo5_clock_monotonic() < t0 + 1000000) {
        note_failure("FAILURE: yield returned before its deadline\n");
        return;
    }
    t_puts("block I/O, clocks and yield still work\n");
}

/* Calls the filter must kill; each returns what the call returned. */
static long killed_case(const char *name, bool *known)
{
    long bs = (long)bsize, cap = (long)capacity;

    *known = true;
    if (t_streq(name, "pread_past_end"))
        return sys_pread(blkfd, ADDR(buf), bs, cap);
    if (t_streq(name, "pwrite_past_end"))
        return sys_pwrite(blkfd, ADDR(buf), bs, cap);
    if (t_streq(name, "pread_offset_wraps"))
        return sys_pread(blkfd, ADDR(buf), bs, -bs);
    if (t_streq(name, "pread_two_blocks"))
        return sys_pread(blkfd, ADDR(buf), 2 * bs, 0);
    if (t_streq(name, "pread_length_huge"))
        return sys_pread(blkfd, ADDR(buf), -1L, 0);
    if (t_streq(name, "pread_fd_high_half"))
        return sys_pread((long)blkfd | (1L << 32), ADDR(buf), bs, 0);
    if (t_streq(name, "write_block_device"))
        return sys_write(blkfd, ADDR(buf), bs);
    if (t_streq(name, "read_epoll_fd"))
        return sc(LINUX_NR_read, epollfd, ADDR(buf), 8, 0, 0, 0);
    if (t_streq(name, "timerfd_relative"))
        return sc(LINUX_NR_timerfd_settime, timerfd, 0, ADDR(buf2), 0, 0, 0);
    if (t_streq(name, "epoll_other_fd"))
        return sc(LINUX_NR_epoll_pwait, timerfd, ADDR(buf), 1, 0, 0, 0);
    if (t_streq(name, "clock_boottime"))
        return sc(LINUX_NR_clock_gettime, CLOCK_BOOTTIME, ADDR(buf), 0, 0, 0,
                  0);
    *known = false;
    return 0;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char what[40];

    t_banner("hostile_spt");
    if (!t_arg(si->cmdline, 0, what, sizeof what))
        return t_fail("no case given (returns, pread_past_end, ...)");
    if (!find_devices())
        return t_fail("no block device 'storage' of at least 4 blocks");

    if (t_streq(what, "returns")) {
        returning_cases();
        still_works();
        if (failures != 0)
            return t_fail("some cases did not return what they must");
        t_puts("SUCCESS\n");
        return SOLO5_EXIT_SUCCESS;
    }
#if defined(__x86_64__)
    if (t_streq(what, "tls_base_kernel")) {
        /* The filter allows ARCH_SET_FS; the kernel refuses a kernel
         * address. */
        expect("tls_base_kernel",
               sc(LINUX_NR_arch_prctl, 0x1002, (long)KERNEL_ADDR, 0, 0, 0, 0),
               -LINUX_EPERM);
        if (failures != 0)
            return SOLO5_EXIT_FAILURE;
        t_puts("SUCCESS\n");
        return SOLO5_EXIT_SUCCESS;
    }
#endif
    t_printf("case %s: the filter must kill this call\n", what);
    bool known;
    long r = killed_case(what, &known);
    if (!known)
        return t_fail("unknown case");
    t_printf("FAILURE: case %s returned %ld\n", what, r);
    return SOLO5_EXIT_FAILURE;
}
