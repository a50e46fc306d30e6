/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * exit.c: solo5_exit(), solo5_abort() and the bindings' panic path, all
 * ending in the binding's platform_exit(). Every abort, whatever its cause
 * (solo5_abort(), a failed assertion, a panic, stack smashing, a fatal
 * trap), ends with one line "Solo5: ABORT: <reason>" that log scrapers can
 * look for.
 */

#include "bindings.h"

void solo5_exit(int status)
{
    /* Every run ends here: built without a format, as the banner is. */
    if (log_enabled(LOG_INFO)) {
        char buf[48];
        struct fmt_out o = {.buf = buf, .cap = sizeof buf};
        unsigned long long u = (unsigned long long)status;

        FMT_PUT_LIT(&o, "Solo5: solo5_exit(");
        if (status < 0) {
            FMT_PUT_LIT(&o, "-");
            u = 0ULL - u;
        }
        fmt_put_uint(&o, u, 10, 1);
        FMT_PUT_LIT(&o, ") called\n");
        platform_puts(buf, o.len);
    }
    platform_exit(status, NULL);
}

void bindings_abort(const char *reason, void *cookie)
{
    log_printf(LOG_ERROR, "Solo5: ABORT: %s\n", reason);
    platform_exit(SOLO5_EXIT_ABORT, cookie);
}

void solo5_abort(void)
{
    bindings_abort("solo5_abort() called", NULL);
}

void bindings_panic(const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    bindings_abort(buf, NULL);
}
