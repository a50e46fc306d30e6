/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * string.c: the few string and memory functions that binding code uses and
 * that compilers emit calls to (memcpy, memset, ...), even in freestanding
 * code.
 *
 * They are weak, so an application that links its own C library gets its
 * own versions without a clash. The empty asm statements stop the compiler
 * from recognising the loops as memcpy/memset idioms and turning them back
 * into calls to these very functions.
 */

#include "bindings.h"

#define WEAK __attribute__((weak))
#define NO_IDIOM(p) __asm__("" : "+r"(p))

WEAK void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            NO_IDIOM(d);
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
        }
    }
    for (; n > 0; n--) {
        NO_IDIOM(d);
        *d++ = *s++;
    }
    return dst;
}

WEAK void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards. */
    d += n;
    s += n;
    while (n-- > 0) {
        NO_IDIOM(d);
        *--d = *--s;
    }
    return dst;
}

WEAK void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    if (((uintptr_t)d & 7) == 0) {
        uint64_t w = 0x0101010101010101ULL * b;
        for (; n >= 8; n -= 8, d += 8) {
            NO_IDIOM(d);
            *(uint64_t *)(void *)d = w;
        }
    }
    for (; n > 0; n--) {
        NO_IDIOM(d);
        *d++ = b;
    }
    return dst;
}

WEAK int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

WEAK size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

WEAK size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

WEAK int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    while (*x != '\0' && *x == *y) {
        x++;
        y++;
    }
    return (int)*x - (int)*y;
}

WEAK int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (; n > 0; n--, x++, y++) {
        if (*x != *y || *x == '\0')
            return (int)*x - (int)*y;
    }
    return 0;
}

WEAK char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;

    for (; i < n && src[i] != '\0'; i++)
        dst[i] = src[i];
    for (; i < n; i++) {
        char *p = &dst[i];
        NO_IDIOM(p);
        *p = '\0';
    }
    return dst;
}

WEAK char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}
