/*
 * solo5-ng: Solo5-compatible unikernel execution environment.
 * SPDX-License-Identifier: ISC
 *
 * fuzz_support.h: what the libFuzzer harnesses of the tenders' common code
 * share. The harnesses link the tenders' own sources, except fatal.c: here
 * die() formats its message (so bad format arguments still trip the
 * sanitizers) and jumps back to the harness instead of exiting, so one
 * process can try millions of inputs.
 */

#ifndef TENDER_FUZZ_SUPPORT_H
#define TENDER_FUZZ_SUPPORT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

/* Where die() jumps; set by FUZZ_TRY. */
extern jmp_buf fuzz_jmp;

/* How many times die() was called, and its last message, for harnesses
 * that check an input was refused. */
extern unsigned long fuzz_deaths;
extern char fuzz_last_message[512];

/*
 * Runs (body); true if it completed, false if it called die(). Locals the
 * body changes and the caller reads afterwards must be volatile or static
 * (setjmp rules). What the body allocated and still holds when it dies is
 * freed (a tender exits there; a harness goes on for millions of inputs),
 * so leak detection stays on for everything else.
 */
#define FUZZ_TRY(body)                                                         \
    (fuzz_track_begin(),                                                       \
     setjmp(fuzz_jmp) == 0 ? ((body), fuzz_track_end(), 1) : 0)

void fuzz_track_begin(void);
void fuzz_track_end(void);

/*
 * A path naming a file that holds exactly (data, size): a memfd rewritten
 * for each input, reached through /proc/self/fd, so the code under test
 * reads it with open() and read() as it reads a real unikernel.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/* Stops the process with a message: a property the harness checks failed.
 * (abort() makes libFuzzer save the input as a crash.) */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

/* The entry point libFuzzer (or fuzz_replay.c) calls. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* TENDER_FUZZ_SUPPORT_H */
