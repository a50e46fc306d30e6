/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * seccomp_dump.c: see seccomp_dump.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_dump.h"
#include "tender.h"

/* The tenders' version.c needs a generated header; the dump needs none. */
const char tender_version[] = "seccomp-dump";

static void add(struct mft *m, mft_type_t type, const char *name, int fd,
                uint64_t capacity, bool attached)
{
    struct mft_entry *e = &m->e[m->entries++];

    snprintf(e->name, sizeof e->name, "%s", name);
    e->type = type;
    e->b.hostfd = fd;
    e->attached = attached;
    if (type == MFT_DEV_BLOCK_BASIC) {
        e->u.block_basic.capacity = capacity;
        e->u.block_basic.block_size = 512;
    } else {
        e->u.net_basic.mtu = 1500;
    }
}

const struct mft *dump_fake_mft(bool many)
{
    struct mft *m = calloc(1, MFT_SIZE(MFT_MAX_ENTRIES));

    if (m == NULL)
        die("out of memory");
    m->version = MFT_VERSION;
    add(m, MFT_RESERVED_FIRST, "", -1, 0, false);
    if (many) {
        for (int i = 1; i < MFT_MAX_ENTRIES; i++) {
            char name[16];
            snprintf(name, sizeof name, "dev%d", i);
            add(m, i % 2 ? MFT_DEV_BLOCK_BASIC : MFT_DEV_NET_BASIC, name,
                100 + i, (uint64_t)512 * (uint64_t)(i * i * 7919 + 1), true);
        }
        return m;
    }
    /* Capacities: ordinary, a single block (last offset 0), and past 4 GiB
     * so the offset's high half matters. */
    add(m, MFT_DEV_BLOCK_BASIC, "disk", 10, 512 * 2048, true);
    add(m, MFT_DEV_NET_BASIC, "service", 11, 0, true);
    add(m, MFT_DEV_BLOCK_BASIC, "tiny", 12, 512, true);
    add(m, MFT_DEV_BLOCK_BASIC, "unused", 13, 512 * 8, false);
    add(m, MFT_DEV_BLOCK_BASIC, "huge", 14, (uint64_t)1 << 40, true);
    add(m, MFT_DEV_NET_BASIC, "admin", 15, 0, true);
    add(m, MFT_DEV_NET_BASIC, "offline", 16, 0, false);
    return m;
}

static const char *op_name(enum sc_op op)
{
    const char *name = sc_op_name(op);
    return name != NULL ? name : "?";
}

/*
 * "install NR [ARG]...": installs the filter (built for a few devices) in
 * this process and makes system call NR with the arguments, as a tender's
 * guest or run loop could: the kernel must kill the process (SIGSYS).
 * Surviving prints NOT KILLED and exits 1.
 */
static int install_and_call(int argc, char **argv, struct sc_program *prog)
{
    long a[6] = {0};

    if (argc < 3 || argc > 9)
        die("usage: seccomp_dump install NR [ARG]...");
    long nr = strtol(argv[2], NULL, 0);
    for (int i = 3; i < argc; i++)
        a[i - 3] = argv[i][0] == '-' ? strtol(argv[i], NULL, 0)
                                     : (long)strtoul(argv[i], NULL, 0);
    fflush(NULL);
    sc_install(prog);
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    printf("NOT KILLED: system call %ld returned %ld\n", nr, r);
    return 1;
}

int main(int argc, char **argv)
{
    static struct sc_policy policy;
    static struct sc_program prog;
    bool many = argc > 1 && strcmp(argv[1], "many") == 0;
    bool install = argc > 1 && strcmp(argv[1], "install") == 0;

    tender_prog = "seccomp-dump";
    dump_build(&policy, dump_fake_mft(many));
    sc_compile(&policy, &prog);
    if (install)
        return install_and_call(argc, argv, &prog);

    printf("arch %s 0x%08x 0x%08x\n", sc_arch.name, sc_arch.audit_arch,
           sc_arch.kill_from);
    for (unsigned i = 0; i < policy.nrules; i++) {
        const struct sc_rule *r = &policy.rules[i];
        printf("rule %d %u", r->nr, r->nchecks);
        for (unsigned j = 0; j < r->nchecks; j++)
            printf(" %u %s 0x%llx", r->checks[j].arg, op_name(r->checks[j].op),
                   (unsigned long long)r->checks[j].value);
        printf(" | %s\n", r->what);
    }
    printf("prog %u\n", prog.len);
    for (unsigned i = 0; i < prog.len; i++) {
        const struct sock_filter *f = &prog.insns[i];
        printf("0x%04x %u %u 0x%08x\n", f->code, f->jt, f->jf, f->k);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
