/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fatal.c: the one way tenders report errors.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "tender.h"

const char *tender_prog = "solo5-tender";

/*
 * String arguments of a message are often hostile or careless input (a
 * command-line argument, a path, a name from a file): each %s shows at most
 * this many bytes, then "...", and bytes that are not printable ASCII as
 * \xNN. A %.Ns with an explicit precision is the caller's own bounded text
 * and shows up to N bytes, escaped the same way.
 */
#define QUOTE_MAX 80

static void put_quoted(FILE *f, const char *s, size_t max)
{
    size_t i;

    for (i = 0; i < max && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
    if (i == max && s[i] != '\0')
        fputs("...", f);
}

/* Appends the decimal (n) to the conversion (spec) being rebuilt. */
static void spec_int(char *spec, size_t size, int n)
{
    size_t len = strlen(spec);
    snprintf(spec + len, size - len, "%d", n);
}

/*
 * vfprintf() for the conversions messages use (d i u x X o c s p %, with
 * flags, width, precision and the hh h l ll z j t modifiers), except that
 * %s and %c are quoted as above. Each other conversion is handed to
 * fprintf() alone, with its argument fetched at its own type.
 */
static void put_formatted(FILE *f, const char *fmt, va_list ap)
{
    const char *p = fmt;

    while (*p != '\0') {
        if (*p != '%') {
            fputc(*p++, f);
            continue;
        }
        char spec[48] = "%";
        size_t n = 1;
        long prec = -1;

        p++;
        while (*p != '\0' && strchr("#0- +", *p) != NULL && n < 8)
            spec[n++] = *p++;
        if (*p == '*') {
            p++;
            spec_int(spec, sizeof spec, va_arg(ap, int));
            n = strlen(spec);
        }
        while (isdigit((unsigned char)*p) && n < 16)
            spec[n++] = *p++;
        if (*p == '.') {
            p++;
            if (*p == '*') {
                p++;
                prec = va_arg(ap, int);
            } else {
                prec = 0;
                while (isdigit((unsigned char)*p) && prec < 1000000)
                    prec = prec * 10 + (*p++ - '0');
            }
            if (prec >= 0) {
                spec[n++] = '.';
                spec[n] = '\0';
                spec_int(spec, sizeof spec, (int)prec);
                n = strlen(spec);
            }
        }
        char mod[3] = "";
        size_t m = 0;
        while (*p != '\0' && strchr("hlzjt", *p) != NULL && m < 2)
            mod[m++] = *p++;
        mod[m] = '\0';
        char conv = *p;
        if (conv == '\0')
            break;
        p++;
        memcpy(spec + n, mod, m);
        spec[n + m] = conv;
        spec[n + m + 1] = '\0';

        bool ll = strcmp(mod, "ll") == 0, l = strcmp(mod, "l") == 0;
        bool z = mod[0] == 'z', j = mod[0] == 'j', t = mod[0] == 't';
        switch (conv) {
        case '%':
            fputc('%', f);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            put_quoted(f, s != NULL ? s : "(null)",
                       prec >= 0 ? (size_t)prec : QUOTE_MAX);
            break;
        }
        case 'c': {
            char c[2] = {(char)va_arg(ap, int), '\0'};
            put_quoted(f, c, 1);
            break;
        }
        case 'p':
            fprintf(f, spec, va_arg(ap, void *));
            break;
        case 'd':
        case 'i':
            if (ll)
                fprintf(f, spec, va_arg(ap, long long));
            else if (l)
                fprintf(f, spec, va_arg(ap, long));
            else if (z)
                fprintf(f, spec, va_arg(ap, ssize_t));
            else if (j)
                fprintf(f, spec, va_arg(ap, intmax_t));
            else if (t)
                fprintf(f, spec, va_arg(ap, ptrdiff_t));
            else
                fprintf(f, spec, va_arg(ap, int));
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (ll)
                fprintf(f, spec, va_arg(ap, unsigned long long));
            else if (l)
                fprintf(f, spec, va_arg(ap, unsigned long));
            else if (z || t)
                fprintf(f, spec, va_arg(ap, size_t));
            else if (j)
                fprintf(f, spec, va_arg(ap, uintmax_t));
            else
                fprintf(f, spec, va_arg(ap, unsigned));
            break;
        default:
            /* Not a conversion messages use: its argument's type is
             * unknown, so nothing after it can be fetched. */
            fputs("?", f);
            return;
        }
    }
}

static void vmessage(const char *fmt, va_list ap, const char *suffix)
{
    fflush(stdout);
    put_quoted(stderr, tender_prog, QUOTE_MAX);
    fputs(": ", stderr);
    put_formatted(stderr, fmt, ap);
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
