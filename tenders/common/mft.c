/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft.c: checking the manifest found in a unikernel and matching device
 * options against it.
 */

#include <stdio.h>
#include <string.h>

#include "mft_rules.h"
#include "tender.h"

static const struct mft_rule_kind *kind_of(mft_type_t type)
{
    for (size_t i = 0; i < sizeof mft_rule_kinds / sizeof mft_rule_kinds[0];
         i++) {
        if (mft_rule_kinds[i].type == type)
            return &mft_rule_kinds[i];
    }
    return NULL;
}

const char *mft_type_name(mft_type_t type)
{
    const struct mft_rule_kind *k = kind_of(type);

    if (type >= MFT_RESERVED_FIRST)
        return "reserved";
    return k != NULL ? k->option : "unknown";
}

bool mft_name_char_ok(char c)
{
    return c != '\0' && strchr(MFT_RULE_NAME_CHARS, c) != NULL;
}

const char *mft_rule_id(int rule)
{
    if (rule < 0 ||
        (size_t)rule >= sizeof mft_rule_ids / sizeof mft_rule_ids[0])
        return "?";
    return mft_rule_ids[rule];
}

static bool fail(struct mft_verdict *v, enum mft_rule rule, int entry,
                 unsigned long long value)
{
    v->rule = rule;
    v->entry = entry;
    v->value = value;
    return false;
}

/*
 * The rules and their order are those of elftool/src/mft_rules.rs (which
 * renders mft_rules.h); elftool/tests/mft_differential.rs holds the two
 * checkers to the same verdicts.
 */
bool mft_validate(const struct mft *mft, size_t size, struct mft_verdict *v)
{
    if (size < offsetof(struct mft, e))
        return fail(v, MFT_RULE_SHORT, -1, size);
    if (mft->version != MFT_VERSION)
        return fail(v, MFT_RULE_VERSION, -1, mft->version);
    if (mft->entries > MFT_MAX_ENTRIES)
        return fail(v, MFT_RULE_TOO_MANY_ENTRIES, -1, mft->entries);
    if (mft->entries == 0)
        return fail(v, MFT_RULE_NO_ENTRIES, -1, 0);
    if (size != MFT_SIZE(mft->entries))
        return fail(v, MFT_RULE_SIZE, -1, size);

    for (unsigned i = 0; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];
        /* Only the last byte counts, as in Solo5: a name is read up to its
         * first NUL, and the last byte guarantees there is one. */
        if (e->name[MFT_NAME_SIZE - 1] != '\0')
            return fail(v, MFT_RULE_UNTERMINATED, (int)i, 0);
        /* As a byte: a bool holding anything but 0 or 1 is undefined. */
        if (*(const unsigned char *)&e->attached != 0)
            return fail(v, MFT_RULE_ATTACHED, (int)i, 0);
        if (i == 0) {
            if (e->type != MFT_RESERVED_FIRST)
                return fail(v, MFT_RULE_FIRST_TYPE, 0, e->type);
            if (e->name[0] != '\0')
                return fail(v, MFT_RULE_FIRST_NAME, 0, 0);
            continue;
        }
        /* Reserved for later use: skipped, as Solo5 does. */
        if (e->type >= MFT_RESERVED_FIRST)
            continue;
        if (kind_of(e->type) == NULL)
            return fail(v, MFT_RULE_UNKNOWN_TYPE, (int)i, e->type);
        if (e->name[0] == '\0')
            return fail(v, MFT_RULE_EMPTY_NAME, (int)i, 0);
        for (const char *p = e->name; *p != '\0'; p++) {
            if (!mft_name_char_ok(*p))
                return fail(v, MFT_RULE_NAME_CHAR, (int)i, (unsigned char)*p);
        }
        for (unsigned j = 1; j < i; j++) {
            if (mft->e[j].type < MFT_RESERVED_FIRST &&
                strcmp(mft->e[j].name, e->name) == 0)
                return fail(v, MFT_RULE_DUPLICATE, (int)i, j);
        }
    }
    v->rule = MFT_RULE_OK;
    v->entry = -1;
    v->value = 0;
    return true;
}

void mft_verdict_message(const struct mft_verdict *v, char *buf, size_t size)
{
    int n = 0;
    const char *fmt = "invalid rule";

    if (v->entry >= 0)
        n = snprintf(buf, size, "entry %d: ", v->entry);
    if (n < 0 || (size_t)n >= size)
        return;
    if (v->rule >= 0 &&
        (size_t)v->rule < sizeof mft_rule_formats / sizeof mft_rule_formats[0])
        fmt = mft_rule_formats[v->rule];
    /* fmt comes from the generated table: at most one %llu. */
    snprintf(buf + n, size - (size_t)n, fmt, v->value);
}

void mft_check(struct mft *mft, size_t size, const char *file)
{
    struct mft_verdict v;
    char why[160];

    if (!mft_validate(mft, size, &v)) {
        mft_verdict_message(&v, why, sizeof why);
        die("%s: invalid Solo5 manifest: %.160s", file, why);
    }
    /* Nothing a tender fills in may come from the file. */
    for (unsigned i = 0; i < mft->entries; i++) {
        memset(&mft->e[i].u, 0, sizeof mft->e[i].u);
        memset(&mft->e[i].b, 0, sizeof mft->e[i].b);
    }
}

struct mft_entry *mft_lookup(struct mft *mft, const char *name)
{
    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].type < MFT_RESERVED_FIRST &&
            strcmp(mft->e[i].name, name) == 0)
            return &mft->e[i];
    }
    return NULL;
}

struct mft_entry *mft_claim(struct mft *mft, const char *name, mft_type_t type,
                            const char *arg, const char *file)
{
    struct mft_entry *e = mft_lookup(mft, name);

    if (e == NULL)
        die("%s: %s declares no device '%s'", arg, file, name);
    if (e->type != type)
        die("%s: device '%s' is a %s device in %s, not %s", arg, name,
            mft_type_name(e->type), file, mft_type_name(type));
    if (e->attached)
        die("%s: device '%s' is already attached", arg, name);
    return e;
}

void mft_check_all_attached(const struct mft *mft, const char *file)
{
    char list[512] = "";
    size_t len = 0;
    unsigned missing = 0;

    for (unsigned i = 0; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];
        if (e->type >= MFT_RESERVED_FIRST || e->attached)
            continue;
        if (len < sizeof list) {
            int n = snprintf(list + len, sizeof list - len, "%s--%s:%s=%s",
                             missing > 0 ? " " : "", mft_type_name(e->type),
                             e->name,
                             e->type == MFT_DEV_NET_BASIC ? "TAP" : "FILE");
            len += n > 0 ? (size_t)n : 0;
        }
        missing++;
    }
    if (missing == 1)
        die("%s: a device in the manifest is not attached; add %.512s", file,
            list);
    if (missing > 1)
        die("%s: %u devices in the manifest are not attached; add %.512s%s",
            file, missing, list, len >= sizeof list ? "..." : "");
}
