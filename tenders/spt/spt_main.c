/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * spt_main.c: solo5-spt's command line and the order of start-up:
 *
 *   1. find the unikernel among the arguments; check it is an spt ELF of
 *      a supported ABI version and read its manifest;
 *   2. hand the options to the core and the modules, which attach devices;
 *      check every manifest device got attached;
 *   3. map guest memory, load the unikernel, write the boot info;
 *   4. build and load the seccomp filter, and jump to the unikernel.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "elf_image.h"
#include "spt.h"

static void usage(void)
{
    FILE *f = stdout;

    fprintf(f,
            "usage: %s [OPTIONS] [--] UNIKERNEL [ARGS...]\n"
            "Runs UNIKERNEL, built for the Solo5 spt binding, as a "
            "seccomp-confined process.\n"
            "ARGS are passed to the unikernel.\n"
            "\n"
            "Options:\n"
            "  --mem=MB            guest memory in MB (default: %d)\n",
            tender_prog, SPT_DEFAULT_MEM_MB);
    FOR_EACH_TENDER_MODULE (m) {
        fputs((*m)->usage, f);
    }
    fprintf(f, "  --help, -h          show this help\n"
               "  --version           show version information\n"
               "  --                  end of the options\n");
}

static void version(void)
{
    printf("%s version %s (spt ABI version %d, manifest version %d)\n",
           tender_prog, tender_version, SPT_ABI_VERSION, MFT_VERSION);
}

static void make_yield_fds(struct tender *t)
{
    t->epollfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epollfd == -1)
        die_errno("epoll_create1");
    t->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->timerfd == -1)
        die_errno("timerfd_create");
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u64 = SPT_INTERNAL_TIMERFD};
    if (epoll_ctl(t->epollfd, EPOLL_CTL_ADD, t->timerfd, &ev) == -1)
        die_errno("epoll_ctl(timerfd)");
}

int main(int argc, char **argv)
{
    struct tender t = {.mem_size = (uint64_t)SPT_DEFAULT_MEM_MB << 20,
                       .epollfd = -1,
                       .timerfd = -1};
    struct elf_image img;

    tender_set_prog(argc, argv, "solo5-spt");

    /* Pass 1: --help/--version, and where the unikernel is. */
    int first = args_find_unikernel(argc, argv, usage, version);
    t.file = argv[first];

    elf_image_read(t.file, &img);
    img.max_mem = (uint64_t)SPT_MAX_MEM_MB << 20;
    elf_check_abi(&img, SPT_ABI_TARGET, SPT_ABI_VERSION);
    t.mft = elf_read_manifest(&img, &t.mft_size);

    /* Pass 2: options, now that the manifest names the devices. */
    devopt_parse_all(&t, argv, first, SPT_MAX_MEM_MB, &t.mem_size);
    mft_check_all_attached(t.mft, t.file);

    spt_mem_map(&t);
    uint64_t end;
    uint64_t entry = spt_mem_load(&t, &img, &end);
    elf_image_free(&img);

    make_yield_fds(&t);
    FOR_EACH_TENDER_MODULE (m) {
        if ((*m)->setup != NULL)
            (*m)->setup(&t);
    }
    spt_boot_info_init(&t, end, argc - first - 1, argv + first + 1);

    fflush(NULL);
    spt_seccomp_load(&t);
    spt_arch_launch(t.mem_size, entry, (const void *)SPT_BOOT_INFO_BASE);
}
