/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * intr.c: the three interrupt lines the xen binding uses (IDT vectors
 * 32 + line): event channel upcalls, the local APIC timer, and the local
 * APIC's spurious interrupts, which must not be acknowledged.
 */

#include "xen.h"

void intr_dispatch(unsigned irq)
{
    switch (irq) {
    case XEN_UPCALL_IRQ:
        evtchn_upcall();
        break;
    case XEN_TIMER_IRQ:
        time_timer_irq();
        break;
    default:
        break;
    }
}
