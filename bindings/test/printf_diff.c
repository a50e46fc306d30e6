/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * printf_diff.c: a host program that runs the bindings' formatter
 * (bindings/common/printf.c, linked in) and the C library's snprintf()
 * on the same formats and arguments, for every buffer size from 0 to
 * past the text, and fails on the first difference in the returned
 * length or in the buffer's bytes. The formats use only what the
 * bindings' formatter implements (flags '-' and '0', a width, a
 * precision for %s, the l, ll and z modifiers; %s %c %d %i %u %x %X %p
 * and %%), which is where it must agree with C's.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#define BUF 96

static int failures;
static int checks;

/* Formats with both into buffers of (size) bytes and compares. */
static void compare(int line, size_t size, const char *fmt, ...)
{
    char want[BUF], got[BUF];
    va_list a, b;

    memset(want, 0x55, sizeof want);
    memset(got, 0x55, sizeof got);
    va_start(a, fmt);
    va_copy(b, a);
    int nw = vsnprintf(size > 0 ? want : NULL, size, fmt, a);
    int ng = fmt_vsnprintf(size > 0 ? got : NULL, size, fmt, b);
    va_end(b);
    va_end(a);
    checks++;
    if (nw != ng || memcmp(want, got, sizeof want) != 0) {
        failures++;
        if (failures <= 10)
            printf("line %d: format \"%s\", buffer of %zu bytes: C gives "
                   "%d \"%.*s\", the bindings %d \"%.*s\"\n",
                   line, fmt, size, nw, (int)(size ? size - 1 : 0), want, ng,
                   (int)(size ? size - 1 : 0), got);
    }
}

/* Every buffer size from 0 to well past the longest text. */
#define CHECK(...)                                                             \
    do {                                                                       \
        for (size_t size = 0; size < BUF - 8; size++)                          \
            compare(__LINE__, size, __VA_ARGS__);                              \
    } while (0)

int main(void)
{
    CHECK("");
    CHECK("plain text, no conversions, long enough to cross words");
    CHECK("%%");
    CHECK("100%% sure");
    CHECK("%s|%s", "abc", "");
    CHECK("[%10s][%-10s][%.2s][%5.1s]", "abc", "abc", "abc", "abc");
    CHECK("[%s]", "a string longer than some of the buffer sizes tried");
    CHECK("%c%c%c", 'a', 'b', 'c');
    CHECK("[%3c][%-3c]", 'x', 'y');
    CHECK("%d %i %d %d", 0, 42, -42, 2147483647);
    CHECK("%d", (int)(-2147483647 - 1));
    CHECK("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
    CHECK("[%1d][%02d]", 12345, -7);
    CHECK("%ld %lld %ld", 1234567890123L, -1234567890123LL,
          (long)(-9223372036854775807L - 1));
    CHECK("%u %u", 0U, 4294967295U);
    CHECK("%lu %llu", 18446744073709551615UL, 18446744073709551615ULL);
    CHECK("%zu %zx", (size_t)123456789, (size_t)0xdeadbeef);
    CHECK("%x %X %x", 0U, 0xabcdefU, 0xffffffffU);
    CHECK("%lx %llX", 0x123456789abcdefUL, 0xfedcba9876543210ULL);
    CHECK("[%8x][%-8x][%08x][%016llx]", 0xbeefU, 0xbeefU, 0xbeefU, 0x1234ULL);
    CHECK("%p %p", (void *)0x1000, (void *)(uintptr_t)0xffffffff80001234ULL);
    CHECK("[%20p][%-20p]", (void *)0x1000, (void *)0x1000);
    CHECK("Solo5: Memory map: %llu MB addressable:\n", (unsigned long long)512);
    CHECK("Solo5:   reserved @ (0x0 - 0x%llx)\n", 0xfffffULL);
    CHECK("%s:%d: assertion `%s' failed", "file.c", 123, "x != 0");

    printf("%d checks, %d differences\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
