/*
 * Generated from elftool/src/mft_rules.rs by its c_header_is_current test
 * (`cargo test -p elftool`); do not edit.
 *
 * mft_rules.h: the manifest rules shared with solo5-elftool. Included
 * by mft.c only.
 */

#ifndef TENDER_MFT_RULES_H
#define TENDER_MFT_RULES_H

#include "mft_abi.h"

/* mft_abi.h must say what the rules say. */
_Static_assert(MFT_VERSION == 1, "MFT_VERSION");
_Static_assert(MFT_MAX_ENTRIES == 64, "MFT_MAX_ENTRIES");
_Static_assert(MFT_NAME_SIZE == 68, "MFT_NAME_SIZE");
_Static_assert(MFT_RESERVED_FIRST == 1073741824U, "MFT_RESERVED_FIRST");
_Static_assert(MFT_DEV_BLOCK_BASIC == 1, "MFT_DEV_BLOCK_BASIC");
_Static_assert(MFT_DEV_NET_BASIC == 2, "MFT_DEV_NET_BASIC");

/* The rules, in the order they are checked. */
enum mft_rule {
    MFT_RULE_OK = 0,
    MFT_RULE_SHORT,
    MFT_RULE_VERSION,
    MFT_RULE_TOO_MANY_ENTRIES,
    MFT_RULE_NO_ENTRIES,
    MFT_RULE_SIZE,
    MFT_RULE_UNTERMINATED,
    MFT_RULE_ATTACHED,
    MFT_RULE_FIRST_TYPE,
    MFT_RULE_FIRST_NAME,
    MFT_RULE_UNKNOWN_TYPE,
    MFT_RULE_EMPTY_NAME,
    MFT_RULE_NAME_CHAR,
    MFT_RULE_DUPLICATE,
};

/* Bytes a device name may contain. */
#define MFT_RULE_NAME_CHARS                                                    \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* Device kinds: type, option name, JSON name. */
static const struct mft_rule_kind {
    mft_type_t type;
    const char *option;
    const char *json;
} mft_rule_kinds[] = {
    {MFT_DEV_BLOCK_BASIC, "block", "BLOCK_BASIC"},
    {MFT_DEV_NET_BASIC, "net", "NET_BASIC"},
};

static const char *const mft_rule_ids[] = {
    [MFT_RULE_OK] = "ok",
    [MFT_RULE_SHORT] = "short",
    [MFT_RULE_VERSION] = "version",
    [MFT_RULE_TOO_MANY_ENTRIES] = "too_many_entries",
    [MFT_RULE_NO_ENTRIES] = "no_entries",
    [MFT_RULE_SIZE] = "size",
    [MFT_RULE_UNTERMINATED] = "unterminated",
    [MFT_RULE_ATTACHED] = "attached",
    [MFT_RULE_FIRST_TYPE] = "first_type",
    [MFT_RULE_FIRST_NAME] = "first_name",
    [MFT_RULE_UNKNOWN_TYPE] = "unknown_type",
    [MFT_RULE_EMPTY_NAME] = "empty_name",
    [MFT_RULE_NAME_CHAR] = "name_char",
    [MFT_RULE_DUPLICATE] = "duplicate",
};

/* printf formats of the messages; each quotes at most one unsigned long
 * long, the violation's value. */
static const char *const mft_rule_formats[] = {
    "no rule is broken",
    "%llu bytes is too short for a manifest header",
    "version %llu is not supported (this is version 1)",
    "%llu entries, at most 64 are allowed",
    "no entries (the reserved first entry is missing)",
    "%llu bytes do not match its entry count",
    "device name is not NUL-terminated",
    "marked as attached (only a tender may set that)",
    "the first entry must be of the reserved type, not %llu",
    "the first (reserved) entry must have an empty name",
    "unknown device type %llu",
    "empty device name",
    "byte %llu is not allowed in a device name (only A-Z, a-z and 0-9 are)",
    "device name already declared by entry %llu",
};

#endif /* TENDER_MFT_RULES_H */
