/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * banner_diff.c: a host program that runs the bindings' start-up banner
 * and exit line (bindings/common/banner.c and exit.c, linked in) and
 * compares their console output with the same messages formatted by the
 * C library's snprintf(), one log line each, cut as log_printf() cuts a
 * line: the banner is built without a format string, and its bytes must
 * stay what the formats gave. Also checks that the whole banner is one
 * console write when it fits.
 */

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "solo5_version.h"

/* The linker script's section boundaries, here host addresses: wider than
 * 32 bits, which the "%08llx" fields must grow to. */
char _stext[64], _etext[64], _erodata[64], _edata[64], _ebss[64];

static char console[8192];
static size_t console_len;
static int writes;

void platform_puts(const char *buf, size_t n)
{
    if (console_len + n > sizeof console)
        abort();
    memcpy(console + console_len, buf, n);
    console_len += n;
    writes++;
}

static jmp_buf exited;

void platform_exit(int status, void *cookie)
{
    (void)status;
    (void)cookie;
    longjmp(exited, 1);
}

static uintptr_t heap_from;
static size_t heap_bytes;

void mem_heap_region(const struct mem_layout *m, uintptr_t *start, size_t *size)
{
    (void)m;
    *start = heap_from;
    *size = heap_bytes;
}

static char want[8192];
static size_t want_len;

/* What log_printf() printed for one line: at most LOG_LINE_MAX - 1 bytes. */
static void want_line(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void want_line(const char *fmt, ...)
{
    char line[4096];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n < LOG_LINE_MAX - 1 ? (size_t)n : LOG_LINE_MAX - 1;
    memcpy(want + want_len, line, len);
    want_len += len;
}

static void want_region(const char *what, uint64_t from, uint64_t to)
{
    if (to <= from)
        return;
    uint64_t kib = (to - from + 1023) / 1024;
    bool mib = kib >= 10 * 1024;
    want_line("Solo5:   %-8s 0x%08llx - 0x%08llx (%llu %s)\n", what,
              (unsigned long long)from, (unsigned long long)to - 1,
              (unsigned long long)(mib ? kib / 1024 : kib),
              mib ? "MiB" : "KiB");
}

static int failures, checks;

static void check(const char *what)
{
    checks++;
    if (console_len != want_len || memcmp(console, want, want_len) != 0) {
        failures++;
        if (failures <= 5)
            printf("%s: the bindings print\n%.*s\nsnprintf gives\n%.*s\n", what,
                   (int)console_len, console, (int)want_len, want);
    }
    console_len = want_len = 0;
}

static void banner_case(const char *binding, uint64_t mem_size,
                        uint64_t stack_top, uintptr_t from, size_t bytes)
{
    struct mem_layout m = {.mem_size = mem_size, .stack_top = stack_top};

    heap_from = from;
    heap_bytes = bytes;
    writes = 0;
    banner_print(binding, &m);
    want_line("Solo5: solo5-ng %s binding, version %s\n", binding,
              SOLO5_VERSION);
    want_line("Solo5: guest memory: %llu MiB, layout:\n",
              (unsigned long long)(mem_size >> 20));
    want_region("text", (uintptr_t)_stext, (uintptr_t)_etext);
    want_region("rodata", (uintptr_t)_etext, (uintptr_t)_erodata);
    want_region("data", (uintptr_t)_erodata, (uintptr_t)_edata);
    want_region("bss", (uintptr_t)_edata, (uintptr_t)_ebss);
    want_region("heap", from, from + bytes);
    want_line("Solo5:   stack grows down from 0x%08llx\n",
              (unsigned long long)stack_top);
    if (strlen(binding) < 64 && writes != 1) {
        failures++;
        printf("banner for %s: %d console writes, not one\n", binding, writes);
    }
    check(binding);
}

static void exit_case(int status)
{
    if (setjmp(exited) == 0)
        solo5_exit(status);
    want_line("Solo5: solo5_exit(%d) called\n", status);
    check("solo5_exit");
}

int main(void)
{
    static const uint64_t sizes[] = {
        0,         1,        1023,           1024,         10 * 1024 - 1,
        10 * 1024, 10 << 20, (10 << 20) - 1, 512ULL << 20, 1ULL << 40,
        ~0ULL >> 1};
    static const uint64_t tops[] = {
        0, 0x1000, 0x20000000, 0xffffffffULL, 0x100000000ULL, ~0ULL};
    char long_name[600];

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof tops / sizeof tops[0]; j++) {
            banner_case("hvt", sizes[i], tops[j], 0x10e000, sizes[i]);
            banner_case("spt", tops[j], sizes[i], (uintptr_t)tops[j], sizes[i]);
        }
    /* A first line longer than a log line is cut where log_printf cut it. */
    for (size_t n = 200; n < sizeof long_name; n += 7) {
        memset(long_name, 'b', n);
        long_name[n] = '\0';
        banner_case(long_name, 512ULL << 20, 0x20000000, 0x10e000,
                    (512 << 20) - 0x10e000);
    }
    static const int statuses[] = {0,   1,  2,   9,       10,
                                   255, -1, -10, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        exit_case(statuses[i]);

    /* --solo5:quiet: nothing at all. */
    log_set_level(LOG_ERROR);
    writes = 0;
    {
        struct mem_layout m = {.mem_size = 1 << 20, .stack_top = 1 << 20};
        banner_print("hvt", &m);
        if (setjmp(exited) == 0)
            solo5_exit(0);
        checks++;
        if (writes != 0) {
            failures++;
            printf("quiet: %d console writes\n", writes);
        }
    }
    console_len = 0;

    printf("banner_diff: %d checks, %d differences\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
