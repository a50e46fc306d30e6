/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_module_dumpcore.c: --dumpcore=DIR writes an ELF core file of the
 * guest into DIR when it aborts (exit status 255: solo5_abort(), a CPU
 * exception, or a crash the tender saw). gdb reads it together with the
 * unikernel:  gdb UNIKERNEL DIR/core.solo5-hvt.PID
 *
 * The core holds one PT_NOTE (the vCPU registers as NT_PRSTATUS, where the
 * guest's trap cookie has the better values) and one PT_LOAD with all of
 * guest memory at address 0 (the guest runs identity-mapped). There is no
 * NT_PRPSINFO: gdb compares its 15-character program name with the
 * executable's and warns that longer names "may not match".
 * Only pages the host ever touched are written; the rest stay holes in a
 * sparse file.
 *
 * The core is written under the seccomp filter: the directory is opened at
 * start-up, and the filter allows creating one kind of file in it, writing
 * to and closing exactly the descriptor that file gets (the lowest free one
 * when the filter was installed: nothing else can create one), and
 * mincore() of guest memory into this module's own vector.
 */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elf_image.h"
#include "hvt.h"

/* hvt_dumpcore_kvm_<arch>.c: fills in (ps) from the vCPU and (cookie). */
void hvt_dumpcore_arch_prstatus(struct tender *t, const void *cookie,
                                prstatus_t *ps);

#define CORE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
#define NOTE_NAME "CORE"
#define NOTE_NAME_SIZE 8 /* "CORE\0", padded to 4 bytes */

static const char *dir_path;
static int dir_fd = -1;
static char core_name[64];
static pid_t pid;
static unsigned char *resident;
static size_t page_size;

static bool handle_arg(struct tender *t, const char *arg)
{
    (void)t;
    if (strncmp(arg, "--dumpcore=", 11) != 0)
        return false;
    if (arg[11] == '\0')
        die("%s: missing directory", arg);
    if (dir_path != NULL)
        die("%s: --dumpcore given twice", arg);
    dir_path = arg + 11;
    return true;
}

static size_t put_note(uint8_t *buf, uint32_t type, const void *desc,
                       size_t size)
{
    Elf64_Nhdr nh = {.n_namesz = sizeof NOTE_NAME,
                     .n_descsz = (Elf64_Word)size,
                     .n_type = type};

    memcpy(buf, &nh, sizeof nh);
    memset(buf + sizeof nh, 0, NOTE_NAME_SIZE);
    memcpy(buf + sizeof nh, NOTE_NAME, sizeof NOTE_NAME);
    memcpy(buf + sizeof nh + NOTE_NAME_SIZE, desc, size);
    return sizeof nh + NOTE_NAME_SIZE + ((size + 3) & ~(size_t)3);
}

static bool write_all(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return true;
}

static bool write_core(struct tender *t, int fd, const void *cookie,
                       size_t *pages)
{
    static uint8_t head[4096];
    prstatus_t ps;

    memset(&ps, 0, sizeof ps);
    ps.pr_pid = pid;
    ps.pr_cursig = SIGABRT;
    hvt_dumpcore_arch_prstatus(t, cookie, &ps);

    memset(head, 0, sizeof head);
    size_t notes_off = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    size_t notes_len = put_note(head + notes_off, NT_PRSTATUS, &ps, sizeof ps);
    size_t mem_off = sizeof head;
    _Static_assert(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) +
                           sizeof(Elf64_Nhdr) + NOTE_NAME_SIZE +
                           sizeof(prstatus_t) + 4 <=
                       4096,
                   "core file headers fit in one page");

    Elf64_Ehdr eh = {
        .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
                    elf_host_data, EV_CURRENT, ELFOSABI_NONE},
        .e_type = ET_CORE,
        .e_machine = elf_host_machine,
        .e_version = EV_CURRENT,
        .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 2,
    };
    Elf64_Phdr ph[2] = {
        {.p_type = PT_NOTE,
         .p_offset = notes_off,
         .p_filesz = notes_len,
         .p_align = 4},
        {.p_type = PT_LOAD,
         .p_flags = PF_R | PF_W | PF_X,
         .p_offset = mem_off,
         .p_vaddr = 0,
         .p_paddr = 0,
         .p_filesz = t->mem_size,
         .p_memsz = t->mem_size,
         .p_align = page_size},
    };
    memcpy(head, &eh, sizeof eh);
    memcpy(head + sizeof eh, ph, sizeof ph);
    if (!write_all(fd, head, sizeof head, 0))
        return false;

    /* Runs of pages the host has touched; the rest are holes. */
    size_t npages = t->mem_size / page_size;
    if (mincore(t->mem, t->mem_size, resident) == -1)
        return false;
    *pages = 0;
    for (size_t i = 0; i < npages;) {
        if (!(resident[i] & 1)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < npages && (resident[j] & 1))
            j++;
        if (!write_all(fd, t->mem + i * page_size, (j - i) * page_size,
                       (off_t)(mem_off + i * page_size)))
            return false;
        *pages += j - i;
        i = j;
    }
    /* Give the file its full length even if the last page is a hole. */
    if (npages > 0 && !(resident[npages - 1] & 1)) {
        static const uint8_t zero;
        if (!write_all(fd, &zero, 1, (off_t)(mem_off + t->mem_size - 1)))
            return false;
    }
    return true;
}

static void dump(struct tender *t, int status, const void *cookie)
{
    if (status != 255) /* SOLO5_EXIT_ABORT */
        return;

    int fd = openat(dir_fd, core_name, CORE_FLAGS, 0600);
    if (fd == -1) {
        warn_msg("dumpcore: cannot create %s/%s: %s", dir_path, core_name,
                 strerror(errno));
        return;
    }
    if (fd != t->policy.next_fd) {
        /* The filter would kill the tender at the first write. */
        warn_msg("dumpcore: %s/%s got descriptor %d, not %d; not written",
                 dir_path, core_name, fd, t->policy.next_fd);
        return;
    }
    size_t pages = 0;
    if (write_core(t, fd, cookie, &pages))
        warn_msg("dumpcore: %zu of %llu guest pages written to %s/%s", pages,
                 (unsigned long long)(t->mem_size / page_size), dir_path,
                 core_name);
    else
        warn_msg("dumpcore: error writing %s/%s: %s; the file is incomplete",
                 dir_path, core_name, strerror(errno));
    close(fd);
}

static void setup(struct tender *t)
{
    if (dir_path == NULL)
        return;

    dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd == -1)
        die_errno("--dumpcore=%s: cannot open the directory", dir_path);
    if (faccessat(dir_fd, ".", W_OK, 0) == -1)
        die_errno("--dumpcore=%s: cannot write to the directory", dir_path);
    /* Absolute, so the message names the core wherever the user is. */
    char *abs = realpath(dir_path, NULL);
    if (abs != NULL)
        dir_path = abs;
    pid = getpid();
    snprintf(core_name, sizeof core_name, "core.solo5-hvt.%d", (int)pid);

    long ps = sysconf(_SC_PAGESIZE);
    page_size = ps > 0 ? (size_t)ps : 4096;
    if (t->mem_size % page_size != 0)
        die("--dumpcore: guest memory is not a whole number of host pages");
    resident = malloc(t->mem_size / page_size);
    if (resident == NULL)
        die("--dumpcore: out of memory");

    hvt_core_register_halt_hook(t, dump);
    t->policy.core_dirfd = dir_fd;
    t->policy.core_mem = (uintptr_t)t->mem;
    t->policy.core_mem_size = t->mem_size;
    t->policy.core_vec = (uintptr_t)resident;
}

static void policy(struct sc_policy *p, const struct tender_policy_in *in)
{
    if (in->core_dirfd < 0)
        return;
    SC_ALLOW(p, "dumpcore: create the core file", SYS_openat,
             SC_ARG(0, SC_EQ, in->core_dirfd), SC_ARG(2, SC_EQ, CORE_FLAGS));
    SC_ALLOW(p, "dumpcore: write the core file", SYS_pwrite64,
             SC_ARG(0, SC_EQ, in->next_fd));
    SC_ALLOW(p, "dumpcore: close the core file", SYS_close,
             SC_ARG(0, SC_EQ, in->next_fd));
    SC_ALLOW(p, "dumpcore: mincore of guest memory", SYS_mincore,
             SC_ARG(0, SC_EQ, in->core_mem),
             SC_ARG(1, SC_EQ, in->core_mem_size),
             SC_ARG(2, SC_EQ, in->core_vec));
}

static const struct tender_module dumpcore_module = {
    .name = "dumpcore",
    .usage = "  --dumpcore=DIR      when the guest aborts, write a core file "
             "of it into DIR\n"
             "                      (gdb UNIKERNEL DIR/core.solo5-hvt.PID)\n",
    .handle_arg = handle_arg,
    .setup = setup,
    .policy = policy,
};

TENDER_MODULE(dumpcore_module);
