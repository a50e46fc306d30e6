/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * gnttab.c: the grant table (version 1), through which we let the
 * backends map our rings and buffers. Its frames are mapped over pages of
 * our own memory with XENMEM_add_to_physmap, as for an HVM guest. Grants
 * are made once, at start of day, and never revoked: the rings and
 * buffers live as long as the unikernel.
 */

#include "xen.h"

#define GTF_permit_access 1U
#define GTF_readonly (1U << 2)

/* 512 entries per frame. The first 8 are reserved (the toolstack's, for
 * the console and xenstore). */
#define FRAMES 4U
#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(struct grant_entry))
#define FIRST_FREE 8U

struct grant_entry {
    uint16_t flags;
    uint16_t domid;
    uint32_t frame;
};

static volatile struct grant_entry *table;
static grant_ref_t next_ref = FIRST_FREE;
static grant_ref_t limit;

void gnttab_init(void)
{
    uint8_t *pages = mem_alloc_pages(FRAMES * PAGE_SIZE);

    for (unsigned i = 0; i < FRAMES; i++) {
        long rc = physmap_add(XENMAPSPACE_grant_table, i,
                              pages + (size_t)i * PAGE_SIZE);
        if (rc != 0) {
            /* A hypervisor may give fewer frames; what we got is usable. */
            if (i == 0)
                bindings_panic("cannot map the grant table: error %ld", rc);
            break;
        }
        limit = (grant_ref_t)((i + 1) * ENTRIES_PER_FRAME);
    }
    table = (volatile struct grant_entry *)pages;
}

grant_ref_t gnttab_grant(uint16_t domid, const void *addr, bool readonly)
{
    if (next_ref >= limit)
        bindings_panic("out of grant table entries (%u)", (unsigned)limit);
    grant_ref_t ref = next_ref++;
    volatile struct grant_entry *e = &table[ref];

    e->domid = domid;
    e->frame = (uint32_t)((uintptr_t)addr >> 12);
    /* Domain and frame before the flags that make the entry valid. */
    compiler_barrier();
    e->flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
    return ref;
}
