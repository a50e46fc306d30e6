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

static void read_all(const char *path, struct elf_image *img)
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

    img->size = (size_t)st.st_size;
    img->data = malloc(img->size > 0 ? img->size : 1);
    if (img->data == NULL)
        die("%s: out of memory reading the file", path);
    size_t done = 0;
    while (done < img->size) {
        ssize_t n = read(fd, img->data + done, img->size - done);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_errno("cannot read %s", path);
        if (n == 0)
            die("%s: file shrank while being read", path);
        done += (size_t)n;
    }
    close(fd);
}

void elf_image_read(const char *path, struct elf_image *img)
{
    memset(img, 0, sizeof *img);
    img->path = path;
    read_all(path, img);

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
}

void elf_image_free(struct elf_image *img)
{
    free(img->data);
    memset(img, 0, sizeof *img);
}
