/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * platform.c: the spt binding's side of the hooks bindings/common needs,
 * and the console.
 */

#include "spt.h"

void platform_puts(const char *buf, size_t n)
{
    while (n > 0) {
        long rc = sys_write(SYS_STDOUT, buf, n);
        if (rc == -SYS_EINTR || rc == -SYS_EAGAIN)
            continue;
        if (rc <= 0)
            return; /* best effort: drop the rest */
        buf += rc;
        n -= (size_t)rc;
    }
}

void solo5_console_write(const char *buf, size_t size)
{
    platform_puts(buf, size);
}

void platform_exit(int status, void *cookie)
{
    (void)cookie;
    sys_exit_group(status);
}

int platform_set_tls_base(uintptr_t base)
{
    return sys_set_tls_base(base) == 0 ? 0 : -1;
}
