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

#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "seccomp_bpf.h"
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

/*
 * spt_seccomp.c: the seccomp policy. Everything it depends on is in a
 * tender_policy_in, so a test can build the policy of any configuration
 * (tenders/test/seccomp_dump_spt.c) with the same code the tender runs.
 */
struct tender_policy_in {
    const struct mft *mft; /* attached block and net devices, host fds */
    int epollfd;
    int timerfd;
};

/* The whole policy: the core's rules, the arch's, then each module's. */
void spt_policy_build(struct sc_policy *p, const struct tender_policy_in *in);
/* Builds the policy for (t), compiles it and installs it. */
void spt_seccomp_load(struct tender *t);

/* spt_launch_<arch>.c */
void spt_arch_policy(struct sc_policy *p, const struct tender_policy_in *in);
void spt_arch_launch(uint64_t stack_top, uint64_t entry,
                     const void *arg) NORETURN;

#endif /* TENDER_SPT_H */
