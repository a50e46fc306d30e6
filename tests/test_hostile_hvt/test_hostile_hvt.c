/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_hostile_hvt: an hvt unikernel that attacks its tender through the
 * hypercalls of the core (wall clock, console, poll, halt) and of the
 * block device "storage", and through the hypercall transport itself.
 *
 *   test_hostile_hvt returns
 *       every case the tender must answer with an error (or, for the odd
 *       legal ones, serve correctly): one line per case, then the device
 *       still works after the failures, SUCCESS.
 *   test_hostile_hvt NAME
 *       one case the tender must stop with "guest violation: ..." and
 *       exit status 255 (see fatal_case()).
 *
 * Any other outcome prints FAILURE.
 */

#include "hostile_hvt.h"

#define MAX_BLOCK 4096

static uint8_t buf[4 * MAX_BLOCK] __attribute__((aligned(16)));
static uint8_t buf2[4 * MAX_BLOCK] __attribute__((aligned(16)));

static solo5_handle_t blk;
static uint64_t bs, cap;

static int block_read(uint64_t handle, uint64_t offset, const void *data,
                      uint64_t len)
{
    struct hvt_hc_block_read r = {.handle = handle,
                                  .offset = offset,
                                  .data = (void *)(uintptr_t)data,
                                  .len = len,
                                  .ret = -1};

    hostile_hypercall(HVT_HYPERCALL_BLOCK_READ, (uintptr_t)&r);
    return r.ret;
}

static int block_write(uint64_t handle, uint64_t offset, const void *data,
                       uint64_t len)
{
    struct hvt_hc_block_write w = {.handle = handle,
                                   .offset = offset,
                                   .data = data,
                                   .len = len,
                                   .ret = -1};

    hostile_hypercall(HVT_HYPERCALL_BLOCK_WRITE, (uintptr_t)&w);
    return w.ret;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 13 + seed);
}

static void block_cases(void)
{
    const uint64_t huge = 1ULL << 63;

    /* Handles: far out, just past the manifest, the reserved entry 0. */
    hostile_expect("block_read_handle_huge", block_read(huge, 0, buf, bs),
                   SOLO5_R_EINVAL);
    hostile_expect("block_read_handle_past_manifest",
                   block_read(MFT_MAX_ENTRIES, 0, buf, bs), SOLO5_R_EINVAL);
    hostile_expect("block_write_handle_reserved", block_write(0, 0, buf, bs),
                   SOLO5_R_EINVAL);
    /* Lengths and offsets that are not whole blocks inside the device. */
    hostile_expect("block_read_length_zero", block_read(blk, 0, buf, 0),
                   SOLO5_R_EINVAL);
    hostile_expect("block_read_partial_block", block_read(blk, 0, buf, bs - 1),
                   SOLO5_R_EINVAL);
    hostile_expect("block_read_unaligned_offset", block_read(blk, 1, buf, bs),
                   SOLO5_R_EINVAL);
    hostile_expect("block_read_at_end", block_read(blk, cap, buf, bs),
                   SOLO5_R_EINVAL);
    hostile_expect("block_read_runs_past_end",
                   block_read(blk, cap - bs, buf, 2 * bs), SOLO5_R_EINVAL);
    hostile_expect("block_write_offset_wraps",
                   block_write(blk, 0 - bs, buf, 2 * bs), SOLO5_R_EINVAL);
    hostile_expect("block_read_length_wraps", block_read(blk, bs, buf, 0 - bs),
                   SOLO5_R_EINVAL);
    hostile_expect("block_write_length_huge", block_write(blk, 0, buf, huge),
                   SOLO5_R_EINVAL);

    /* Legal but odd: several blocks at once, unaligned buffers. */
    fill(buf, 4 * bs, 1);
    hostile_expect("block_write_4_blocks", block_write(blk, bs, buf, 4 * bs),
                   SOLO5_R_OK);
    hostile_expect("block_read_unaligned_buffer",
                   block_read(blk, bs, buf2 + 3, 4 * bs), SOLO5_R_OK);
    if (t_memcmp(buf, buf2 + 3, 4 * bs) != 0)
        hostile_note_failure("4 blocks read back differently");
    fill(buf, bs, 7);
    hostile_expect("block_write_unaligned_buffer",
                   block_write(blk, 0, buf + 1, bs), SOLO5_R_OK);
    hostile_expect("block_read_last_block", block_read(blk, cap - bs, buf2, bs),
                   SOLO5_R_OK);

    /*
     * Overlapping: the argument block inside the data buffer. The read
     * overwrites the arguments with disk data; the tender must have taken
     * them in first and still report the result.
     */
    fill(buf2, 2 * bs, 3);
    hostile_expect("block_write_pattern", block_write(blk, 0, buf2, 2 * bs),
                   SOLO5_R_OK);
    struct hvt_hc_block_read *in = (struct hvt_hc_block_read *)(void *)buf;
    in->handle = blk;
    in->offset = 0;
    in->data = buf;
    in->len = 2 * bs;
    in->ret = -1;
    hostile_hypercall(HVT_HYPERCALL_BLOCK_READ, (uintptr_t)in);
    hostile_expect("block_read_over_its_arguments", in->ret, SOLO5_R_OK);
    if (t_memcmp(buf + sizeof *in, buf2 + sizeof *in, 2 * bs - sizeof *in) != 0)
        hostile_note_failure("read over its arguments got the wrong data");
    struct hvt_hc_block_write *out = (struct hvt_hc_block_write *)(void *)buf;
    out->handle = blk;
    out->offset = bs;
    out->data = buf;
    out->len = bs;
    out->ret = -1;
    hostile_hypercall(HVT_HYPERCALL_BLOCK_WRITE, (uintptr_t)out);
    hostile_expect("block_write_from_its_arguments", out->ret, SOLO5_R_OK);

    /* The same failure many times, then the device still works. */
    int einval = 0;
    for (int i = 0; i < 1000; i++)
        einval += block_read(huge, 0, buf, bs) == SOLO5_R_EINVAL;
    hostile_expect_repeated("block_read_failed_1000_times", einval, 1000);
    fill(buf, bs, 9);
    if (solo5_block_write(blk, bs, buf, bs) != SOLO5_R_OK ||
        solo5_block_read(blk, bs, buf2, bs) != SOLO5_R_OK ||
        t_memcmp(buf, buf2, bs) != 0)
        hostile_note_failure("block I/O broken after the failures");
    else
        t_puts("block I/O still works\n");
}

static void core_cases(uint64_t mem_end)
{
    /* Zero bytes at the very end of memory: nothing to print. */
    struct hvt_hc_puts p = {.data = (const char *)(uintptr_t)mem_end, .len = 0};
    hostile_hypercall(HVT_HYPERCALL_PUTS, (uintptr_t)&p);
    t_puts("case puts_nothing_at_memory_end: returned\n");

    /* The wall clock into the last 8 bytes of memory (above the stack). */
    volatile uint64_t *last = (volatile uint64_t *)(uintptr_t)(mem_end - 8);
    *last = 0;
    hostile_hypercall(HVT_HYPERCALL_WALLTIME, mem_end - 8);
    t_printf("case walltime_into_last_bytes: %s\n",
             *last != 0 ? "written" : "NOT written");
    if (*last == 0)
        hostile_note_failure("walltime wrote nothing");

    /* Poll with no devices and no wait. */
    struct hvt_hc_poll q = {.timeout_nsecs = 0, .ready_set = ~0ULL, .ret = -1};
    hostile_hypercall(HVT_HYPERCALL_POLL, (uintptr_t)&q);
    t_printf("case poll_no_wait: ret %d, ready set 0x%llx\n", q.ret,
             (unsigned long long)q.ready_set);
    if (q.ret != 0 || q.ready_set != 0)
        hostile_note_failure("poll without devices reported input");
}

/* Cases the tender must stop; see tests/tests.toml for each message. */
static bool fatal_case(const char *what, uint64_t mem_end)
{
    static struct hvt_hc_puts p;
    static struct hvt_hc_halt h;
    static uint64_t words[2];

    if (t_streq(what, "walltime_outside_memory")) {
        hostile_hypercall(HVT_HYPERCALL_WALLTIME, HOSTILE_FAR_ARG);
    } else if (t_streq(what, "puts_arguments_straddle_end")) {
        hostile_hypercall(HVT_HYPERCALL_PUTS, mem_end - 8);
    } else if (t_streq(what, "puts_data_outside_memory")) {
        p.data = (const char *)(uintptr_t)mem_end;
        p.len = 1;
        hostile_hypercall(HVT_HYPERCALL_PUTS, (uintptr_t)&p);
    } else if (t_streq(what, "puts_length_wraps")) {
        p.data = (const char *)(uintptr_t)0x100000;
        p.len = ~(size_t)0;
        hostile_hypercall(HVT_HYPERCALL_PUTS, (uintptr_t)&p);
    } else if (t_streq(what, "block_read_data_outside_memory")) {
        block_read(blk, 0, (const void *)(uintptr_t)(mem_end - bs / 2), bs);
    } else if (t_streq(what, "block_write_data_wraps")) {
        block_write(blk, 0, (const void *)(uintptr_t)(0 - bs / 2), bs);
    } else if (t_streq(what, "halt_cookie_outside_memory")) {
        h.cookie = (void *)(uintptr_t)0xfffff000UL;
        h.exit_status = 0;
        hostile_hypercall(HVT_HYPERCALL_HALT, (uintptr_t)&h);
    } else if (t_streq(what, "halt_cookie_straddles_end")) {
        h.cookie = (void *)(uintptr_t)(mem_end - 256);
        h.exit_status = 0;
        hostile_hypercall(HVT_HYPERCALL_HALT, (uintptr_t)&h);
    } else if (t_streq(what, "arguments_unaligned")) {
        hostile_hypercall(HVT_HYPERCALL_WALLTIME, (uintptr_t)words + 4);
    } else if (t_streq(what, "access_outside_memory")) {
        t_printf("read %u\n", hostile_read_physical(0x3fe00000));
    } else if (t_streq(what, "hypercall_zero")) {
        hostile_hypercall(0, (uintptr_t)words);
    } else if (t_streq(what, "hypercall_past_max")) {
        hostile_hypercall(HVT_HYPERCALL_MAX, (uintptr_t)words);
    } else if (t_streq(what, "hypercall_without_device")) {
        static struct hvt_hc_net_write w;
        hostile_hypercall(HVT_HYPERCALL_NET_WRITE, (uintptr_t)&w);
    } else if (t_streq(what, "hypercall_byte_write")) {
        hostile_write_byte(HVT_HYPERCALL_WALLTIME);
    } else if (t_streq(what, "hypercall_read")) {
        t_printf("read %u\n", hostile_read(HVT_HYPERCALL_WALLTIME));
    } else if (t_streq(what, "hypercall_half_write")) {
        hostile_write_half(HVT_HYPERCALL_WALLTIME);
#if defined(__aarch64__)
    } else if (t_streq(what, "hypercall_wide_write")) {
        hostile_write_wide(HVT_HYPERCALL_WALLTIME);
    } else if (t_streq(what, "hypercall_mid_slot")) {
        hostile_write_mid_slot(HVT_HYPERCALL_WALLTIME);
    } else if (t_streq(what, "hypercall_store_pair")) {
        hostile_write_pair(HVT_HYPERCALL_WALLTIME);
#endif
    } else {
        return false;
    }
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char what[40];
    struct solo5_block_info info;
    uint64_t mem_end = hostile_mem_end(si);

    t_banner("hostile_hvt");
    if (!t_arg(si->cmdline, 0, what, sizeof what))
        return t_fail("no case given (returns, walltime_outside_memory, ...)");
    if (solo5_block_acquire("storage", &blk, &info) != SOLO5_R_OK)
        return t_fail("cannot acquire block device 'storage'");
    bs = info.block_size;
    cap = info.capacity;
    if (bs > MAX_BLOCK || cap < 8 * bs)
        return t_fail("block device 'storage' must have at least 8 blocks "
                      "of at most 4096 bytes");

    if (t_streq(what, "returns")) {
        block_cases();
        core_cases(mem_end);
        if (hostile_failures != 0)
            return t_fail("some cases did not get the answer they must");
        t_puts("SUCCESS\n");
        return SOLO5_EXIT_SUCCESS;
    }
    t_printf("case %s: the tender must stop the guest\n", what);
    if (!fatal_case(what, mem_end))
        return t_fail("unknown case");
    t_printf("FAILURE: case %s came back\n", what);
    return SOLO5_EXIT_FAILURE;
}
