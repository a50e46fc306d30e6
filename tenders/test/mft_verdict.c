/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft_verdict.c: the tenders' own manifest checks, run on ELF files for
 * elftool/tests/mft_differential.rs, which asks solo5-elftool's checks the
 * same question. Built for the build machine from the tenders' sources
 * (elf_image.c, elf_note.c, mft.c, fatal.c).
 *
 * For each file argument, one line:
 *   ok NAME:KIND ...          the manifest is valid; its devices
 *   reject RULE ENTRY VALUE   the first manifest rule broken (mft_rules.h)
 *   none                      no manifest note
 *   died                      the tender stopped on the file itself (a
 *                             malformed or repeated note, a bad ELF
 *                             header): its message went to stderr
 * Each file is checked in a child process, as die() exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_image.h"
#include "tender.h"

static void verdict(const char *path)
{
    struct elf_image img;
    struct mft_verdict v;
    size_t size = 0;

    elf_image_read(path, &img);
    struct mft *mft = elf_find_solo5_note(&img, MFT1_NOTE_TYPE, MFT1_NOTE_ALIGN,
                                          MFT1_NOTE_MAX_SIZE, &size);
    if (mft == NULL) {
        printf("none\n");
        return;
    }
    if (!mft_validate(mft, size, &v)) {
        printf("reject %s %d %llu\n", mft_rule_id(v.rule), v.entry, v.value);
        return;
    }
    printf("ok");
    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].type < MFT_RESERVED_FIRST)
            printf(" %s:%s", mft->e[i].name, mft_type_name(mft->e[i].type));
    }
    printf("\n");
    free(mft);
    elf_image_free(&img);
}

int main(int argc, char **argv)
{
    tender_prog = "mft_verdict";
    for (int i = 1; i < argc; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == -1)
            die_errno("fork");
        if (pid == 0) {
            verdict(argv[i]);
            fflush(stdout);
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) == -1)
            die_errno("waitpid");
        if (!WIFEXITED(status))
            die("%s: checker killed by signal %d", argv[i], WTERMSIG(status));
        if (WEXITSTATUS(status) != 0)
            printf("died\n");
    }
    return 0;
}
