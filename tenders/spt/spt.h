/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt.h: the solo5-spt tender. It loads the unikernel into its own address
 * space, confines itself with a seccomp filter that allows only the system
 * calls the spt binding makes (on the descriptors opened for it), and jumps
 * to the unikernel's entry point.
 */

#ifndef TENDER_SPT_H
#define TENDER_SPT_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "spt_abi.h"
#include "tender.h"

/* Low guest memory, below SPT_GUEST_MIN_BASE: boot info, then these. */
#define SPT_CMDLINE_BASE (SPT_BOOT_INFO_BASE + 0x1000)
#define SPT_MFT_BASE (SPT_CMDLINE_BASE + SPT_CMDLINE_SIZE)

#define SPT_DEFAULT_MEM_MB 512
#define SPT_MAX_MEM_MB (1024 * 1024) /* 1 TiB */
#define SPT_BLOCK_SIZE 512

struct tender {
    const char *file; /* the unikernel */
    struct mft *mft;  /* its manifest, devices filled in by modules */
    size_t mft_size;
    uint64_t mem_size; /* guest memory: [SPT_HOST_MEM_BASE, mem_size) */
    scmp_filter_ctx sc;
    int epollfd;
    int timerfd;
};

/* spt_mem.c */
struct elf_image;
void spt_mem_map(struct tender *t);
uint64_t spt_mem_load(struct tender *t, const struct elf_image *img,
                      uint64_t *end);
void spt_boot_info_init(struct tender *t, uint64_t kernel_end, int argc,
                        char **argv);

/* spt_seccomp.c */
void spt_seccomp_init(struct tender *t);
/*
 * Allows (syscall) when all of the (nargs) argument checks in (args) hold;
 * dies with a message naming (what) on failure. SPT_ALLOW() takes the checks
 * as SPT_ARG(...) arguments.
 */
void spt_seccomp_allow(struct tender *t, const char *what, int syscall,
                       unsigned nargs, const struct scmp_arg_cmp *args);

/* One argument check, all fields set (libseccomp's SCMP_Ax() leave some
 * to the compiler, which -Wmissing-field-initializers dislikes). */
#define SPT_ARG(n, cmp, value)                                                 \
    ((struct scmp_arg_cmp){                                                    \
        .arg = (n), .op = (cmp), .datum_a = (value), .datum_b = 0})

#define SPT_ALLOW(t, what, syscall, ...)                                       \
    spt_seccomp_allow((t), (what), (syscall),                                  \
                      sizeof((const struct scmp_arg_cmp[]){__VA_ARGS__}) /     \
                          sizeof(struct scmp_arg_cmp),                         \
                      (const struct scmp_arg_cmp[]){__VA_ARGS__})
void spt_seccomp_load(struct tender *t);

/* spt_launch_<arch>.c */
void spt_arch_seccomp(struct tender *t);
void spt_arch_launch(uint64_t stack_top, uint64_t entry,
                     const void *arg) NORETURN;

#endif /* TENDER_SPT_H */
