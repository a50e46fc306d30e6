/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * elf_abi.h: the ELF notes that identify a unikernel's binding ("ABI1" note)
 * and the PT_INTERP guard. Binary layouts here are shared with Solo5:
 * executables linked against either implementation carry the same notes.
 *
 * Freestanding: depends only on <stddef.h> and <stdint.h>.
 */

#ifndef ELF_ABI_H
#define ELF_ABI_H

#include <stddef.h>
#include <stdint.h>

/*
 * Which binding (and hence which tender) an executable was linked for.
 * The numeric values are part of the ABI note and must never change.
 */
enum abi_target {
    HVT_ABI_TARGET = 1,
    SPT_ABI_TARGET = 2,
    VIRTIO_ABI_TARGET = 3,
    MUEN_ABI_TARGET = 4,
    GENODE_ABI_TARGET = 5,
    XEN_ABI_TARGET = 6
};

/*
 * Every Solo5 note has owner name "Solo5" (n_namesz = 6, NUL included). The
 * note type tells the notes apart; each type is four ASCII characters read
 * as a little-endian 32-bit word.
 */
#define SOLO5_NOTE_NAME "Solo5"

#define ABI1_NOTE_NAME SOLO5_NOTE_NAME
#define ABI1_NOTE_TYPE 0x31494241 /* 'A' 'B' 'I' '1' */

/* Section the ABI note is emitted into; linker scripts give it a PT_NOTE. */
#define ABI1_NOTE_SECTION ".note.solo5.abi"

/*
 * Note header with the owner name inlined: 3 x 4 bytes of Elf_Nhdr, then
 * "Solo5\0" rounded up to 8 bytes. Total: 20 bytes.
 */
struct abi1_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
    char n_name[(sizeof(ABI1_NOTE_NAME) + 3) & ~(size_t)3];
};

_Static_assert(sizeof(struct abi1_nhdr) == 20, "abi1_nhdr must be 20 bytes");

/* Descriptor of the ABI1 note: 16 bytes, 4-byte aligned. */
struct abi1_info {
    uint32_t abi_target;  /* enum abi_target */
    uint32_t abi_version; /* e.g. HVT_ABI_VERSION, SPT_ABI_VERSION */
    uint32_t reserved0;   /* zero */
    uint32_t reserved1;   /* zero */
};

_Static_assert(sizeof(struct abi1_info) == 16, "abi1_info must be 16 bytes");

/* The complete note as it appears in the section. */
struct abi1_note {
    struct abi1_nhdr h;
    struct abi1_info i;
};

/*
 * Alignment the descriptor needs relative to the start of the note; a reader
 * skips (round_up(20, ABI1_NOTE_ALIGN) - 20) bytes of padding at the start of
 * the descriptor. For the ABI note this is 4, i.e. no padding.
 */
#define ABI1_NOTE_ALIGN _Alignof(struct abi1_info)

_Static_assert(offsetof(struct abi1_note, i) == 20,
               "abi1_note descriptor must follow the 20-byte header");
_Static_assert(sizeof(struct abi1_note) == 36, "abi1_note must be 36 bytes");

/* n_descsz of a well-formed ABI1 note (internal padding included). */
#define ABI1_NOTE_DESC_SIZE                                                    \
    (sizeof(struct abi1_note) - sizeof(struct abi1_nhdr))

/* Largest n_descsz a reader accepts for an ABI1 note. */
#define ABI1_NOTE_MAX_SIZE ABI1_NOTE_DESC_SIZE

/*
 * A binding declares its ABI note with:
 *
 *     ABI1_NOTE_DECLARE_BEGIN
 *     {
 *         .abi_target = HVT_ABI_TARGET, .abi_version = HVT_ABI_VERSION
 *     }
 *     ABI1_NOTE_DECLARE_END
 */
#define ABI1_NOTE_DECLARE_BEGIN                                                \
    const struct abi1_note __solo5_abi1_note                                   \
        __attribute__((section(ABI1_NOTE_SECTION), aligned(4), used)) = {      \
            .h = {.n_namesz = sizeof(ABI1_NOTE_NAME),                          \
                  .n_descsz = ABI1_NOTE_DESC_SIZE,                             \
                  .n_type = ABI1_NOTE_TYPE,                                    \
                  .n_name = ABI1_NOTE_NAME},                                   \
            .i =

#define ABI1_NOTE_DECLARE_END                                                  \
    }                                                                          \
    ;

/*
 * PT_INTERP guard: a unikernel names an interpreter that cannot exist, so a
 * host kernel refuses to exec it. The trailing slash makes sure even a file
 * called "/nonexistent/solo5" could not be used. Linker scripts may emit the
 * same bytes themselves; this macro is for bindings that want it in C.
 */
#define SOLO5_INTERP_PATH "/nonexistent/solo5/"

#define DECLARE_ELF_INTERP                                                     \
    const char __solo5_elf_interp[24]                                          \
        __attribute__((section(".interp"), aligned(8), used)) =                \
            SOLO5_INTERP_PATH;

/*
 * OpenBSD identification note (name "OpenBSD", type 1, 4-byte zero desc).
 * OpenBSD's loader needs it to honour the PT_INTERP guard instead of handing
 * the file to /bin/sh. Older OpenBSD only looks at the first PT_NOTE, so
 * linker scripts put this section in the first one.
 */
#define OPENBSD_NOTE_SECTION ".note.solo5.not-openbsd"

struct openbsd_note {
    uint32_t n_namesz; /* 8 */
    uint32_t n_descsz; /* 4 */
    uint32_t n_type;   /* 1 */
    char n_name[8];    /* "OpenBSD" */
    uint32_t data;     /* 0 */
};

_Static_assert(sizeof(struct openbsd_note) == 24,
               "openbsd_note must be 24 bytes");

#define DECLARE_OPENBSD_NOTE                                                   \
    const struct openbsd_note __solo5_openbsd_note                             \
        __attribute__((section(OPENBSD_NOTE_SECTION), aligned(4), used)) = {   \
            .n_namesz = 8,                                                     \
            .n_descsz = 4,                                                     \
            .n_type = 1,                                                       \
            .n_name = "OpenBSD",                                               \
            .data = 0};

#endif /* ELF_ABI_H */
