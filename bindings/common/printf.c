/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * printf.c: a small vsnprintf for the bindings' own messages.
 *
 * Conversions: %s %c %d %i %u %x %X %p %%, with the length modifiers l, ll,
 * z, an optional '0' flag, '-' flag and field width, and a precision
 * (".N" or ".*") for %s only. Output is always
 * NUL-terminated when (size) > 0; the return value is the length the full
 * output would have had, as in C99.
 */

#include "bindings.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
                       bool left, char pad)
{
    size_t fill = (width > 0 && (size_t)width > n) ? (size_t)width - n : 0;

    if (!left) {
        /* Zero padding goes after a minus sign. */
        if (pad == '0' && n > 0 && s[0] == '-') {
            put(o, '-');
            s++;
            n--;
        }
        for (; fill > 0; fill--)
            put(o, pad);
    }
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    for (; left && fill > 0; fill--)
        put(o, ' ');
}

/* Formats (v) in (base) at the end of (tmp); returns the start. */
static char *utoa(char *end, unsigned long long v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    do {
        *--p = digits[v % base];
        v /= base;
    } while (v != 0);
    return p;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {.buf = buf, .size = size, .len = 0};
    char tmp[24];
    char *end = tmp + sizeof tmp;

    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;

        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        int longs = 0;
        for (;; fmt++) {
            if (*fmt == 'l')
                longs++;
            else if (*fmt == 'z')
                longs = 1;
            else
                break;
        }

        unsigned long long u;
        long long s;
        char *p;
        switch (*fmt) {
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL)
                str = "(null)";
            size_t len = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
            put_padded(&o, str, len, width, left, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case 'd':
        case 'i':
            if (longs >= 2)
                s = va_arg(ap, long long);
            else if (longs == 1)
                s = va_arg(ap, long);
            else
                s = va_arg(ap, int);
            u = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
            p = utoa(end, u, 10, false);
            if (s < 0)
                *--p = '-';
            put_padded(&o, p, (size_t)(end - p), width, left, pad);
            break;
        case 'u':
        case 'x':
        case 'X':
            if (longs >= 2)
                u = va_arg(ap, unsigned long long);
            else if (longs == 1)
                u = va_arg(ap, unsigned long);
            else
                u = va_arg(ap, unsigned int);
            p = utoa(end, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
            put_padded(&o, p, (size_t)(end - p), width, left, pad);
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            p = utoa(end, u, 16, false);
            *--p = 'x';
            *--p = '0';
            put_padded(&o, p, (size_t)(end - p), width, left, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            /* A lone '%' at the end: print it and stop. */
            put(&o, '%');
            fmt--;
            break;
        default:
            /* Unknown conversion: show it as written. */
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }

    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
