/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * banner.c: the start-up banner and the guest memory map.
 *
 * The banner is most of what a small unikernel runs, and guest code can be
 * expensive per instruction (a KVM or QEMU that emulates it): it is built
 * without parsing a format, and goes out in one console write (for hvt a
 * write is a VM exit). The bytes are what one log_printf() per line printed,
 * each line cut at LOG_LINE_MAX - 1 bytes as log_printf() cuts it.
 */

#include "bindings.h"
#include "solo5_version.h"

/* Section boundaries, from the linker script. */
extern char _stext[], _etext[], _erodata[], _edata[], _ebss[];

struct banner {
    struct fmt_out o;
    size_t line; /* where the current line starts */
};

static void line_end(struct banner *b)
{
    if (b->o.len - b->line > LOG_LINE_MAX - 1)
        b->o.len = b->line + LOG_LINE_MAX - 1;
    /* Every line starts with room for a whole log line, so the cut above
     * is the only one. */
    if (b->o.cap - b->o.len < LOG_LINE_MAX) {
        platform_puts(b->o.buf, b->o.len);
        b->o.len = 0;
    }
    b->line = b->o.len;
}

/* "%08llx": a 64-bit address in at least 8 hex digits. */
static void put_addr(struct banner *b, uint64_t a)
{
    fmt_put_uint(&b->o, a, 16, 8);
}

/* One line of the map; (label) is "Solo5:   " and the name padded to 8
 * columns and a space, as "%-8s " pads it. */
#define REGION(b, label, from, to)                                             \
    do {                                                                       \
        _Static_assert(sizeof(label) == sizeof("Solo5:   12345678 "),          \
                       "region labels are padded to 8 columns");               \
        region((b), (label), (from), (to));                                    \
    } while (0)

static void region(struct banner *b, const char *label, uint64_t from,
                   uint64_t to)
{
    if (to <= from)
        return;
    uint64_t kib = (to - from + 1023) / 1024;
    bool mib = kib >= 10 * 1024;

    fmt_put(&b->o, label, sizeof("Solo5:   12345678 ") - 1);
    FMT_PUT_LIT(&b->o, "0x");
    put_addr(b, from);
    FMT_PUT_LIT(&b->o, " - 0x");
    put_addr(b, to - 1);
    FMT_PUT_LIT(&b->o, " (");
    fmt_put_uint(&b->o, mib ? kib / 1024 : kib, 10, 1);
    if (mib)
        FMT_PUT_LIT(&b->o, " MiB)\n");
    else
        FMT_PUT_LIT(&b->o, " KiB)\n");
    line_end(b);
}

void banner_print(const char *binding, const struct mem_layout *m)
{
    if (!log_enabled(LOG_INFO))
        return;

    uintptr_t heap_start;
    size_t heap_size;
    mem_heap_region(m, &heap_start, &heap_size);

    /* Room for the map (under 80 bytes a line) after a first line cut at
     * a log line's length. */
    char buf[3 * LOG_LINE_MAX];
    struct banner b = {.o = {.buf = buf, .cap = sizeof buf}};

    FMT_PUT_LIT(&b.o, "Solo5: solo5-ng ");
    fmt_put(&b.o, binding, strlen(binding));
    FMT_PUT_LIT(&b.o, " binding, version " SOLO5_VERSION "\n");
    line_end(&b);
    FMT_PUT_LIT(&b.o, "Solo5: guest memory: ");
    fmt_put_uint(&b.o, m->mem_size >> 20, 10, 1);
    FMT_PUT_LIT(&b.o, " MiB, layout:\n");
    line_end(&b);
    REGION(&b, "Solo5:   text     ", (uintptr_t)_stext, (uintptr_t)_etext);
    REGION(&b, "Solo5:   rodata   ", (uintptr_t)_etext, (uintptr_t)_erodata);
    REGION(&b, "Solo5:   data     ", (uintptr_t)_erodata, (uintptr_t)_edata);
    REGION(&b, "Solo5:   bss      ", (uintptr_t)_edata, (uintptr_t)_ebss);
    REGION(&b, "Solo5:   heap     ", heap_start, heap_start + heap_size);
    FMT_PUT_LIT(&b.o, "Solo5:   stack grows down from 0x");
    put_addr(&b, m->stack_top);
    FMT_PUT_LIT(&b.o, "\n");
    line_end(&b);
    if (b.o.len > 0)
        platform_puts(b.o.buf, b.o.len);
}
