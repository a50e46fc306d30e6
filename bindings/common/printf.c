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

/*
 * Guest code can be expensive per instruction (a KVM that emulates the
 * guest, a TCG QEMU), and the start-up banner is most of what a small
 * unikernel runs: text goes out in runs, not a call per byte, and the
 * digits of the common bases without a division instruction.
 */

/* Appends (n) bytes of (s): as many as fit, but counts them all. */
void fmt_put(struct fmt_out *o, const char *s, size_t n)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    size_t k = n < room ? n : room;
    char *d = o->buf + o->len;
    size_t i = 0;

    if (k >= 8) {
        for (; i + 8 <= k; i += 8)
            __builtin_memcpy(d + i, s + i, 8);
        /* The last 8 bytes again, overlapping: no loop for the tail. */
        if (i < k)
            __builtin_memcpy(d + k - 8, s + k - 8, 8);
    } else {
        if (k & 4) {
            __builtin_memcpy(d, s, 4);
            i = 4;
        }
        if (k & 2) {
            __builtin_memcpy(d + i, s + i, 2);
            i += 2;
        }
        if (k & 1)
            d[i] = s[i];
    }
    o->len += n;
}

static void put_fill(struct fmt_out *o, char c, size_t n)
{
    for (; n > 0; n--) {
        if (o->len < o->cap)
            o->buf[o->len] = c;
        o->len++;
    }
}

static void put_padded(struct fmt_out *o, const char *s, size_t n, int width,
                       bool left, char pad)
{
    size_t fill = (width > 0 && (size_t)width > n) ? (size_t)width - n : 0;

    if (fill == 0) {
        fmt_put(o, s, n);
        return;
    }
    if (!left) {
        /* Zero padding goes after a minus sign. */
        if (pad == '0' && n > 0 && s[0] == '-') {
            fmt_put(o, s, 1);
            s++;
            n--;
        }
        put_fill(o, pad, fill);
    }
    fmt_put(o, s, n);
    if (left)
        put_fill(o, ' ', fill);
}

/* Formats (v) in (base) at the end of (tmp); returns the start. */
static char *utoa(char *end, unsigned long long v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    if (base == 16) {
        do {
            *--p = digits[v & 15];
            v >>= 4;
        } while (v != 0);
    } else {
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
    }
    return p;
}

void fmt_put_uint(struct fmt_out *o, unsigned long long v, unsigned base,
                  unsigned digits)
{
    char tmp[24];
    char *end = tmp + sizeof tmp;
    char *p = utoa(end, v, base, false);

    while ((size_t)(end - p) < digits && p > tmp)
        *--p = '0';
    fmt_put(o, p, (size_t)(end - p));
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    /* (cap) leaves room for the NUL. */
    struct fmt_out o = {.buf = buf, .cap = size > 0 ? size - 1 : 0, .len = 0};
    char tmp[24];
    char *end = tmp + sizeof tmp;

    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            const char *run = fmt;
            while (fmt[1] != '%' && fmt[1] != '\0')
                fmt++;
            fmt_put(&o, run, (size_t)(fmt - run) + 1);
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
            fmt_put(&o, "%", 1);
            break;
        case '\0':
            /* A lone '%' at the end: print it and stop. */
            fmt_put(&o, "%", 1);
            fmt--;
            break;
        default:
            /* Unknown conversion: show it as written. */
            fmt_put(&o, "%", 1);
            fmt_put(&o, fmt, 1);
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
