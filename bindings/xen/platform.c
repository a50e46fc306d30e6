/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * platform.c: the xen binding's side of the hooks bindings/common needs.
 * The console is the PV console. The way out (docs/xen.md) is first a
 * 16-bit write of the status to I/O port 0x501, QEMU's isa-debug-exit
 * device, which ends QEMU with (status << 1) | 1; where there is no such
 * device (real Xen) the write goes nowhere and we ask the hypervisor to
 * power the domain off, or to mark it crashed for an abort.
 */

#include "xen.h"

#define DEBUG_EXIT_PORT 0x501

void platform_puts(const char *buf, size_t n)
{
    console_write(buf, n);
}

void solo5_console_write(const char *buf, size_t size)
{
    console_write(buf, size);
}

void platform_exit(int status, void *cookie)
{
    /* The trap cookie is for a tender's core dump; there is none here. */
    (void)cookie;
    devices_close();
    console_flush();
    outw(DEBUG_EXIT_PORT, (uint16_t)status);
    if (shared_info != NULL)
        sched_shutdown(status == SOLO5_EXIT_ABORT ? SHUTDOWN_crash
                                                  : SHUTDOWN_poweroff);
    for (;;)
        __asm__ __volatile__("cli\n\thlt");
}
