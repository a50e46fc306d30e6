/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * pages_x86_64.c: memory the binding keeps for its devices (queues, rings,
 * buffers). It is taken once at start of day from just after the image,
 * before the application's heap is laid out after it, and never returned.
 * Guest memory is identity-mapped, so these addresses are also what the
 * devices see.
 */

#include "pc_x86_64.h"

extern char _end[];

static uint64_t next_free;
static uint64_t mem_limit;

void mem_alloc_init(uint64_t mem_size)
{
    next_free = ALIGN_UP((uint64_t)(uintptr_t)_end, PAGE_SIZE);
    mem_limit = mem_size;
}

void *mem_alloc_pages(size_t bytes)
{
    uint64_t start = next_free;
    uint64_t size = ALIGN_UP(bytes, PAGE_SIZE);

    if (size > mem_limit || start > mem_limit - size)
        bindings_panic("out of memory for device queues (%zu bytes more)",
                       bytes);
    next_free = start + size;
    memset((void *)(uintptr_t)start, 0, size);
    return (void *)(uintptr_t)start;
}

uint64_t mem_alloc_end(void)
{
    return next_free;
}
