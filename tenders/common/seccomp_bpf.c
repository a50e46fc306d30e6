/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_bpf.c: the policy table, its compiler to classic BPF and the
 * installation of the program. See seccomp_bpf.h for the program's shape.
 */

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "seccomp_bpf.h"
#include "tender.h"

#define NR_OFFSET offsetof(struct seccomp_data, nr)
#define ARCH_OFFSET offsetof(struct seccomp_data, arch)
#define ARG_OFFSET(i) (offsetof(struct seccomp_data, args) + 8 * (i))

/* Longest rule block: load and compare nr, 5 per check, allow. */
#define MAX_BLOCK (2 + 5 * SC_MAX_CHECKS + 1)
_Static_assert(MAX_BLOCK <= 255, "a rule block fits in an 8-bit jump");

const char *sc_op_name(enum sc_op op)
{
    switch (op) {
    case SC_EQ:
        return "EQ";
    case SC_LE:
        return "LE";
    case SC_GE:
        return "GE";
    }
    return NULL;
}

void sc_allow(struct sc_policy *p, const char *what, int nr, unsigned nchecks,
              const struct sc_check *checks)
{
    if (p->nrules == SC_MAX_RULES)
        die("cannot add seccomp rule for %s: more than %d rules", what,
            SC_MAX_RULES);
    if (nr < 0)
        die("cannot add seccomp rule for %s: bad system call number %d", what,
            nr);
    if (nchecks > SC_MAX_CHECKS)
        die("cannot add seccomp rule for %s: %u argument checks (at most %d)",
            what, nchecks, SC_MAX_CHECKS);
    for (unsigned i = 0; i < nchecks; i++) {
        if (checks[i].arg > 5 || sc_op_name(checks[i].op) == NULL)
            die("cannot add seccomp rule for %s: bad check of argument %u",
                what, checks[i].arg);
        for (unsigned j = 0; j < i; j++) {
            if (checks[j].arg == checks[i].arg)
                die("cannot add seccomp rule for %s: argument %u checked "
                    "twice",
                    what, checks[i].arg);
        }
    }

    struct sc_rule *r = &p->rules[p->nrules++];
    memset(r, 0, sizeof *r);
    r->nr = nr;
    /* Cut to fit, as snprintf("%s") would, without pulling in printf's
     * code (and its pages of libc) on the way to every start. */
    size_t n = strnlen(what, sizeof r->what - 1);
    memcpy(r->what, what, n);
    r->what[n] = '\0';
    r->nchecks = nchecks;
    if (nchecks > 0)
        memcpy(r->checks, checks, nchecks * sizeof *checks);
}

/*
 * The program under construction. Conditional jumps inside a rule block
 * aim at FAIL (the next block) or a few instructions ahead; emit() turns
 * FAIL into an offset once the block's length is known (fixup()).
 */
#define FAIL 0xff

struct emitter {
    struct sc_program *prog;
    unsigned block; /* index of the current block's first instruction */
};

static void emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf,
                 uint32_t k)
{
    struct sc_program *prog = e->prog;

    if (prog->len == BPF_MAXINSNS)
        die("the seccomp policy needs more than %d BPF instructions (too "
            "many devices?)",
            BPF_MAXINSNS);
    prog->insns[prog->len++] = (struct sock_filter){code, jt, jf, k};
}

static void load(struct emitter *e, uint32_t offset)
{
    emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

/* Points every FAIL jump of the current block at the next instruction. */
static void fixup(struct emitter *e)
{
    struct sc_program *prog = e->prog;

    for (unsigned i = e->block; i < prog->len; i++) {
        struct sock_filter *f = &prog->insns[i];
        if (BPF_CLASS(f->code) != BPF_JMP || BPF_OP(f->code) == BPF_JA)
            continue;
        unsigned to_end = prog->len - (i + 1);
        if (to_end > 254)
            die("internal error: seccomp rule block too long");
        if (f->jt == FAIL)
            f->jt = (uint8_t)to_end;
        if (f->jf == FAIL)
            f->jf = (uint8_t)to_end;
    }
}

static void compile_check(struct emitter *e, const struct sc_check *c)
{
    uint32_t lo = (uint32_t)c->value;
    uint32_t hi = (uint32_t)(c->value >> 32);
    uint32_t lo_off = (uint32_t)ARG_OFFSET(c->arg) + sc_arch.lo_offset;
    uint32_t hi_off = (uint32_t)ARG_OFFSET(c->arg) + sc_arch.hi_offset;

    load(e, hi_off);
    switch (c->op) {
    case SC_EQ:
        emit(e, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, hi);
        load(e, lo_off);
        emit(e, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, lo);
        break;
    case SC_LE:
        /* hi > HI: fail; hi < HI: pass; equal: lo must be <= LO. */
        emit(e, BPF_JMP | BPF_JGT | BPF_K, FAIL, 0, hi);
        emit(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, hi);
        load(e, lo_off);
        emit(e, BPF_JMP | BPF_JGT | BPF_K, FAIL, 0, lo);
        break;
    case SC_GE:
        /* hi > HI: pass; hi < HI: fail; equal: lo must be >= LO. */
        emit(e, BPF_JMP | BPF_JGT | BPF_K, 3, 0, hi);
        emit(e, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, hi);
        load(e, lo_off);
        emit(e, BPF_JMP | BPF_JGE | BPF_K, 0, FAIL, lo);
        break;
    }
}

void sc_compile(const struct sc_policy *p, struct sc_program *prog)
{
    struct emitter e = {.prog = prog, .block = 0};
    const uint32_t kill = SECCOMP_RET_KILL_PROCESS;

    prog->len = 0;
    load(&e, ARCH_OFFSET);
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, sc_arch.audit_arch);
    emit(&e, BPF_RET | BPF_K, 0, 0, kill);
    if (sc_arch.kill_from != 0) {
        load(&e, NR_OFFSET);
        emit(&e, BPF_JMP | BPF_JGE | BPF_K, 0, 1, sc_arch.kill_from);
        emit(&e, BPF_RET | BPF_K, 0, 0, kill);
    }

    for (unsigned i = 0; i < p->nrules; i++) {
        const struct sc_rule *r = &p->rules[i];
        e.block = prog->len;
        load(&e, NR_OFFSET);
        emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, FAIL, (uint32_t)r->nr);
        for (unsigned j = 0; j < r->nchecks; j++)
            compile_check(&e, &r->checks[j]);
        emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
        fixup(&e);
    }
    emit(&e, BPF_RET | BPF_K, 0, 0, kill);
}

void sc_install(const struct sc_program *prog)
{
    struct sock_fprog fprog = {
        .len = (unsigned short)prog->len,
        .filter = (struct sock_filter *)prog->insns,
    };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
        die_errno("cannot load the seccomp filter: prctl(PR_SET_NO_NEW_PRIVS)");
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == -1)
        die_errno("cannot load the seccomp filter (%u instructions)",
                  prog->len);
}
