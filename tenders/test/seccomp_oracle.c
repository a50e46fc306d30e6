/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_oracle.c: a test program, built on the build machine and linked
 * with libseccomp (the tenders are not). It reads the output of
 * seccomp_dump (seccomp_dump.h), builds the same rule table with
 * libseccomp for the dump's architecture, exports libseccomp's BPF
 * program, and runs both programs in a classic BPF interpreter over:
 *
 *   - every system call number 0..NR_SPAN-1, and as many past the x32 bit,
 *     plus a few extreme numbers, with all arguments 0 and all ~0;
 *   - for each rule, arguments that satisfy it, with each checked argument
 *     then set around its constant (equal, +-1, high half set, low half
 *     equal but high half different, 0, ~0, every descriptor in the
 *     table, small descriptors) and each unchecked one set to 0 and ~0;
 *     the satisfying arguments with the x32 bit in the number, and with
 *     every other audit arch;
 *   - random combinations of all those values for each rule's call.
 *
 * Both programs must return the same action for every case; libseccomp's
 * default and bad-arch actions are set to SECCOMP_RET_KILL_PROCESS, as
 * ours. Prints mismatches (exit 1) and the number of cases checked.
 *
 * With a CALLS-FILE, it also checks the sandbox table, lines of
 *
 *   number <name> <nr>         the test unikernels' number for <name>
 *   kill <name> [<arg>]...     both programs must kill this call
 *
 * where <name> is libseccomp's name of a system call of the dump's arch
 * ("x32:<name>" for the x32 ABI's number on x86_64), named on a number line
 * before, and each <arg> a C number (a leading '-' negates). A number must
 * be libseccomp's where libseccomp has one (its ppc64 tables know some
 * calls only through socketcall). Each line that fails is printed (exit 1).
 *
 * The interpreter reads seccomp_data in the build machine's byte order,
 * which is the order of every arch the dump supports (all little-endian).
 *
 * usage: seccomp_oracle DUMP-FILE [CALLS-FILE]
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_RULES 1024
#define MAX_CHECKS 6
#define MAX_INSNS 4096
#define NR_SPAN 1100
#define RANDOM_CASES 3000
#define MAX_REPORTED 20

struct check {
    unsigned arg;
    enum scmp_compare op;
    uint64_t value;
};

struct rule {
    int nr;
    unsigned nchecks;
    struct check checks[MAX_CHECKS];
    char what[128];
};

struct program {
    unsigned len;
    struct sock_filter insns[MAX_INSNS];
};

static const char *dump_path;
static char arch_name[32];
static uint32_t audit_arch, kill_from;
static struct rule rules[MAX_RULES];
static unsigned nrules;
static struct program ours, theirs;

static unsigned long long ncases, nmismatches, nallowed;

static void fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "seccomp_oracle: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* ---- Reading the dump ---- */

static bool parse_op(const char *s, enum scmp_compare *op)
{
    if (strcmp(s, "EQ") == 0)
        *op = SCMP_CMP_EQ;
    else if (strcmp(s, "LE") == 0)
        *op = SCMP_CMP_LE;
    else if (strcmp(s, "GE") == 0)
        *op = SCMP_CMP_GE;
    else
        return false;
    return true;
}

static void parse_rule(char *line, unsigned lineno)
{
    char *bar = strstr(line, " | ");
    if (bar == NULL || nrules == MAX_RULES)
        fail("%s:%u: bad rule line", dump_path, lineno);
    *bar = '\0';
    struct rule *r = &rules[nrules++];
    snprintf(r->what, sizeof r->what, "%s", bar + 3);
    r->what[strcspn(r->what, "\n")] = '\0';

    char *save = NULL;
    strtok_r(line, " ", &save); /* "rule" */
    char *nr = strtok_r(NULL, " ", &save);
    char *n = strtok_r(NULL, " ", &save);
    if (nr == NULL || n == NULL)
        fail("%s:%u: bad rule line", dump_path, lineno);
    r->nr = (int)strtol(nr, NULL, 0);
    r->nchecks = (unsigned)strtoul(n, NULL, 0);
    if (r->nchecks > MAX_CHECKS)
        fail("%s:%u: too many checks", dump_path, lineno);
    for (unsigned i = 0; i < r->nchecks; i++) {
        char *arg = strtok_r(NULL, " ", &save);
        char *op = strtok_r(NULL, " ", &save);
        char *value = strtok_r(NULL, " ", &save);
        if (arg == NULL || op == NULL || value == NULL ||
            !parse_op(op, &r->checks[i].op))
            fail("%s:%u: bad check %u", dump_path, lineno, i);
        r->checks[i].arg = (unsigned)strtoul(arg, NULL, 0);
        r->checks[i].value = strtoull(value, NULL, 0);
    }
}

static void read_dump(void)
{
    FILE *f = fopen(dump_path, "r");
    char line[512];
    unsigned lineno = 0, want = 0;
    bool in_prog = false;

    if (f == NULL)
        fail("cannot open %s: %s", dump_path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (in_prog) {
            unsigned code, jt, jf, k;
            if (sscanf(line, "%x %u %u %x", &code, &jt, &jf, &k) != 4 ||
                ours.len == MAX_INSNS)
                fail("%s:%u: bad instruction", dump_path, lineno);
            ours.insns[ours.len++] = (struct sock_filter){
                (uint16_t)code, (uint8_t)jt, (uint8_t)jf, k};
        } else if (strncmp(line, "arch ", 5) == 0) {
            if (sscanf(line, "arch %31s %" SCNx32 " %" SCNx32, arch_name,
                       &audit_arch, &kill_from) != 3)
                fail("%s:%u: bad arch line", dump_path, lineno);
        } else if (strncmp(line, "rule ", 5) == 0) {
            parse_rule(line, lineno);
        } else if (sscanf(line, "prog %u", &want) == 1) {
            in_prog = true;
        } else {
            fail("%s:%u: unexpected line", dump_path, lineno);
        }
    }
    fclose(f);
    if (arch_name[0] == '\0' || !in_prog || ours.len != want)
        fail("%s: incomplete dump (arch line, rules, prog %u, %u "
             "instructions)",
             dump_path, want, ours.len);
}

/* ---- The same policy with libseccomp ---- */

static void build_theirs(void)
{
    uint32_t token = seccomp_arch_resolve_name(arch_name);
    int rc;

    if (token == 0)
        fail("libseccomp does not know arch %s", arch_name);
    if (token != audit_arch)
        fail("arch %s: the dump says audit arch 0x%08x, libseccomp 0x%08x",
             arch_name, audit_arch, token);

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL)
        fail("seccomp_init failed");
    if (token != seccomp_arch_native()) {
        if ((rc = seccomp_arch_add(ctx, token)) != 0)
            fail("seccomp_arch_add(%s): %s", arch_name, strerror(-rc));
        if ((rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) != 0)
            fail("seccomp_arch_remove(native): %s", strerror(-rc));
    }
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc != 0)
        fail("seccomp_attr_set(ACT_BADARCH): %s", strerror(-rc));

    for (unsigned i = 0; i < nrules; i++) {
        const struct rule *r = &rules[i];
        /* The dump's number is the arch's own; libseccomp takes native
         * numbers and translates them by name to each arch of the filter. */
        char *name = seccomp_syscall_resolve_num_arch(token, r->nr);
        if (name == NULL)
            fail("rule '%s': libseccomp knows no %s system call %d", r->what,
                 arch_name, r->nr);
        if (seccomp_syscall_resolve_name_arch(token, name) != r->nr)
            fail("rule '%s': %s is not %d on %s for libseccomp", r->what, name,
                 r->nr, arch_name);
        int native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
        if (native < 0)
            fail("rule '%s': no native %s", r->what, name);
        struct scmp_arg_cmp cmp[MAX_CHECKS];
        for (unsigned j = 0; j < r->nchecks; j++)
            cmp[j] = (struct scmp_arg_cmp){.arg = r->checks[j].arg,
                                           .op = r->checks[j].op,
                                           .datum_a = r->checks[j].value,
                                           .datum_b = 0};
        rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, native, r->nchecks,
                                    cmp);
        if (rc != 0)
            fail("rule '%s' (%s): seccomp_rule_add: %s", r->what, name,
                 strerror(-rc));
        free(name);
    }

    int fd = memfd_create("seccomp_oracle", 0);
    if (fd == -1)
        fail("memfd_create: %s", strerror(errno));
    if ((rc = seccomp_export_bpf(ctx, fd)) != 0)
        fail("seccomp_export_bpf: %s", strerror(-rc));
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
        (size_t)size > sizeof theirs.insns)
        fail("libseccomp exported %lld bytes", (long long)size);
    if (pread(fd, theirs.insns, (size_t)size, 0) != size)
        fail("cannot read libseccomp's program back");
    theirs.len = (unsigned)(size / sizeof(struct sock_filter));
    close(fd);
    seccomp_release(ctx);
}

/* ---- A classic BPF interpreter, as the kernel runs seccomp filters ---- */

#define BAD_PROGRAM 0xffffffffu /* not an action either program returns */

static uint32_t run(const struct program *p, const struct seccomp_data *d)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

    for (unsigned pc = 0; pc < p->len; pc++) {
        const struct sock_filter *f = &p->insns[pc];
        uint32_t k = f->k;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            switch (BPF_MODE(f->code)) {
            case BPF_ABS:
                if (BPF_SIZE(f->code) != BPF_W || k % 4 != 0 ||
                    k + 4 > sizeof *d)
                    return BAD_PROGRAM;
                memcpy(&v, (const uint8_t *)d + k, 4);
                break;
            case BPF_IMM:
                v = k;
                break;
            case BPF_MEM:
                if (k >= BPF_MEMWORDS)
                    return BAD_PROGRAM;
                v = mem[k];
                break;
            case BPF_LEN:
                v = sizeof *d;
                break;
            default:
                return BAD_PROGRAM;
            }
            if (BPF_CLASS(f->code) == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS)
                return BAD_PROGRAM;
            mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU: {
            uint32_t s = BPF_SRC(f->code) == BPF_X ? x : k;
            switch (BPF_OP(f->code)) {
            case BPF_ADD:
                a += s;
                break;
            case BPF_SUB:
                a -= s;
                break;
            case BPF_MUL:
                a *= s;
                break;
            case BPF_DIV:
                if (s == 0)
                    return 0; /* the kernel's verdict for a division by 0 */
                a /= s;
                break;
            case BPF_OR:
                a |= s;
                break;
            case BPF_AND:
                a &= s;
                break;
            case BPF_LSH:
                a = s < 32 ? a << s : 0;
                break;
            case BPF_RSH:
                a = s < 32 ? a >> s : 0;
                break;
            case BPF_NEG:
                a = -a;
                break;
            default:
                return BAD_PROGRAM;
            }
            break;
        }
        case BPF_JMP: {
            if (BPF_OP(f->code) == BPF_JA) {
                if (pc + 1 + (uint64_t)k >= p->len)
                    return BAD_PROGRAM;
                pc += k;
                break;
            }
            uint32_t s = BPF_SRC(f->code) == BPF_X ? x : k;
            bool taken;
            switch (BPF_OP(f->code)) {
            case BPF_JEQ:
                taken = a == s;
                break;
            case BPF_JGT:
                taken = a > s;
                break;
            case BPF_JGE:
                taken = a >= s;
                break;
            case BPF_JSET:
                taken = (a & s) != 0;
                break;
            default:
                return BAD_PROGRAM;
            }
            unsigned off = taken ? f->jt : f->jf;
            if (pc + 1 + off >= p->len)
                return BAD_PROGRAM;
            pc += off;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(f->code) == BPF_A ? a : k;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            return BAD_PROGRAM;
        }
    }
    return BAD_PROGRAM; /* fell off the end */
}

/* ---- Cases ---- */

static void check_case(const struct seccomp_data *d, const char *why)
{
    uint32_t o = run(&ours, d), t = run(&theirs, d);

    ncases++;
    if (o == SECCOMP_RET_ALLOW)
        nallowed++;
    if (o == t && o != BAD_PROGRAM)
        return;
    if (nmismatches++ < MAX_REPORTED) {
        printf("MISMATCH (%s): arch 0x%08x nr %d args", why, d->arch, d->nr);
        for (int i = 0; i < 6; i++)
            printf(" 0x%llx", (unsigned long long)d->args[i]);
        printf(": ours 0x%08x, libseccomp 0x%08x\n", o, t);
    }
}

static struct seccomp_data data(uint32_t arch, int nr, uint64_t fill)
{
    struct seccomp_data d = {
        .nr = nr, .arch = arch, .instruction_pointer = 0x400000};

    for (int i = 0; i < 6; i++)
        d.args[i] = fill;
    return d;
}

/* Arguments that satisfy rule (r); unchecked ones a fixed pattern. */
static struct seccomp_data satisfying(const struct rule *r)
{
    struct seccomp_data d = data(audit_arch, r->nr, 0);

    for (int i = 0; i < 6; i++)
        d.args[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1);
    for (unsigned j = 0; j < r->nchecks; j++)
        d.args[r->checks[j].arg] = r->checks[j].value;
    return d;
}

/* Values around (v) that tell a correct 64-bit comparison from others. */
static unsigned around(uint64_t v, uint64_t *out)
{
    const uint64_t lo = v & 0xffffffffULL, hi = v >> 32;
    unsigned n = 0;

    out[n++] = v;
    out[n++] = v - 1;
    out[n++] = v + 1;
    out[n++] = v | (1ULL << 32);           /* high half set */
    out[n++] = v + (1ULL << 32);           /* high half + 1 */
    out[n++] = v - (1ULL << 32);           /* high half - 1 */
    out[n++] = lo | (0xdeadbeefULL << 32); /* low equal, high differs */
    out[n++] = lo | (0x80000000ULL << 32); /* negative, low equal */
    out[n++] = hi << 32;                   /* high equal, low 0 */
    out[n++] = (hi << 32) | 0xffffffffULL; /* high equal, low max */
    out[n++] = (hi << 32) | ((lo + 1) & 0xffffffffULL);
    out[n++] = (hi << 32) | ((lo - 1) & 0xffffffffULL);
    out[n++] = ~v;
    return n;
}

static const uint64_t specials[] = {
    0,
    1,
    2,
    ~0ULL,
    0x7fffffffULL,
    0x80000000ULL,
    0xffffffffULL,
    0x100000000ULL,
    0xffffffff00000000ULL,
    0x8000000000000000ULL,
    (uint64_t)-2,
};
#define NSPECIALS (sizeof specials / sizeof specials[0])

/* Every constant in the table (descriptors, sizes, flags, requests). */
static uint64_t constants[MAX_RULES * MAX_CHECKS];
static unsigned nconstants;

static void collect_constants(void)
{
    for (unsigned i = 0; i < nrules; i++) {
        for (unsigned j = 0; j < rules[i].nchecks; j++) {
            uint64_t v = rules[i].checks[j].value;
            bool seen = false;
            for (unsigned k = 0; k < nconstants && !seen; k++)
                seen = constants[k] == v;
            if (!seen)
                constants[nconstants++] = v;
        }
    }
}

static bool checks_arg(const struct rule *r, unsigned arg)
{
    for (unsigned j = 0; j < r->nchecks; j++) {
        if (r->checks[j].arg == arg)
            return true;
    }
    return false;
}

static void rule_cases(const struct rule *r)
{
    const uint32_t arches[] = {AUDIT_ARCH_X86_64,
                               AUDIT_ARCH_I386,
                               AUDIT_ARCH_AARCH64,
                               AUDIT_ARCH_ARM,
                               AUDIT_ARCH_PPC64,
                               AUDIT_ARCH_PPC64LE,
                               AUDIT_ARCH_PPC,
                               AUDIT_ARCH_S390X,
                               AUDIT_ARCH_RISCV64,
                               0,
                               audit_arch ^ __AUDIT_ARCH_64BIT,
                               audit_arch ^ __AUDIT_ARCH_LE};
    struct seccomp_data base = satisfying(r), d;

    /* The rule must hold for libseccomp too, or the test proves little. */
    if (run(&theirs, &base) != SECCOMP_RET_ALLOW)
        fail("rule '%s': libseccomp's program does not allow arguments "
             "that satisfy it",
             r->what);
    check_case(&base, "satisfying");

    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++) {
        if (arches[i] == audit_arch)
            continue;
        d = base;
        d.arch = arches[i];
        check_case(&d, "other arch");
    }
    d = base;
    d.nr = (int)((uint32_t)r->nr | 0x40000000u);
    check_case(&d, "x32 bit");

    for (unsigned arg = 0; arg < 6; arg++) {
        uint64_t vals[64];
        unsigned n = 0;
        if (checks_arg(r, arg))
            n = around(base.args[arg], vals);
        for (unsigned k = 0; k < NSPECIALS; k++)
            vals[n++] = specials[k];
        for (unsigned k = 0; k < n; k++) {
            d = base;
            d.args[arg] = vals[k];
            check_case(&d, "one argument varied");
        }
        if (!checks_arg(r, arg))
            continue;
        /* Every constant of the table and small descriptors. */
        for (unsigned k = 0; k < nconstants; k++) {
            d = base;
            d.args[arg] = constants[k];
            check_case(&d, "another rule's constant");
        }
        for (uint64_t fd = 0; fd < 128; fd++) {
            d = base;
            d.args[arg] = fd;
            check_case(&d, "small descriptor");
        }
    }
}

/* xorshift64*: reproducible pseudo-random numbers. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Random arguments from the values that matter to any rule of (nr). */
static void random_cases(int nr)
{
    static uint64_t pool[MAX_RULES * MAX_CHECKS * 16];
    unsigned n = 0;

    for (unsigned k = 0; k < NSPECIALS; k++)
        pool[n++] = specials[k];
    for (unsigned i = 0; i < nrules; i++) {
        if (rules[i].nr != nr)
            continue;
        for (unsigned j = 0; j < rules[i].nchecks; j++)
            n += around(rules[i].checks[j].value, pool + n);
    }
    for (unsigned c = 0; c < RANDOM_CASES; c++) {
        struct seccomp_data d = data(audit_arch, nr, 0);
        for (int i = 0; i < 6; i++)
            d.args[i] = pool[rng() % n];
        check_case(&d, "random");
    }
}

static void all_cases(void)
{
    for (int nr = 0; nr < NR_SPAN; nr++) {
        struct seccomp_data d = data(audit_arch, nr, 0);
        check_case(&d, "number, arguments 0");
        d = data(audit_arch, nr, ~0ULL);
        check_case(&d, "number, arguments ~0");
        d = data(audit_arch, (int)(0x40000000u + (uint32_t)nr), 0);
        check_case(&d, "x32 number");
    }
    const uint32_t extreme[] = {0x3fffffffu, 0x7fffffffu, 0x80000000u,
                                0xbfffffffu, 0xfffffffeu, 0xffffffffu};
    for (size_t i = 0; i < sizeof extreme / sizeof extreme[0]; i++) {
        struct seccomp_data d = data(audit_arch, (int)extreme[i], 0);
        check_case(&d, "extreme number");
    }

    collect_constants();
    for (unsigned i = 0; i < nrules; i++)
        rule_cases(&rules[i]);
    for (unsigned i = 0; i < nrules; i++) {
        bool first = true;
        for (unsigned j = 0; j < i && first; j++)
            first = rules[j].nr != rules[i].nr;
        if (first)
            random_cases(rules[i].nr);
    }
}

/* ---- The sandbox table ---- */

static unsigned long long nkills, nnot_killed, nnumbers, nwrong_numbers,
    nunknown_numbers;

#define MAX_NUMBERS 256
static struct {
    char name[32];
    int nr;
} numbers[MAX_NUMBERS];
static unsigned nnumbered;

static int numbered(const char *name)
{
    for (unsigned i = 0; i < nnumbered; i++) {
        if (strcmp(numbers[i].name, name) == 0)
            return numbers[i].nr;
    }
    return -1;
}

static uint64_t parse_arg(const char *s, const char *path, unsigned lineno)
{
    char *end;
    uint64_t v = s[0] == '-' ? (uint64_t)strtoll(s, &end, 0)
                             : (uint64_t)strtoull(s, &end, 0);

    if (*s == '\0' || *end != '\0')
        fail("%s:%u: bad number '%s'", path, lineno, s);
    return v;
}

static void kill_line(char *name, char **save, const char *path,
                      unsigned lineno)
{
    bool x32 = strncmp(name, "x32:", 4) == 0;
    int nr = numbered(x32 ? name + 4 : name);

    if (nr < 0)
        fail("%s:%u: no number line for %s before", path, lineno, name);
    if (x32 && audit_arch != AUDIT_ARCH_X86_64)
        fail("%s:%u: %s: the x32 ABI exists only on x86_64", path, lineno,
             name);
    struct seccomp_data d = data(audit_arch, x32 ? nr | 0x40000000 : nr, 0);
    char *arg;
    for (int i = 0; i < 6 && (arg = strtok_r(NULL, " \n", save)) != NULL; i++)
        d.args[i] = parse_arg(arg, path, lineno);
    uint32_t o = run(&ours, &d), t = run(&theirs, &d);
    nkills++;
    if (o == SECCOMP_RET_KILL_PROCESS && t == SECCOMP_RET_KILL_PROCESS)
        return;
    nnot_killed++;
    printf("NOT KILLED (%s:%u): %s (nr 0x%x) args", path, lineno, name,
           (unsigned)d.nr);
    for (int i = 0; i < 6; i++)
        printf(" 0x%llx", (unsigned long long)d.args[i]);
    printf(": ours 0x%08x, libseccomp 0x%08x\n", o, t);
}

static void number_line(char *name, char **save, const char *path,
                        unsigned lineno)
{
    uint32_t token = seccomp_arch_resolve_name(arch_name);
    char *nr = strtok_r(NULL, " \n", save);

    if (nr == NULL)
        fail("%s:%u: number line without a number", path, lineno);
    uint64_t want = parse_arg(nr, path, lineno);
    if (want > 0xffff || nnumbered == MAX_NUMBERS ||
        strlen(name) >= sizeof numbers[0].name)
        fail("%s:%u: bad number line", path, lineno);
    snprintf(numbers[nnumbered].name, sizeof numbers[0].name, "%s", name);
    numbers[nnumbered++].nr = (int)want;
    int got = seccomp_syscall_resolve_name_arch(token, name);
    nnumbers++;
    if (got < 0) {
        nunknown_numbers++;
        printf("%s: libseccomp has no number for %s (the tests say %llu)\n",
               arch_name, name, (unsigned long long)want);
        return;
    }
    if ((uint64_t)got == want)
        return;
    nwrong_numbers++;
    printf("WRONG NUMBER (%s:%u): %s is %llu on %s for the tests, %d for "
           "libseccomp\n",
           path, lineno, name, (unsigned long long)want, arch_name, got);
}

static void check_calls(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    unsigned lineno = 0;

    if (f == NULL)
        fail("cannot open %s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        char *save = NULL;
        char *kind = strtok_r(line, " \n", &save);
        lineno++;
        if (kind == NULL)
            continue;
        char *name = strtok_r(NULL, " \n", &save);
        if (name == NULL)
            fail("%s:%u: no system call name", path, lineno);
        if (strcmp(kind, "kill") == 0)
            kill_line(name, &save, path, lineno);
        else if (strcmp(kind, "number") == 0)
            number_line(name, &save, path, lineno);
        else
            fail("%s:%u: unknown line kind '%s'", path, lineno, kind);
    }
    fclose(f);
    printf("%s: %llu sandbox calls checked, %llu not killed; %llu system "
           "call numbers checked, %llu wrong, %llu unknown to libseccomp\n",
           arch_name, nkills, nnot_killed, nnumbers, nwrong_numbers,
           nunknown_numbers);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: seccomp_oracle DUMP-FILE [CALLS-FILE]\n");
        return 2;
    }
    dump_path = argv[1];
    read_dump();
    build_theirs();
    all_cases();
    if (argc == 3)
        check_calls(argv[2]);

    printf("%s: %u rules; our program %u instructions, libseccomp's %u\n",
           arch_name, nrules, ours.len, theirs.len);
    printf("%s: %llu cases checked, %llu allowed, %llu mismatches\n", arch_name,
           ncases, nallowed, nmismatches);
    if (nrules == 0 || nallowed == 0)
        fail("nothing was allowed: the comparison proves nothing");
    return nmismatches == 0 && nnot_killed == 0 && nwrong_numbers == 0 ? 0 : 1;
}
