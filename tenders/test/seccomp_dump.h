/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_dump.h: a test program, not part of any tender. It is linked
 * with one tender's sources (all but its *_main.c and version.c) and one
 * of seccomp_dump_<tender>.c, builds that tender's seccomp policy from
 * made-up inputs through the tender's own policy functions, and prints the
 * rule table and the BPF program our generator made of it:
 *
 *   arch <libseccomp arch name> <audit arch> <kill_from>
 *   rule <nr> <nchecks> [<arg> <EQ|LE|GE> <value>]... | <what>
 *   prog <length>
 *   <code> <jt> <jf> <k>                  (one line per instruction)
 *
 * Numbers are in C syntax (0x... or decimal). The oracle
 * (seccomp_oracle.c) checks the program against libseccomp's.
 * It installs nothing, so it runs under user-mode QEMU.
 *
 * "seccomp_dump" uses a few devices of each kind (some not attached);
 * "seccomp_dump many" fills the manifest (MFT_MAX_ENTRIES entries).
 * "seccomp_dump install NR [ARG]..." installs the filter and makes that
 * system call, which must kill it (natively only: user-mode QEMU cannot
 * install seccomp filters).
 */

#ifndef TENDER_SECCOMP_DUMP_H
#define TENDER_SECCOMP_DUMP_H

#include <stdbool.h>

#include "mft_abi.h"
#include "seccomp_bpf.h"

/* Made-up descriptors shared by the per-tender files. */
#define DUMP_FD_EPOLL 3
#define DUMP_FD_TIMER 4
#define DUMP_FD_VCPU 5
#define DUMP_FD_CORE_DIR 6
#define DUMP_FD_NEXT 7
/* Made-up mincore() arguments of --dumpcore (guest memory, its vector). */
#define DUMP_CORE_MEM 0x7f0000000000ULL
#define DUMP_CORE_MEM_SIZE (512ULL << 20)
#define DUMP_CORE_VEC 0x5600000010ULL

/* A manifest with attached (and some unattached) block and net devices. */
const struct mft *dump_fake_mft(bool many);

/* seccomp_dump_<tender>.c: builds the tender's policy for (mft). */
void dump_build(struct sc_policy *p, const struct mft *mft);

#endif /* TENDER_SECCOMP_DUMP_H */
