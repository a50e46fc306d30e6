/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_image.c: reading an ELF file and checking its headers.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_image.h"
#include "tender.h"

/* No unikernel is this large; anything bigger is a mistake. */
#define ELF_MAX_FILE_SIZE (1ULL << 30)
#define ELF_MAX_PHNUM 64

const char *elf_machine_name(uint16_t machine)
{
    switch (machine) {
    case EM_X86_64:
        return "x86_64";
    case EM_AARCH64:
        return "aarch64";
    case EM_PPC64:
        return "ppc64";
    case EM_386:
        return "i386";
    case EM_ARM:
        return "arm";
    case EM_RISCV:
        return "riscv";
    default:
        return NULL;
    }
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

/* Reads bytes [from, to) of the file into img->data, grown to (to). */
static void read_range(int fd, struct elf_image *img, size_t from, size_t to)
{
    uint8_t *data = realloc(img->data, to > 0 ? to : 1);
    if (data == NULL)
        die("%s: out of memory reading the file", img->path);
    img->data = data;
    while (from < to) {
        ssize_t n = pread(fd, data + from, to - from, (off_t)from);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_errno("cannot read %s", img->path);
        if (n == 0)
            die("%s: file shrank while being read", img->path);
        from += (size_t)n;
    }
}

static int open_regular(const char *path, size_t *size)
{
    /*
     * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer (forever, as nobody comes); a character device could block as
     * well. Regular files ignore the flag, and nothing else is read.
     */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd == -1)
        die_errno("cannot open %s", path);

    struct stat st;
    if (fstat(fd, &st) == -1)
        die_errno("cannot stat %s", path);
    if (!S_ISREG(st.st_mode))
        die("%s: %s, not a unikernel file (give the path of a regular file)",
            path, file_kind(st.st_mode));
    if ((unsigned long long)st.st_size > ELF_MAX_FILE_SIZE)
        die("%s: file too large to be a unikernel (%lld bytes)", path,
            (long long)st.st_size);
    *size = (size_t)st.st_size;
    return fd;
}

/*
 * How much of the file the tender uses: the headers, the PT_LOAD and the
 * PT_NOTE contents. Symbols and debug information after them are never
 * read, so they cost neither time nor memory (a debug build's are most of
 * the file). Headers that elf_image_read() will refuse need nothing beyond
 * what is read already; a range reaching past the end of the file makes it
 * the whole file, so that the checks against img->size reject it exactly
 * as they would with the whole file read.
 */
static size_t used_extent(const Elf64_Phdr *ph, unsigned phnum,
                          size_t file_size)
{
    size_t need = 0;

    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD && ph[i].p_type != PT_NOTE)
            continue;
        if (ph[i].p_offset > file_size ||
            ph[i].p_filesz > file_size - ph[i].p_offset)
            return file_size;
        if (ph[i].p_offset + ph[i].p_filesz > need)
            need = ph[i].p_offset + ph[i].p_filesz;
    }
    return need;
}

/* The used part of the file (used_extent) into img->data, img->size. */
static void read_used(const char *path, struct elf_image *img)
{
    size_t file_size;
    int fd = open_regular(path, &file_size);
    /* One read covers the headers of any unikernel linked as usual. */
    size_t have = file_size < 4096 ? file_size : 4096;
    read_range(fd, img, 0, have);

    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
    if (have >= sizeof *eh && eh->e_phentsize == sizeof(Elf64_Phdr) &&
        eh->e_phnum <= ELF_MAX_PHNUM && eh->e_phoff % 8 == 0 &&
        eh->e_phoff <= file_size &&
        eh->e_phnum * sizeof(Elf64_Phdr) <= file_size - eh->e_phoff) {
        size_t ph_end = eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr);
        if (ph_end > have) {
            read_range(fd, img, have, ph_end);
            have = ph_end;
        }
        eh = (const Elf64_Ehdr *)img->data;
        size_t need = used_extent((const Elf64_Phdr *)(img->data + eh->e_phoff),
                                  eh->e_phnum, file_size);
        if (need > have) {
            read_range(fd, img, have, need);
            have = need;
        }
    }
    close(fd);
    img->size = have;
    img->file_size = file_size;
}

void elf_image_read(const char *path, struct elf_image *img)
{
    memset(img, 0, sizeof *img);
    img->path = path;
    read_used(path, img);
    /* The header checks are against the whole file. */
    size_t used = img->size;
    img->size = img->file_size;

    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
    if (img->size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        die("%s: not an ELF file", path);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        die("%s: not a 64-bit ELF file (class %u)", path,
            eh->e_ident[EI_CLASS]);
    if (img->size < sizeof(Elf64_Ehdr))
        die("%s: truncated ELF header (%zu bytes)", path, img->size);
    if (eh->e_ident[EI_DATA] != elf_host_data)
        die("%s: wrong byte order for this host (ELF data encoding %u)", path,
            eh->e_ident[EI_DATA]);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        die("%s: unsupported ELF version", path);
    if (eh->e_machine != elf_host_machine) {
        const char *want = elf_machine_name(elf_host_machine);
        const char *got = elf_machine_name(eh->e_machine);
        if (got != NULL)
            die("%s: built for %s, but this tender runs %s unikernels", path,
                got, want);
        die("%s: built for ELF machine %u, but this tender runs %s "
            "unikernels",
            path, eh->e_machine, want);
    }
    if (eh->e_type == ET_DYN)
        die("%s: a position-independent or shared object, not a unikernel "
            "(link it as a static executable)",
            path);
    if (eh->e_type != ET_EXEC)
        die("%s: not an executable (ELF type %u)", path, eh->e_type);
    if (eh->e_ehsize < sizeof(Elf64_Ehdr))
        die("%s: ELF header size %u too small", path, eh->e_ehsize);
    if (eh->e_phnum == 0 || eh->e_phoff == 0)
        die("%s: no program headers", path);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        die("%s: unexpected program header size %u", path, eh->e_phentsize);
    if (eh->e_phnum > ELF_MAX_PHNUM)
        die("%s: too many program headers (%u)", path, eh->e_phnum);
    if (eh->e_phoff % 8 != 0)
        die("%s: misaligned program headers", path);
    uint64_t ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
    if (eh->e_phoff > img->size || ph_bytes > img->size - eh->e_phoff)
        die("%s: program headers extend past the end of the file", path);

    img->eh = eh;
    img->ph = (const Elf64_Phdr *)(img->data + eh->e_phoff);
    img->phnum = eh->e_phnum;
    img->size = used;
}

void elf_image_free(struct elf_image *img)
{
    free(img->data);
    memset(img, 0, sizeof *img);
}
