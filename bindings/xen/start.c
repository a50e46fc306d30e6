/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * start.c: start of day. boot_x86_64.S calls boot_start() in long mode on
 * a boot stack, with %ebx from the PVH loader: the physical address of
 * the hvm_start_info (Xen's arch-x86/hvm/start_info.h). We take the
 * command line and the memory map from it before anything can overwrite
 * them, set up hypercalls, the shared info page, the clocks, the console
 * and the devices, then run the application on a stack at the top of
 * guest memory, as the other bindings do.
 */

#include "xen.h"

#define HVM_START_MAGIC 0x336ec578U
#define E820_RAM 1
#define XENMEM_memory_map 9

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version 1 and later */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

/* XENMEM_memory_map's entries are E820's: packed, 20 bytes. */
struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

struct xen_memory_map {
    uint32_t nr_entries;
    uint32_t pad;
    uint64_t buffer;
};

#define KERNEL_BASE 0x100000ULL
/* boot_x86_64.S maps the first 4 GiB. */
#define MAPPED_MEM_LIMIT (4ULL << 30)
#define MAX_E820 128

static char cmdline[8192];
static struct mem_layout layout;

static void xen_main(uint32_t info) NORETURN;
static void run_app(void) NORETURN;

void boot_start(uint32_t eax, uint32_t ebx)
{
    /* PVH leaves %eax undefined. */
    (void)eax;
    /* Before anything else can push a canary. */
    ssp_init(cpu_random_u64());
    xen_main(ebx);
}

static void copy_cmdline(uint64_t paddr)
{
    if (paddr == 0 || paddr >= MAPPED_MEM_LIMIT)
        return;
    cmdline_take(cmdline, sizeof cmdline, (const char *)(uintptr_t)paddr);
}

/* Grows (end) to the end of a RAM region that holds the kernel. */
static void ram_region(uint64_t *end, uint64_t addr, uint64_t size,
                       uint32_t type)
{
    if (type == E820_RAM && addr <= KERNEL_BASE && addr + size > KERNEL_BASE)
        *end = addr + size;
}

/* The end of the RAM region that holds the kernel: from the start info's
 * memory map, or where the loader gives none (a version 0 start info),
 * from XENMEM_memory_map. */
static uint64_t find_mem_size(const struct hvm_start_info *si)
{
    uint64_t end = 0;

    if (si->version >= 1 && si->memmap_entries > 0 &&
        si->memmap_paddr < MAPPED_MEM_LIMIT) {
        const struct hvm_memmap_entry *m =
            (const void *)(uintptr_t)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries; i++)
            ram_region(&end, m[i].addr, m[i].size, m[i].type);
    } else {
        static struct e820_entry e820[MAX_E820];
        struct xen_memory_map map = {.nr_entries = MAX_E820,
                                     .buffer = (uintptr_t)e820};
        long rc = hypercall(HYPERVISOR_memory_op, XENMEM_memory_map,
                            (uintptr_t)&map, 0);
        if (rc != 0)
            bindings_panic("no memory map: the start info has none and "
                           "XENMEM_memory_map failed (error %ld)",
                           rc);
        for (uint32_t i = 0; i < map.nr_entries && i < MAX_E820; i++)
            ram_region(&end, e820[i].addr, e820[i].size, e820[i].type);
    }
    if (end == 0)
        bindings_panic("the memory map has no RAM at 0x%llx",
                       (unsigned long long)KERNEL_BASE);
    return end > MAPPED_MEM_LIMIT ? MAPPED_MEM_LIMIT : end;
}

static void xen_main(uint32_t info)
{
    cpu_trap_init();
    cpu_fpu_init();
    /* TLS belongs to the application; until it sets one up, the thread
     * pointer is 0. */
    tls_reset();

    const struct hvm_start_info *si =
        (const struct hvm_start_info *)(uintptr_t)info;
    if (si->magic != HVM_START_MAGIC)
        bindings_panic("not started by a PVH loader (start info magic "
                       "0x%x)",
                       (unsigned)si->magic);
    copy_cmdline(si->cmdline_paddr);

    if (!hypercall_init())
        bindings_panic("not running on Xen (no Xen CPUID leaves or "
                       "hypercall page)");
    layout.mem_size = find_mem_size(si);
    layout.stack_top = layout.mem_size;
    mem_alloc_init(layout.mem_size);
    paging_init();

    evtchn_init();
    time_init();
    console_init();
    devices_init();
    layout.kernel_end = mem_alloc_end();

    boot_switch_stack(layout.stack_top, run_app);
}

static void run_app(void)
{
    bindings_run_app("xen", cmdline, &layout);
}
