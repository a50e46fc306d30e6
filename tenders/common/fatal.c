/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fatal.c: the one way tenders report errors.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

const char *tender_prog = "solo5-tender";

static void vmessage(const char *fmt, va_list ap, const char *suffix)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", tender_prog);
    vfprintf(stderr, fmt, ap);
    if (suffix != NULL)
        fprintf(stderr, ": %s", suffix);
    fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(fmt, ap, NULL);
    va_end(ap);
    exit(1);
}

void die_errno(const char *fmt, ...)
{
    const char *why = strerror(errno);
    va_list ap;

    va_start(ap, fmt);
    vmessage(fmt, ap, why);
    va_end(ap);
    exit(1);
}

void warn_msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(fmt, ap, NULL);
    va_end(ap);
}
