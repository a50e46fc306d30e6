/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * hvt_main.c: solo5-hvt's command line and the order of start-up:
 *
 *   1. find the unikernel among the arguments; check it is an hvt ELF of
 *      a supported ABI version and read its manifest;
 *   2. hand the options to the core and the modules, which attach devices;
 *      check every manifest device got attached;
 *   3. open /dev/kvm, create the VM and its memory, load the unikernel,
 *      build the page tables and the boot info, set up the vCPU;
 *   4. let the core and the modules register hypercalls, build and load
 *      the seccomp filter, and run the guest until it halts.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"
#include "hvt.h"

static void usage(void)
{
    FILE *f = stdout;

    fprintf(f,
            "usage: %s [OPTIONS] [--] UNIKERNEL [ARGS...]\n"
            "Runs UNIKERNEL, built for the Solo5 hvt binding, in a KVM "
            "virtual machine.\n"
            "ARGS are passed to the unikernel.\n"
            "\n"
            "Options:\n"
            "  --mem=MB            guest memory in MB (default: %d, "
            "maximum: %llu)\n",
            tender_prog, HVT_DEFAULT_MEM_MB,
            (unsigned long long)(hvt_arch.max_mem >> 20));
    FOR_EACH_TENDER_MODULE (m) {
        fputs((*m)->usage, f);
    }
    fprintf(f, "  --help, -h          show this help\n"
               "  --version           show version information\n"
               "  --                  end of the options\n");
}

static void version(void)
{
    printf("%s version %s (hvt ABI version %d, manifest version %d)\n",
           tender_prog, tender_version, HVT_ABI_VERSION, MFT_VERSION);
}

int main(int argc, char **argv)
{
    struct tender t = {.mem_size = (uint64_t)HVT_DEFAULT_MEM_MB << 20,
                       .kvmfd = -1,
                       .vmfd = -1,
                       .vcpufd = -1,
                       .epollfd = -1,
                       .timerfd = -1,
                       .policy = {.core_dirfd = -1}};
    struct elf_image img;

    tender_set_prog(argc, argv, "solo5-hvt");

    /* Pass 1: --help/--version, and where the unikernel is. */
    int first = args_find_unikernel(argc, argv, usage, version);
    t.file = argv[first];

    elf_image_read(t.file, &img);
    img.max_mem = hvt_arch.max_mem;
    elf_check_abi(&img, HVT_ABI_TARGET, HVT_ABI_VERSION);
    t.mft = elf_read_manifest(&img, &t.mft_size);

    /* Pass 2: options, now that the manifest names the devices. */
    devopt_parse_all(&t, argv, first, hvt_arch.max_mem >> 20, &t.mem_size);
    mft_check_all_attached(t.mft, t.file);

    hvt_kvm_open(&t);
    hvt_mem_alloc(&t);
    hvt_mem_load(&t, &img);
    elf_image_free(&img);
    hvt_cpu_setup(&t);
    hvt_kvm_create(&t);
    hvt_kvm_arch_vcpu_init(&t);

    hvt_core_init(&t);
    FOR_EACH_TENDER_MODULE (m) {
        if ((*m)->setup != NULL)
            (*m)->setup(&t);
    }
    /* Last: modules may have filled in the manifest (MAC addresses). */
    hvt_boot_info_init(&t, argc - first - 1, argv + first + 1);

    fflush(NULL);
    hvt_seccomp_load(&t);
    return hvt_kvm_run(&t);
}
