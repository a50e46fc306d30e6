/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * evtchn.c: the shared info page and event channels.
 *
 * We map the shared info page over a page of our own memory
 * (XENMEM_add_to_physmap) and ask for event channel upcalls as an
 * interrupt vector (HVM_PARAM_CALLBACK_IRQ, type "vector"). The upcall
 * handler moves the pending bits the hypervisor set into our own set,
 * clearing them in the shared page, so that the next event on a port is
 * again a 0 -> 1 change that raises an upcall. Waiters look at their ring
 * first and at evtchn_take() second, both with interrupts disabled, then
 * halt in intr_wait(): an event that came after they looked is a pending
 * interrupt that ends the halt at once, so none is lost.
 *
 * A vector callback is not delivered through the local APIC: it takes no
 * end-of-interrupt, and stays asserted while evtchn_upcall_pending is set.
 */

#include "xen.h"

#define EVTCHNOP_send 4
#define EVTCHNOP_unmask 9
#define CALLBACK_TYPE_VECTOR (2ULL << 56)

volatile struct shared_info *shared_info;

static uint64_t fired[EVTCHN_WORDS];

void evtchn_init(void)
{
    void *page = mem_alloc_pages(PAGE_SIZE);
    long rc = physmap_add(XENMAPSPACE_shared_info, 0, page);
    if (rc != 0)
        bindings_panic("cannot map the shared info page: error %ld", rc);
    shared_info = page;

    volatile struct vcpu_info *v = &shared_info->vcpu_info[0];
    v->evtchn_upcall_mask = 0;
    cpu_trap_set_interrupt(IRQ_VECTOR_BASE + XEN_UPCALL_IRQ,
                           irq_entry_table[XEN_UPCALL_IRQ]);
    rc = hvm_set_param(HVM_PARAM_CALLBACK_IRQ,
                       CALLBACK_TYPE_VECTOR |
                           (IRQ_VECTOR_BASE + XEN_UPCALL_IRQ));
    if (rc != 0)
        bindings_panic("cannot set the event channel upcall vector: "
                       "error %ld",
                       rc);
}

void evtchn_upcall(void)
{
    volatile struct vcpu_info *v = &shared_info->vcpu_info[0];

    v->evtchn_upcall_pending = 0;
    uint64_t sel =
        __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel != 0) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t bits = __atomic_exchange_n(&shared_info->evtchn_pending[w], 0,
                                            __ATOMIC_SEQ_CST);
        fired[w] |= bits;
    }
}

bool evtchn_take(evtchn_port_t port)
{
    uint64_t bit = 1ULL << (port % 64);

    if (port >= EVTCHN_PORTS || !(fired[port / 64] & bit))
        return false;
    fired[port / 64] &= ~bit;
    return true;
}

void evtchn_send(evtchn_port_t port)
{
    uint32_t arg = port;

    (void)hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (uintptr_t)&arg,
                    0);
}

void evtchn_unmask(evtchn_port_t port)
{
    uint32_t arg = port;

    long rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_unmask,
                        (uintptr_t)&arg, 0);
    if (rc != 0)
        bindings_panic("cannot unmask event channel %u: error %ld",
                       (unsigned)port, rc);
}

#define EVTCHNOP_alloc_unbound 6

struct evtchn_alloc_unbound {
    uint16_t dom, remote_dom;
    evtchn_port_t port;
};

evtchn_port_t evtchn_alloc(uint16_t remote_domid)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF,
                                     .remote_dom = remote_domid};
    long rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                        (uintptr_t)&a, 0);

    if (rc != 0)
        bindings_panic("cannot allocate an event channel for domain %u: "
                       "error %ld",
                       (unsigned)remote_domid, rc);
    evtchn_unmask(a.port);
    return a.port;
}
