/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * platform.c: the virtio binding's side of the hooks bindings/common needs.
 * The console is the serial port. The way out is QEMU's isa-debug-exit
 * device at port 0x501 (docs/virtio.md): a 16-bit write of the status makes
 * QEMU exit with (status << 1) | 1. Elsewhere the write goes nowhere and
 * the CPU halts for good.
 */

#include "virtio.h"

#define DEBUG_EXIT_PORT 0x501
void platform_puts(const char *buf, size_t n)
{
    serial_write(buf, n);
}

void solo5_console_write(const char *buf, size_t size)
{
    serial_write(buf, size);
}

void platform_exit(int status, void *cookie)
{
    /* The trap cookie is for a tender's core dump; there is none here. */
    (void)cookie;
    virtio_net_flush();
    outw(DEBUG_EXIT_PORT, (uint16_t)status);
    for (;;)
        __asm__ __volatile__("cli\n\thlt");
}
