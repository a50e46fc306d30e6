/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * run_app.c: the part of start of day that is the same for every binding.
 */

#include "bindings.h"

void bindings_run_app(const char *binding, const char *raw_cmdline,
                      const struct mem_layout *m)
{
    static struct solo5_start_info si;
    uintptr_t heap_start;
    size_t heap_size;

    /* Options first: --solo5:quiet must silence the banner. */
    si.cmdline = cmdline_parse(raw_cmdline);
    banner_print(binding, m);
    mem_heap_region(m, &heap_start, &heap_size);
    si.heap_start = heap_start;
    si.heap_size = heap_size;

    solo5_exit(solo5_app_main(&si));
}
