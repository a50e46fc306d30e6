/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * platform.c: the hvt binding's side of the hooks bindings/common needs:
 * the console and the way out, both by hypercall.
 */

#include "hvt.h"

void platform_puts(const char *buf, size_t n)
{
    struct hvt_hc_puts p = {.data = buf, .len = n};

    hvt_do_hypercall(HVT_HYPERCALL_PUTS, &p);
}

void solo5_console_write(const char *buf, size_t size)
{
    platform_puts(buf, size);
}

void platform_exit(int status, void *cookie)
{
    struct hvt_hc_halt h = {.cookie = cookie, .exit_status = status};

    hvt_do_hypercall(HVT_HYPERCALL_HALT, &h);
    hvt_cpu_halt();
}
