/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * console.c: the PV console: a page shared with the console backend
 * (HVM_PARAM_CONSOLE_PFN) holding an input and an output ring, and an
 * event channel (HVM_PARAM_CONSOLE_EVTCHN) to tell it there are bytes.
 * Output only. Bytes go out unchanged (no CR is added to LF).
 *
 * Before the console is up (and if it never comes up) output goes to I/O
 * port 0xe9, which Xen's HVM debug port and QEMU's isa-debugcon print,
 * and which is ignored elsewhere.
 */

#include "xen.h"

#define EARLY_PORT 0xe9

struct xencons_interface {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/* How long we wait for the backend to make room, or to drain the ring at
 * exit, before giving up on it: a hang guard, far beyond its normal pace
 * even on a loaded machine. */
#define BACKEND_PATIENCE_NS (10ULL * 1000000000ULL)

static volatile struct xencons_interface *ring;
static evtchn_port_t port;
static bool stuck; /* the backend stopped taking output: give up */

void console_init(void)
{
    uint64_t pfn = hvm_param(HVM_PARAM_CONSOLE_PFN);
    uint64_t evtchn = hvm_param(HVM_PARAM_CONSOLE_EVTCHN);

    if (pfn == 0 || pfn >= (4ULL << 30) >> 12)
        bindings_panic("no usable PV console page (pfn 0x%llx)",
                       (unsigned long long)pfn);
    port = (evtchn_port_t)evtchn;
    ring = (volatile struct xencons_interface *)(uintptr_t)(pfn << 12);
}

/* Waits until (done) holds or the backend has had its time. */
static bool wait_backend(bool (*done)(void))
{
    solo5_time_t start = solo5_clock_monotonic();

    while (!done()) {
        if (solo5_clock_monotonic() - start > BACKEND_PATIENCE_NS) {
            stuck = true;
            return false;
        }
        evtchn_send(port);
        __asm__ __volatile__("pause");
    }
    return true;
}

static bool has_room(void)
{
    return ring->out_prod - ring->out_cons < sizeof ring->out;
}

static bool drained(void)
{
    return ring->out_prod == ring->out_cons;
}

void console_write(const char *buf, size_t n)
{
    if (ring == NULL || stuck) {
        for (size_t i = 0; i < n; i++)
            outb(EARLY_PORT, (uint8_t)buf[i]);
        return;
    }
    size_t i = 0;
    while (i < n) {
        if (!has_room() && !wait_backend(has_room))
            return;
        uint32_t prod = ring->out_prod;
        uint32_t room = (uint32_t)sizeof ring->out - (prod - ring->out_cons);
        for (; room > 0 && i < n; room--, i++, prod++)
            ring->out[prod % sizeof ring->out] = buf[i];
        /* The bytes before the index that publishes them. */
        compiler_barrier();
        ring->out_prod = prod;
        evtchn_send(port);
    }
}

void console_flush(void)
{
    if (ring != NULL && !stuck)
        (void)wait_backend(drained);
}
