/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * exit.c: solo5_exit(), solo5_abort() and the bindings' panic path, all
 * ending in the binding's platform_exit().
 */

#include "bindings.h"

void solo5_exit(int status)
{
    log_printf(LOG_INFO, "Solo5: solo5_exit(%d) called\n", status);
    platform_exit(status, NULL);
}

void solo5_abort(void)
{
    log_printf(LOG_ERROR, "Solo5: solo5_abort() called\n");
    platform_exit(SOLO5_EXIT_ABORT, NULL);
}

void bindings_panic(const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_printf(LOG_ERROR, "Solo5: PANIC: %s\n", buf);
    solo5_abort();
}
