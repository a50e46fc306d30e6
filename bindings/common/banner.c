/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * banner.c: the start-up banner and the guest memory map.
 */

#include "bindings.h"
#include "solo5_version.h"

/* Section boundaries, from the linker script. */
extern char _stext[], _etext[], _erodata[], _edata[], _ebss[];

static void region(const char *what, uint64_t from, uint64_t to)
{
    if (to <= from)
        return;
    uint64_t kib = (to - from + 1023) / 1024;
    bool mib = kib >= 10 * 1024;
    log_printf(LOG_INFO, "Solo5:   %-8s 0x%08llx - 0x%08llx (%llu %s)\n", what,
               (unsigned long long)from, (unsigned long long)to - 1,
               (unsigned long long)(mib ? kib / 1024 : kib),
               mib ? "MiB" : "KiB");
}

void banner_print(const char *binding, const struct mem_layout *m)
{
    if (!log_enabled(LOG_INFO))
        return;

    uintptr_t heap_start;
    size_t heap_size;
    mem_heap_region(m, &heap_start, &heap_size);

    log_printf(LOG_INFO, "Solo5: solo5-ng %s binding, version %s\n", binding,
               SOLO5_VERSION);
    log_printf(LOG_INFO, "Solo5: guest memory: %llu MiB, layout:\n",
               (unsigned long long)(m->mem_size >> 20));
    region("text", (uintptr_t)_stext, (uintptr_t)_etext);
    region("rodata", (uintptr_t)_etext, (uintptr_t)_erodata);
    region("data", (uintptr_t)_erodata, (uintptr_t)_edata);
    region("bss", (uintptr_t)_edata, (uintptr_t)_ebss);
    region("heap", heap_start, heap_start + heap_size);
    log_printf(LOG_INFO, "Solo5:   stack grows down from 0x%08llx\n",
               (unsigned long long)m->stack_top);
}
