/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * test_hostile_hvt_net: test_hostile_hvt's attacks on the network
 * hypercalls, with network device "service0" (a tap in the test's own
 * network namespace).
 *
 *   test_hostile_hvt_net returns
 *       every case the tender must answer with an error (or serve): one
 *       line per case, then a frame still goes out, SUCCESS.
 *   test_hostile_hvt_net NAME
 *       one case the tender must stop with "guest violation: ...".
 */

#include "../test_hostile_hvt/hostile_hvt.h"

#define FRAME 60

static uint8_t buf[2048] __attribute__((aligned(16)));
static solo5_handle_t net;
static struct solo5_net_info info;

static int net_write(uint64_t handle, const void *data, uint64_t len)
{
    struct hvt_hc_net_write w = {
        .handle = handle, .data = data, .len = len, .ret = -1};

    hostile_hypercall(HVT_HYPERCALL_NET_WRITE, (uintptr_t)&w);
    return w.ret;
}

static int net_read(uint64_t handle, void *data, uint64_t len)
{
    struct hvt_hc_net_read r = {
        .handle = handle, .data = data, .len = len, .ret = -1};

    hostile_hypercall(HVT_HYPERCALL_NET_READ, (uintptr_t)&r);
    return r.ret;
}

/* A broadcast frame of an unassigned ethertype from our MAC, at (p). */
static void frame(uint8_t *p)
{
    t_memset(p, 0, FRAME);
    t_memset(p, 0xff, SOLO5_NET_ALEN);
    t_memcpy(p + SOLO5_NET_ALEN, info.mac_address, SOLO5_NET_ALEN);
    p[12] = 0x88;
    p[13] = 0xb5; /* IEEE 802 local experimental ethertype 1 */
}

static void returning_cases(void)
{
    const uint64_t huge = 1ULL << 63;
    const uint64_t max_frame = info.mtu + SOLO5_NET_HLEN;

    frame(buf);
    hostile_expect("net_write_handle_huge", net_write(huge, buf, FRAME),
                   SOLO5_R_EINVAL);
    hostile_expect("net_write_handle_reserved", net_write(0, buf, FRAME),
                   SOLO5_R_EINVAL);
    hostile_expect("net_read_handle_past_manifest",
                   net_read(MFT_MAX_ENTRIES, buf, sizeof buf), SOLO5_R_EINVAL);
    hostile_expect("net_write_longer_than_mtu",
                   net_write(net, buf, max_frame + 1), SOLO5_R_EINVAL);
    hostile_expect("net_write_length_huge", net_write(net, buf, ~0ULL),
                   SOLO5_R_EINVAL);
    /* The tap refuses a frame shorter than an Ethernet header. */
    hostile_expect("net_write_runt", net_write(net, buf, 4), SOLO5_R_EUNSPEC);
    /* Nothing fits in no bytes, whether or not a frame is waiting. */
    hostile_expect("net_read_length_zero", net_read(net, buf, 0),
                   SOLO5_R_AGAIN);

    /* Legal but odd: an unaligned frame; the arguments inside the frame. */
    frame(buf + 1);
    hostile_expect("net_write_unaligned_buffer", net_write(net, buf + 1, FRAME),
                   SOLO5_R_OK);
    struct hvt_hc_net_write *w = (struct hvt_hc_net_write *)(void *)(buf + 64);
    frame(buf + 64);
    w->handle = net;
    w->data = buf + 64;
    w->len = FRAME;
    w->ret = -1;
    hostile_hypercall(HVT_HYPERCALL_NET_WRITE, (uintptr_t)w);
    hostile_expect("net_write_from_its_arguments", w->ret, SOLO5_R_OK);

    int einval = 0;
    for (int i = 0; i < 1000; i++)
        einval += net_write(huge, buf, FRAME) == SOLO5_R_EINVAL;
    hostile_expect_repeated("net_write_failed_1000_times", einval, 1000);
    frame(buf);
    if (solo5_net_write(net, buf, FRAME) != SOLO5_R_OK)
        hostile_note_failure("a frame cannot go out after the failures");
    else
        t_puts("a frame still goes out\n");
}

static bool fatal_case(const char *what, uint64_t mem_end)
{
    if (t_streq(what, "net_read_data_outside_memory")) {
        net_read(net, (void *)(uintptr_t)mem_end, info.mtu + SOLO5_NET_HLEN);
    } else if (t_streq(what, "net_write_data_wraps")) {
        net_write(net, (const void *)(uintptr_t)(0 - 16ULL), FRAME);
    } else if (t_streq(what, "hypercall_without_device")) {
        static struct hvt_hc_block_read r;
        hostile_hypercall(HVT_HYPERCALL_BLOCK_READ, (uintptr_t)&r);
    } else {
        return false;
    }
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char what[40];

    t_banner("hostile_hvt_net");
    if (!t_arg(si->cmdline, 0, what, sizeof what))
        return t_fail("no case given (returns, net_write_data_wraps, ...)");
    if (solo5_net_acquire("service0", &net, &info) != SOLO5_R_OK)
        return t_fail("cannot acquire network device 'service0'");

    if (t_streq(what, "returns")) {
        returning_cases();
        if (hostile_failures != 0)
            return t_fail("some cases did not get the answer they must");
        t_puts("SUCCESS\n");
        return SOLO5_EXIT_SUCCESS;
    }
    t_printf("case %s: the tender must stop the guest\n", what);
    if (!fatal_case(what, hostile_mem_end(si)))
        return t_fail("unknown case");
    t_printf("FAILURE: case %s came back\n", what);
    return SOLO5_EXIT_FAILURE;
}
