/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mem.c: where the heap goes. The application gets one region from the
 * first page after the image up to the top of the initial stack; the stack
 * grows down from the top of that region (see solo5.h).
 */

#include "bindings.h"

/* End of the image, from the linker script. */
extern char _end[];

void mem_heap_region(const struct mem_layout *m, uintptr_t *start, size_t *size)
{
    uint64_t end = m->kernel_end;

    if ((uint64_t)(uintptr_t)_end > end)
        end = (uint64_t)(uintptr_t)_end;
    uint64_t heap_start = ALIGN_UP(end, PAGE_SIZE);
    if (heap_start >= m->stack_top)
        bindings_panic("no memory left for the heap (image ends at 0x%llx, "
                       "memory ends at 0x%llx)",
                       (unsigned long long)end,
                       (unsigned long long)m->stack_top);
    *start = (uintptr_t)heap_start;
    *size = (size_t)(m->stack_top - heap_start);
}
