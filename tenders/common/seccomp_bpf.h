/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_bpf.h: seccomp policies as data, compiled to classic BPF by our
 * own small generator (no libseccomp).
 *
 * A policy is a table of allow rules. Each rule names one system call (its
 * number from the host compiler's kernel headers, __NR_xxx), says in a few
 * words why it is allowed (for error messages and the policy dump), and
 * lists up to SC_MAX_CHECKS argument checks, all of which must hold: the
 * 64-bit argument compared, unsigned, with a 64-bit constant (EQ, LE, GE),
 * at most one check per argument (as libseccomp, against which a test
 * checks the generator). A call that no rule allows kills the whole
 * process (SECCOMP_RET_KILL_PROCESS).
 *
 * sc_compile() turns the table into a program:
 *
 *   if seccomp_data.arch != this tender's audit arch: kill
 *   if the arch has a kill limit (x86_64: x32 calls, nr >= 0x40000000): kill
 *   for each rule, in order:        one block of at most 2 + 5 * 6 + 1
 *       if nr != rule.nr: next rule    instructions, so every conditional
 *       for each check:                jump stays inside it or lands on the
 *           compare high half,         next block (classic BPF jumps are
 *           then low half;             8-bit); the generator checks this.
 *           on failure: next rule
 *       allow
 *   kill
 *
 * The facts of each architecture (audit arch, kill limit, where each half
 * of an argument sits) are in seccomp_arch_<arch>.c, chosen by file name.
 */

#ifndef TENDER_SECCOMP_BPF_H
#define TENDER_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stdint.h>

#include "mft_abi.h"

#define SC_MAX_CHECKS 6
/* Each block and net device takes two rules; the rest are a few dozen. */
#define SC_MAX_RULES (2 * MFT_MAX_ENTRIES + 64)
#define SC_WHAT_SIZE 96

enum sc_op {
    SC_EQ, /* argument == value */
    SC_LE, /* argument <= value, unsigned */
    SC_GE, /* argument >= value, unsigned */
};

struct sc_check {
    unsigned arg; /* 0..5 */
    enum sc_op op;
    uint64_t value;
};

struct sc_rule {
    int nr;
    char what[SC_WHAT_SIZE];
    unsigned nchecks;
    struct sc_check checks[SC_MAX_CHECKS];
};

struct sc_policy {
    unsigned nrules;
    struct sc_rule rules[SC_MAX_RULES];
};

struct sc_program {
    unsigned len;
    struct sock_filter insns[BPF_MAXINSNS];
};

/* Facts of the architecture the tender is built for (seccomp_arch_*.c). */
struct sc_arch {
    const char *name;    /* "x86_64": libseccomp's name, for the dump */
    uint32_t audit_arch; /* AUDIT_ARCH_xxx */
    uint32_t kill_from;  /* calls nr >= this are killed; 0: no such limit */
    unsigned lo_offset;  /* offset of an argument's low half in its slot */
    unsigned hi_offset;  /* offset of its high half */
};

extern const struct sc_arch sc_arch;

/* One argument check, for SC_ALLOW(). */
#define SC_ARG(n, o, v)                                                        \
    ((struct sc_check){.arg = (n), .op = (o), .value = (uint64_t)(v)})

/*
 * Adds a rule allowing system call (nr) when all (nchecks) checks hold;
 * dies naming (what) if the rule is malformed or the table is full.
 */
/* "EQ", "LE" or "GE"; NULL for anything else. */
const char *sc_op_name(enum sc_op op);

void sc_allow(struct sc_policy *p, const char *what, int nr, unsigned nchecks,
              const struct sc_check *checks);

/* sc_allow() with the checks as SC_ARG(...) arguments (at least one). */
#define SC_ALLOW(p, what, nr, ...)                                             \
    sc_allow((p), (what), (nr),                                                \
             sizeof((const struct sc_check[]){__VA_ARGS__}) /                  \
                 sizeof(struct sc_check),                                      \
             (const struct sc_check[]){__VA_ARGS__})

/* Compiles (p) for this architecture; dies if it exceeds BPF_MAXINSNS. */
void sc_compile(const struct sc_policy *p, struct sc_program *prog);

/* Sets no_new_privs and installs (prog) on the calling thread; dies on
 * failure. */
void sc_install(const struct sc_program *prog);

#endif /* TENDER_SECCOMP_BPF_H */
