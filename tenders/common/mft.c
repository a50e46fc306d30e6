/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft.c: checking the manifest found in a unikernel and matching device
 * options against it.
 */

#include <stdio.h>
#include <string.h>

#include "tender.h"

const char *mft_type_name(mft_type_t type)
{
    switch (type) {
    case MFT_DEV_BLOCK_BASIC:
        return "block";
    case MFT_DEV_NET_BASIC:
        return "net";
    case MFT_RESERVED_FIRST:
        return "reserved";
    default:
        return "unknown";
    }
}

void mft_check(struct mft *mft, size_t size, const char *file)
{
    if (size < sizeof(struct mft))
        die("%s: manifest is truncated (%zu bytes)", file, size);
    if (mft->version != MFT_VERSION)
        die("%s: manifest version %u is not supported (expected %u)", file,
            (unsigned)mft->version, MFT_VERSION);
    if (mft->entries > MFT_MAX_ENTRIES)
        die("%s: manifest has %u entries, the maximum is %d", file,
            (unsigned)mft->entries, MFT_MAX_ENTRIES);
    if (size != MFT_SIZE(mft->entries))
        die("%s: manifest size %zu does not match its %u entries", file, size,
            (unsigned)mft->entries);

    for (unsigned i = 0; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        if (memchr(e->name, '\0', sizeof e->name) == NULL)
            die("%s: manifest entry %u has an unterminated name", file, i);
        switch (e->type) {
        case MFT_RESERVED_FIRST:
            if (i != 0)
                die("%s: manifest entry %u is of reserved type", file, i);
            break;
        case MFT_DEV_BLOCK_BASIC:
        case MFT_DEV_NET_BASIC:
            if (e->name[0] == '\0')
                die("%s: manifest entry %u has an empty name", file, i);
            for (unsigned j = 0; j < i; j++) {
                if (strcmp(mft->e[j].name, e->name) == 0)
                    die("%s: manifest declares device '%s' twice", file,
                        e->name);
            }
            break;
        default:
            die("%s: manifest entry %u ('%s') has unknown type %u", file, i,
                e->name, (unsigned)e->type);
        }
        memset(&e->u, 0, sizeof e->u);
        memset(&e->b, 0, sizeof e->b);
        e->attached = false;
    }
}

struct mft_entry *mft_lookup(struct mft *mft, const char *name)
{
    for (unsigned i = 0; i < mft->entries; i++) {
        if (mft->e[i].type != MFT_RESERVED_FIRST &&
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
        if (e->type == MFT_RESERVED_FIRST || e->attached)
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
        die("%s: a device in the manifest is not attached; add %s", file, list);
    if (missing > 1)
        die("%s: %u devices in the manifest are not attached; add %s%s", file,
            missing, list, len >= sizeof list ? "..." : "");
}
