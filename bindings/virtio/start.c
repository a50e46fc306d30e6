/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * start.c: start of day. boot_x86_64.S calls boot_start() in long mode
 * on a boot stack with the multiboot magic and information. We take what
 * we need from the multiboot information (command line, memory size)
 * before anything can overwrite it, set up the CPU, the console, the
 * clocks and the devices, then run the application on a stack at the top
 * of guest memory, as the other bindings do.
 */

#include "virtio.h"

#define MB_LOADER_MAGIC 0x2badb002U

/* Multiboot information (Multiboot Specification 0.6.96, section 3.3). */
#define MBI_MEMORY (1U << 0)
#define MBI_CMDLINE (1U << 2)
#define MBI_MMAP (1U << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper; /* KiB below 640 KiB, above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct multiboot_mmap_entry {
    uint32_t size; /* of the rest of the entry */
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed));

#define MMAP_AVAILABLE 1

#define KERNEL_BASE 0x100000ULL
/* boot_x86_64.S maps the first 4 GiB. */
#define MAPPED_MEM_LIMIT (4ULL << 30)

/* Same size as the common code's buffer; the loader's first word (the
 * kernel's name) is dropped. */
static char cmdline[8192];
static struct mem_layout layout;

static void virtio_main(uint32_t magic, uint32_t info) NORETURN;
static void run_app(void) NORETURN;

void boot_start(uint32_t magic, uint32_t info)
{
    /* Before anything else can push a canary. */
    ssp_init(cpu_random_u64());
    virtio_main(magic, info);
}

static void copy_cmdline(const char *s)
{
    /* Drop the loader's first word: QEMU and GRUB put the kernel's file
     * name there. */
    while (*s != '\0' && *s != ' ')
        s++;
    if (*s == ' ')
        s++;
    cmdline_take(cmdline, sizeof cmdline, s);
}

/* The end of the RAM region that holds the kernel. */
static uint64_t find_mem_size(const struct multiboot_info *mi)
{
    uint64_t end = 0;

    if (mi->flags & MBI_MMAP) {
        uint64_t off = 0;
        while (off + sizeof(struct multiboot_mmap_entry) <= mi->mmap_length) {
            const struct multiboot_mmap_entry *m =
                (const void *)(uintptr_t)(mi->mmap_addr + off);
            if (m->type == MMAP_AVAILABLE && m->addr <= KERNEL_BASE &&
                m->addr + m->len > KERNEL_BASE)
                end = m->addr + m->len;
            off += (uint64_t)m->size + sizeof m->size;
        }
    } else if (mi->flags & MBI_MEMORY) {
        end = KERNEL_BASE + (uint64_t)mi->mem_upper * 1024;
    }
    if (end == 0)
        bindings_panic("the boot loader gave no memory map");
    return end > MAPPED_MEM_LIMIT ? MAPPED_MEM_LIMIT : end;
}

/*
 * The manifest is the one built into the image (its ELF note lies in the
 * writable data segment). Devices are matched to entries by kind and
 * order: the k-th virtio-net device found becomes the k-th NET_BASIC
 * entry, likewise for block devices.
 */
extern const struct mft1_note __solo5_mft1_note;

static struct mft *mft;

static void attach_device(const struct pci_dev *d)
{
    static unsigned seen[2];
    mft_type_t type;
    const char *what;

    if (d->subsys_id == 1) {
        type = MFT_DEV_NET_BASIC;
        what = "network";
    } else if (d->subsys_id == 2) {
        type = MFT_DEV_BLOCK_BASIC;
        what = "block";
    } else {
        log_printf(LOG_DEBUG,
                   "Solo5: PCI %02x:%02x.%u: virtio device of type %u, "
                   "not used\n",
                   d->bus, d->slot, d->fn, d->subsys_id);
        return;
    }
    unsigned nth = seen[type == MFT_DEV_NET_BASIC]++;
    unsigned k = 0;
    for (unsigned i = 1; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        if (e->type != type || k++ != nth)
            continue;
        log_printf(LOG_DEBUG,
                   "Solo5: PCI %02x:%02x.%u: virtio %s device, I/O 0x%x, "
                   "IRQ %u: '%s'\n",
                   d->bus, d->slot, d->fn, what, d->iobase, d->irq, e->name);
        if (type == MFT_DEV_NET_BASIC)
            virtio_net_attach(d, e, i);
        else
            virtio_blk_attach(d, e, i);
        return;
    }
    log_printf(LOG_INFO,
               "Solo5: PCI %02x:%02x.%u: virtio %s device not in the "
               "manifest, ignored\n",
               d->bus, d->slot, d->fn, what);
}

static void devices_init(void)
{
    mft = (struct mft *)(uintptr_t)&__solo5_mft1_note.m;
    mft_set(mft);
    if (mft->entries == 0 || mft->e[0].type != MFT_RESERVED_FIRST)
        bindings_panic("invalid manifest: the first entry is not reserved");
    mft->e[0].attached = true;

    pci_scan(attach_device);

    bool missing = false;
    for (unsigned i = 1; i < mft->entries; i++) {
        if (!mft->e[i].attached) {
            log_printf(LOG_ERROR,
                       "Solo5: no virtio %s device for manifest entry '%s'\n",
                       mft->e[i].type == MFT_DEV_NET_BASIC ? "network"
                                                           : "block",
                       mft->e[i].name);
            missing = true;
        }
    }
    if (missing)
        bindings_panic("not every device in the manifest is attached");
}

static void virtio_main(uint32_t magic, uint32_t info)
{
    serial_init();
    cpu_trap_init();
    cpu_fpu_init();
    /* TLS belongs to the application; until it sets one up, the thread
     * pointer is 0. */
    tls_reset();
    if (magic != MB_LOADER_MAGIC)
        bindings_panic("not started by a multiboot loader (magic 0x%x)",
                       (unsigned)magic);

    const struct multiboot_info *mi =
        (const struct multiboot_info *)(uintptr_t)info;
    if (mi->flags & MBI_CMDLINE)
        copy_cmdline((const char *)(uintptr_t)mi->cmdline);

    layout.mem_size = find_mem_size(mi);
    layout.stack_top = layout.mem_size;
    mem_alloc_init(layout.mem_size);
    paging_init();

    intr_init();
    time_init();
    devices_init();
    layout.kernel_end = mem_alloc_end();

    boot_switch_stack(layout.stack_top, run_app);
}

static void run_app(void)
{
    bindings_run_app("virtio", cmdline, &layout);
}
