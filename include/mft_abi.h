/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * mft_abi.h: the application manifest, manifest ABI version 1.
 *
 * The manifest lists the devices a unikernel expects. solo5-elftool turns a
 * JSON manifest into C that uses the macros below; the result is an ELF note
 * (owner "Solo5", type "MFT1") in section .note.solo5.manifest, which the
 * tenders and the bindings read at run time. The layout is Solo5's, byte for
 * byte, so manifests are interchangeable between the two implementations.
 *
 * Freestanding: depends only on <stdbool.h>, <stddef.h> and <stdint.h>.
 */

#ifndef MFT_ABI_H
#define MFT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Manifest ABI version, stored in struct mft.version. */
#define MFT_VERSION 1

/* Device kinds. Entry 0 of every manifest is MFT_RESERVED_FIRST. */
typedef enum mft_type {
    MFT_DEV_BLOCK_BASIC = 1,
    MFT_DEV_NET_BASIC = 2,
    MFT_RESERVED_FIRST = (1U << 30)
} mft_type_t;

/* Filled in by the tender when a block device is attached. */
struct mft_block_basic {
    uint64_t capacity;   /* bytes */
    uint16_t block_size; /* bytes */
};

/* Filled in by the tender when a network device is attached. */
struct mft_net_basic {
    uint8_t mac[6];
    uint16_t mtu;
};

/* Device names: at most 67 characters, stored NUL-terminated in 68 bytes. */
#define MFT_NAME_SIZE 68
#define MFT_NAME_MAX 67

/* One manifest entry. */
struct mft_entry {
    char name[MFT_NAME_SIZE];
    mft_type_t type;
    union {
        struct mft_block_basic block_basic;
        struct mft_net_basic net_basic;
    } u;
    union {
        int hostfd; /* host descriptor backing the device, or */
        void *data; /* some other backing object */
    } b;
    bool attached; /* set by the tender; false in the executable */
};

/*
 * At most 64 entries, the reserved first one included: 63 user devices.
 * A solo5_handle_set_t (64 bits) must be able to name every entry.
 */
#define MFT_MAX_ENTRIES 64

_Static_assert(MFT_MAX_ENTRIES <= 64,
               "MFT_MAX_ENTRIES must fit in a 64-bit handle set");

/*
 * Code that *defines* a manifest (the output of solo5-elftool gen-manifest)
 * defines MFT_ENTRIES to the entry count before including this header, so
 * the entry array has a fixed size. Everyone else gets a flexible array.
 */
#ifdef MFT_ENTRIES
_Static_assert(MFT_ENTRIES >= 1 && MFT_ENTRIES <= MFT_MAX_ENTRIES,
               "MFT_ENTRIES must be between 1 and MFT_MAX_ENTRIES");
#define MFT_ENTRIES_DIM_ MFT_ENTRIES
#else
#define MFT_ENTRIES_DIM_
#endif

/* The manifest proper: header followed by (entries) entries. */
struct mft {
    uint32_t version; /* MFT_VERSION */
    uint32_t entries; /* number of elements in e[] */
    struct mft_entry e[MFT_ENTRIES_DIM_];
};

#undef MFT_ENTRIES_DIM_

/* ELF note wrapping the manifest. */
#define MFT1_NOTE_NAME "Solo5"
#define MFT1_NOTE_TYPE 0x3154464d /* 'M' 'F' 'T' '1' */
#define MFT1_NOTE_SECTION ".note.solo5.manifest"

/* Note header with the inlined owner name; 20 bytes, as for ABI1. */
struct mft1_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
    char n_name[(sizeof(MFT1_NOTE_NAME) + 3) & ~(size_t)3];
};

_Static_assert(sizeof(struct mft1_nhdr) == 20, "mft1_nhdr must be 20 bytes");

/*
 * Without MFT_ENTRIES, struct mft ends in a flexible array, and nesting it is
 * a GNU C extension (accepted by GCC and clang); __extension__ keeps
 * -Wpedantic quiet about it.
 */
__extension__ struct mft1_note {
    struct mft1_nhdr h;
    struct mft m;
};

/*
 * Alignment of struct mft, relative to the start of the note. The descriptor
 * (n_descsz bytes after the 20-byte header) starts with
 * offsetof(struct mft1_note, m) - 20 bytes of padding (4 on LP64), which a
 * reader skips; the manifest proper is the rest.
 */
#define MFT1_NOTE_ALIGN _Alignof(struct mft)

_Static_assert((offsetof(struct mft1_note, m) % MFT1_NOTE_ALIGN) == 0,
               "mft1_note.m must be aligned to MFT1_NOTE_ALIGN");

/* Padding at the start of the MFT1 descriptor. */
#define MFT1_NOTE_PAD (offsetof(struct mft1_note, m) - sizeof(struct mft1_nhdr))

/*
 * Exact manifest size, in bytes, for (n) entries. (Where MFT_ENTRIES is not
 * defined this equals sizeof(struct mft) + n * sizeof(struct mft_entry).)
 */
#define MFT_SIZE(n)                                                            \
    (offsetof(struct mft, e) + (size_t)(n) * sizeof(struct mft_entry))

/* Largest n_descsz a reader accepts: padding, header and 64 entries. */
#define MFT1_NOTE_MAX_SIZE (MFT1_NOTE_PAD + MFT_SIZE(MFT_MAX_ENTRIES))

#if defined(__LP64__) || defined(_LP64)
/* The 64-bit layout, checked so that a change here cannot go unnoticed. */
_Static_assert(sizeof(struct mft_entry) == 104, "LP64 mft_entry is 104 bytes");
_Static_assert(offsetof(struct mft_entry, type) == 68, "mft_entry.type");
_Static_assert(offsetof(struct mft_entry, u) == 72, "mft_entry.u");
_Static_assert(offsetof(struct mft_entry, b) == 88, "mft_entry.b");
_Static_assert(offsetof(struct mft_entry, attached) == 96,
               "mft_entry.attached");
_Static_assert(offsetof(struct mft, e) == 8, "LP64 mft header is 8 bytes");
_Static_assert(MFT1_NOTE_ALIGN == 8, "LP64 manifest alignment is 8");
_Static_assert(offsetof(struct mft1_note, m) == 24,
               "LP64 manifest starts 24 bytes into the note");
#endif

/*
 * Generated manifest sources declare the note as:
 *
 *     #define MFT_ENTRIES 2
 *     #include "mft_abi.h"
 *     MFT1_NOTE_DECLARE_BEGIN
 *     {
 *         .version = MFT_VERSION, .entries = 2,
 *         .e = {
 *             { .name = "", .type = MFT_RESERVED_FIRST },
 *             { .name = "service0", .type = MFT_DEV_NET_BASIC },
 *         }
 *     }
 *     MFT1_NOTE_DECLARE_END
 *
 * aligned(4) on the variable lowers its alignment to 4 (GCC and clang both
 * honour that), as in Solo5, so the note packs into a PT_NOTE like any
 * other: code must not assume the manifest is 8-byte aligned in memory.
 * The variable is const. hvt and spt bindings do not use it directly: they
 * get the tender's filled-in copy through the boot info's mft pointer.
 */
#define MFT1_NOTE_DECLARE_BEGIN                                                \
    const struct mft1_note __solo5_mft1_note __attribute__((                   \
        section(MFT1_NOTE_SECTION), aligned(4), used)) = {                     \
        .h = {.n_namesz = sizeof(MFT1_NOTE_NAME),                              \
              .n_descsz = sizeof(struct mft1_note) - sizeof(struct mft1_nhdr), \
              .n_type = MFT1_NOTE_TYPE,                                        \
              .n_name = MFT1_NOTE_NAME},                                       \
        .m =

#define MFT1_NOTE_DECLARE_END                                                  \
    }                                                                          \
    ;

#endif /* MFT_ABI_H */
