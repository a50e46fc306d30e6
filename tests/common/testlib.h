/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * testlib.h: tiny helpers for the test unikernels, using nothing but the
 * public Solo5 API (so the tests also build against Solo5's own bindings).
 * Everything is static inline: each test uses what it needs.
 */

#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "solo5.h"

static inline size_t t_strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

static inline bool t_streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static inline void t_puts(const char *s)
{
    solo5_console_write(s, t_strlen(s));
}

/* Formats an unsigned number; returns its length. */
static inline size_t t_utoa(char *buf, unsigned long long v, unsigned base,
                            int width)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while ((int)n < width && n < sizeof tmp)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/*
 * printf subset: %s %c %d %u %x with l/ll, and a zero-padded width for
 * numbers ("%08x"). Output is cut at 512 bytes.
 */
static inline void t_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline void t_printf(const char *fmt, ...)
{
    char buf[512];
    size_t n = 0;
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt != '\0' && n < sizeof buf - 24; fmt++) {
        if (*fmt != '%') {
            buf[n++] = *fmt;
            continue;
        }
        fmt++;
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        unsigned long long u;
        long long s;
        switch (*fmt) {
        case 's':
            for (const char *str = va_arg(ap, const char *);
                 *str != '\0' && n < sizeof buf - 24; str++)
                buf[n++] = *str;
            break;
        case 'c':
            buf[n++] = (char)va_arg(ap, int);
            break;
        case 'd':
            s = longs >= 2 ? va_arg(ap, long long)
                : longs    ? va_arg(ap, long)
                           : va_arg(ap, int);
            if (s < 0)
                buf[n++] = '-';
            u = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
            n += t_utoa(buf + n, u, 10, width);
            break;
        case 'u':
        case 'x':
            u = longs >= 2 ? va_arg(ap, unsigned long long)
                : longs    ? va_arg(ap, unsigned long)
                           : va_arg(ap, unsigned);
            n += t_utoa(buf + n, u, *fmt == 'u' ? 10 : 16, width);
            break;
        default:
            buf[n++] = '%';
            if (*fmt != '\0')
                buf[n++] = *fmt;
            else
                fmt--;
            break;
        }
    }
    va_end(ap);
    solo5_console_write(buf, n);
}

static inline void t_memset(void *p, int c, size_t n)
{
    volatile uint8_t *d = p;

    while (n-- > 0)
        *d++ = (uint8_t)c;
}

static inline void t_memcpy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;

    while (n-- > 0)
        *d++ = *s++;
}

static inline int t_memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a;
    const uint8_t *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

/* The (i)th space-separated word of (cmdline), copied into (buf). */
static inline bool t_arg(const char *cmdline, int i, char *buf, size_t size)
{
    const char *p = cmdline;

    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return false;
        const char *end = p;
        while (*end != '\0' && *end != ' ')
            end++;
        if (i-- == 0) {
            size_t n = (size_t)(end - p);
            if (n >= size)
                n = size - 1;
            t_memcpy(buf, p, n);
            buf[n] = '\0';
            return true;
        }
        p = end;
    }
}

static inline unsigned long t_atoul(const char *s)
{
    unsigned long v = 0;

    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long)(*s++ - '0');
    return v;
}

/*
 * Executes an instruction the architecture defines as invalid (not a
 * breakpoint or trap instruction, which Linux reports as SIGTRAP): on spt
 * the host kernel kills the tender with SIGILL.
 */
static inline void t_invalid_instruction(void)
{
#if defined(__x86_64__)
    __asm__ __volatile__("ud2");
#elif defined(__aarch64__)
    __asm__ __volatile__("udf #0");
#elif defined(__powerpc64__)
    /* Primary opcode 0 is reserved as illegal. */
    __asm__ __volatile__(".long 0");
#else
#error "testlib.h: no invalid instruction for this architecture"
#endif
}

static inline void t_banner(const char *name)
{
    t_printf("\n**** Solo5 standalone test_%s ****\n\n", name);
}

static inline int t_fail(const char *why)
{
    t_printf("FAILURE: %s\n", why);
    return SOLO5_EXIT_FAILURE;
}

#endif /* TESTLIB_H */
