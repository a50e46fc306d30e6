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

void tender_set_prog(int argc, char **argv, const char *fallback)
{
    if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0') {
        tender_prog = fallback;
        return;
    }
    char *p = argv[0];
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    char *last = p;
    for (char *c = p; *c != '\0'; c++) {
        if (*c == '/' && c[1] != '\0')
            last = c + 1;
    }
    tender_prog = last;
}

/*
 * String arguments of a message are often hostile or careless input (a
 * command-line argument, a path, a name from a file): each %s shows at most
 * this many bytes, then "...", and bytes that are not printable ASCII as
 * \xNN. A %.Ns with an explicit precision is the caller's own bounded text
 * and shows up to N bytes, escaped the same way.
 */
#define QUOTE_MAX 80

/*
 * A message is put together here and written with one write(2): stderr is
 * unbuffered, and a message is one line, not a call per byte. Longer
 * messages (only trusted text can make them) are cut.
 */
struct msg {
    char buf[2048];
    size_t len;
};

/* Adds one conversion: snprintf() clips at the buffer's end. */
#define MSG_ADD(m, ...)                                                        \
    do {                                                                       \
        int n_ = snprintf((m)->buf + (m)->len, sizeof(m)->buf - (m)->len,      \
                          __VA_ARGS__);                                        \
        if (n_ > 0)                                                            \
            (m)->len += (size_t)n_ < sizeof(m)->buf - (m)->len                 \
                            ? (size_t)n_                                       \
                            : sizeof(m)->buf - (m)->len - 1;                   \
    } while (0)

static void msg_char(struct msg *m, char c)
{
    if (m->len + 1 < sizeof m->buf)
        m->buf[m->len++] = c;
    m->buf[m->len] = '\0';
}

/* (s): a C string when (cut), else an array of at most (max) bytes. */
static void put_quoted(struct msg *m, const char *s, size_t max, bool cut)
{
    size_t i;

    for (i = 0; i < max && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            msg_char(m, (char)c);
        else
            MSG_ADD(m, "\\x%02x", c);
    }
    if (cut && i == max && s[i] != '\0')
        MSG_ADD(m, "...");
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
 * snprintf() alone, with its argument fetched at its own type.
 */
static void put_formatted(struct msg *m, const char *fmt, va_list ap)
{
    const char *p = fmt;

    while (*p != '\0') {
        if (*p != '%') {
            msg_char(m, *p++);
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
        size_t nmod = 0;
        while (*p != '\0' && strchr("hlzjt", *p) != NULL && nmod < 2)
            mod[nmod++] = *p++;
        mod[nmod] = '\0';
        char conv = *p;
        if (conv == '\0')
            break;
        p++;
        memcpy(spec + n, mod, nmod);
        spec[n + nmod] = conv;
        spec[n + nmod + 1] = '\0';

        bool ll = strcmp(mod, "ll") == 0, l = strcmp(mod, "l") == 0;
        bool z = mod[0] == 'z', j = mod[0] == 'j', t = mod[0] == 't';
        switch (conv) {
        case '%':
            msg_char(m, '%');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                put_quoted(m, "(null)", QUOTE_MAX, true);
            else if (prec >= 0)
                put_quoted(m, s, (size_t)prec, false);
            else
                put_quoted(m, s, QUOTE_MAX, true);
            break;
        }
        case 'c': {
            char c[2] = {(char)va_arg(ap, int), '\0'};
            put_quoted(m, c, 1, false);
            break;
        }
        case 'p':
            MSG_ADD(m, spec, va_arg(ap, void *));
            break;
        case 'd':
        case 'i':
            if (ll)
                MSG_ADD(m, spec, va_arg(ap, long long));
            else if (l)
                MSG_ADD(m, spec, va_arg(ap, long));
            else if (z)
                MSG_ADD(m, spec, va_arg(ap, ssize_t));
            else if (j)
                MSG_ADD(m, spec, va_arg(ap, intmax_t));
            else if (t)
                MSG_ADD(m, spec, va_arg(ap, ptrdiff_t));
            else
                MSG_ADD(m, spec, va_arg(ap, int));
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (ll)
                MSG_ADD(m, spec, va_arg(ap, unsigned long long));
            else if (l)
                MSG_ADD(m, spec, va_arg(ap, unsigned long));
            else if (z || t)
                MSG_ADD(m, spec, va_arg(ap, size_t));
            else if (j)
                MSG_ADD(m, spec, va_arg(ap, uintmax_t));
            else
                MSG_ADD(m, spec, va_arg(ap, unsigned));
            break;
        default:
            /* Not a conversion messages use: its argument's type is
             * unknown, so nothing after it can be fetched. */
            msg_char(m, '?');
            return;
        }
    }
}

static void vmessage(const char *prefix, const char *fmt, va_list ap,
                     const char *suffix)
{
    struct msg m = {.len = 0};

    fflush(stdout);
    put_quoted(&m, tender_prog, QUOTE_MAX, true);
    MSG_ADD(&m, ": %s", prefix);
    put_formatted(&m, fmt, ap);
    if (suffix != NULL)
        MSG_ADD(&m, ": %s", suffix);
    /* Full: end in "..." and keep room for the newline. */
    if (m.len > sizeof m.buf - 5) {
        m.len = sizeof m.buf - 5;
        memcpy(m.buf + m.len, "...", 3);
        m.len += 3;
    }
    m.buf[m.len++] = '\n';
    fwrite(m.buf, 1, m.len, stderr);
}

void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage("", fmt, ap, NULL);
    va_end(ap);
    exit(1);
}

void die_errno(const char *fmt, ...)
{
    const char *why = strerror(errno);
    va_list ap;

    va_start(ap, fmt);
    vmessage("", fmt, ap, why);
    va_end(ap);
    exit(1);
}

void warn_msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage("", fmt, ap, NULL);
    va_end(ap);
}

void vwarn_prefixed(const char *prefix, const char *fmt, va_list ap)
{
    vmessage(prefix, fmt, ap, NULL);
}
